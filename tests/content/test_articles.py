import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from portal.content import selectors, services
from portal.content.models import Article, ArticleCategory, ArticleStatus
from tests.content.factories import SHANGHAI, ArticleFactory, PolicyFactory, SynonymGroupFactory

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2023, 6, 1, 12, tzinfo=SHANGHAI)


@time_machine.travel(NOON, tick=False)
def test_an_article_scheduled_for_later_is_invisible_until_its_time(client):
    article = ArticleFactory(title="定时发布的通知", publish_at=NOON + dt.timedelta(hours=2))

    assert list(selectors.articles_published()) == []
    assert client.get(article.get_absolute_url()).status_code == 404
    assert "定时发布的通知" not in client.get(reverse("content:news")).content.decode()

    with time_machine.travel(NOON + dt.timedelta(hours=2), tick=False):
        assert list(selectors.articles_published()) == [article]
        assert client.get(article.get_absolute_url()).status_code == 200
        assert "定时发布的通知" in client.get(reverse("content:news")).content.decode()


def test_a_draft_is_neither_listed_nor_readable_by_the_public(client):
    draft = ArticleFactory(title="草稿文章", status=ArticleStatus.DRAFT, publish_at=None)

    assert client.get(draft.get_absolute_url()).status_code == 404
    assert "草稿文章" not in client.get(reverse("content:news")).content.decode()


def test_staff_read_an_unpublished_article_marked_as_not_public(client, staff):
    draft = ArticleFactory(title="草稿文章", status=ArticleStatus.DRAFT, publish_at=None)
    client.force_login(staff)

    response = client.get(draft.get_absolute_url())

    assert response.status_code == 200
    assert "此文章尚未发布（草稿或定时发布），仅工作人员可见。" in response.content.decode()


@time_machine.travel(NOON, tick=False)
def test_publishing_without_a_time_publishes_now():
    article = Article(
        category=ArticleCategory.NEWS, title="标题", body="正文", status=ArticleStatus.PUBLISHED
    )

    services.article_save(article=article)

    article.refresh_from_db()
    assert article.publish_at == NOON
    assert article.slug == "20230601-1"


@time_machine.travel(NOON, tick=False)
def test_generated_slugs_are_unique_per_day():
    ArticleFactory(slug="20230601-1")
    article = Article(
        category=ArticleCategory.NEWS, title="标题", body="正文", status=ArticleStatus.PUBLISHED
    )

    services.article_save(article=article)

    assert article.slug == "20230601-2"


def test_saving_an_article_with_a_taken_slug_is_refused_with_a_chinese_message():
    ArticleFactory(slug="taken")
    article = Article(category=ArticleCategory.NEWS, title="标题", body="正文", slug="taken")

    with pytest.raises(services.ContentError, match="已存在"):
        services.article_save(article=article)
    assert Article.objects.filter(slug="taken").count() == 1


def test_the_news_list_shows_one_category_newest_first(client):
    old = ArticleFactory(title="旧通知", category=ArticleCategory.NOTICE)
    new = ArticleFactory(title="新通知", category=ArticleCategory.NOTICE)
    ArticleFactory(title="一条要闻", category=ArticleCategory.NEWS)

    response = client.get(reverse("content:news"), {"category": "notice"})

    assert [a.pk for a in response.context["page"]] == [new.pk, old.pk]


def test_the_news_list_is_paginated_by_fifteen(client):
    ArticleFactory.create_batch(16)

    first = client.get(reverse("content:news"))
    second = client.get(reverse("content:news"), {"page": 2})

    assert len(first.context["page"]) == 15
    assert len(second.context["page"]) == 1
    assert "第 1 / 2 页" in first.content.decode()


def test_news_search_finds_the_full_term_for_its_abbreviation():
    SynonymGroupFactory(words="高企 高新技术企业")
    hit = ArticleFactory(title="高新技术企业认定申报通知")
    ArticleFactory(title="春季招聘会")

    assert list(selectors.article_list(q="高企")) == [hit]


def test_news_search_needs_every_word_and_ranks_title_matches_first():
    in_body = ArticleFactory(title="上半年工作综述", body="高新区推进联合验收改革。")
    in_title = ArticleFactory(title="联合验收改革见成效", body="正文。")
    ArticleFactory(title="联合办公空间开放", body="正文。")

    assert list(selectors.article_list(q="联合验收 改革")) == [in_title, in_body]


def test_news_search_of_only_question_words_finds_nothing():
    ArticleFactory(title="怎么办")

    assert list(selectors.article_list(q="怎么 什么")) == []


def test_the_news_search_page_marks_the_words_found(client):
    ArticleFactory(title="联合验收改革见成效")

    response = client.get(reverse("content:news"), {"q": "联合验收"})

    assert "<mark>联合验收</mark>改革见成效" in response.content.decode()
    assert "“联合验收”共找到 1 篇。" in response.content.decode()


def test_an_interpretation_page_lists_its_public_policies_but_not_drafts(client):
    public = PolicyFactory(title="高新技术企业奖励政策")
    draft = PolicyFactory(title="尚在起草的政策", status="draft")
    article = ArticleFactory(category=ArticleCategory.INTERPRETATION)
    article.related_policies.set([public, draft])

    response = client.get(article.get_absolute_url())

    body = response.content.decode()
    assert "所解读的政策" in body
    assert "高新技术企业奖励政策" in body
    assert "尚在起草的政策" not in body


def test_the_article_page_costs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    article = ArticleFactory(category=ArticleCategory.INTERPRETATION)
    article.related_policies.set(PolicyFactory.create_batch(5))

    with django_assert_max_num_queries(6):
        assert client.get(article.get_absolute_url()).status_code == 200


def test_the_news_list_costs_a_fixed_number_of_queries(client, django_assert_num_queries):
    first = ArticleFactory.create_batch(3)
    with django_assert_num_queries(2) as few:
        response = client.get(reverse("content:news"))
    assert response.status_code == 200
    assert response.content.decode().count('news-item">') == 3
    more = ArticleFactory.create_batch(12)

    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(reverse("content:news"))

    body = response.content.decode()
    assert response.status_code == 200
    assert body.count('news-item">') == 15
    assert all(article.title in body for article in first + more)
