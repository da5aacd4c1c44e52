"""News search: the catalogue's Chinese search (portal.search) with staff synonyms; the news list page."""

import datetime as dt
import importlib
import io

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from portal.content import demo, matching, selectors, services
from portal.content.models import Article, ArticleCategory, ArticleStatus
from portal.search import apply_search, search_document
from tests.content.factories import ArticleFactory, SynonymGroupFactory

pytestmark = pytest.mark.django_db


def found(q: str) -> list[str]:
    return [a.title for a in selectors.article_list(q=q)]


# Tokens


def test_saving_an_article_stores_the_tokens_of_its_title_apart_from_its_text():
    article = Article(
        category=ArticleCategory.NEWS,
        title="联合验收改革见成效",
        summary="上半年完成联合验收。",
        body="**首批**项目[通过验收](https://example.cn/a)&nbsp;",
        author="国土规划住建局",
    )

    services.article_save(article=article)

    stored = Article.objects.get(pk=article.pk)
    assert stored.search_title == "联合 验收 改革 成效 见成效"
    assert stored.search_body == search_document("上半年完成联合验收。", "首批项目通过验收", "国土规划住建局")
    assert "https" not in stored.search_body.split()
    assert "nbsp" not in stored.search_body.split()


def test_editing_an_article_through_the_service_refreshes_its_tokens():
    article = ArticleFactory(title="春季招聘会举行")
    article.title = "契税补贴发放"

    services.article_save(article=article)

    assert Article.objects.get(pk=article.pk).search_title == "契税 补贴 发放"
    assert found("契税") == ["契税补贴发放"]
    assert found("招聘会") == []


def test_the_migration_fills_the_tokens_of_articles_written_before_it():
    # Written around the service on purpose: an article as it was before the token columns existed.
    old = ArticleFactory(title="高新区召开专精特新企业座谈会", summary="企业代表发言。")
    Article.objects.filter(pk=old.pk).update(search_title="", search_body="")
    migration = importlib.import_module("portal.content.migrations.0002_article_search_tokens")

    migration.fill_search_tokens(apps, None)

    old.refresh_from_db()
    assert old.search_title == search_document("高新区召开专精特新企业座谈会")
    assert old.search_body == search_document("企业代表发言。", "新闻正文。", "园区运营中心")


def test_every_demo_article_is_searchable():
    demo.load(io.StringIO())

    assert not Article.objects.filter(search_title="").exists()
    assert not Article.objects.filter(search_body="").exists()
    assert selectors.article_list(q="免申即享").exists()


# Finding


def test_search_finds_an_article_whose_words_are_split_differently():
    ArticleFactory(title="企业创新支持政策解读", body="对企业研发投入中的费用按比例给予补助。")
    ArticleFactory(title="研发费用补助申报通知", body="请按时申报。")
    ArticleFactory(title="人才住房补贴发放", body="给予住房补贴。")

    assert found("研发费用补助") == ["研发费用补助申报通知", "企业创新支持政策解读"]
    assert found("研发 费用 补助") == ["研发费用补助申报通知", "企业创新支持政策解读"]


def test_search_finds_the_full_term_for_its_abbreviation_and_the_abbreviation_for_the_term():
    SynonymGroupFactory(words="高企 高新技术企业")
    ArticleFactory(title="高新技术企业认定申报通知")
    ArticleFactory(title="高企培育入库名单公示")
    ArticleFactory(title="春季招聘会举行")

    assert sorted(found("高企")) == ["高企培育入库名单公示", "高新技术企业认定申报通知"]
    assert sorted(found("高新技术企业")) == ["高企培育入库名单公示", "高新技术企业认定申报通知"]


def test_search_with_a_synonym_still_needs_every_other_word():
    SynonymGroupFactory(words="高企 高新技术企业")
    ArticleFactory(title="高新技术企业认定申报通知")
    ArticleFactory(title="高企培育入库名单公示")

    assert found("高企认定") == ["高新技术企业认定申报通知"]


def test_an_abbreviation_inside_longer_words_is_not_widened_to_its_synonyms():
    synonyms = matching.Synonyms([["高企", "高新技术企业"]])

    assert matching.synonym_terms("提高企业效益", ["提高", "企业", "效益"], synonyms) == (
        ["提高", "企业", "效益"],
        [],
        [],
    )


def test_a_synonym_in_the_query_becomes_one_group_of_its_words_tokens():
    synonyms = matching.Synonyms([["高企", "高新技术企业"], ["社保", "社会保险"]])

    tokens, groups, words = matching.synonym_terms("高企 社保缴纳", ["高企", "社保", "缴纳"], synonyms)

    assert tokens == ["缴纳"]
    assert sorted(words) == ["社会保险", "社保", "高企", "高新技术企业"]
    assert sorted(groups) == [
        [["社保"], ["社会", "保险", "社会保险"]],
        [["高企"], ["高新", "技术", "高新技术", "企业"]],
    ]


def test_search_ranks_title_matches_first_then_newest():
    older_in_title = ArticleFactory(title="联合验收改革见成效", body="正文。")
    in_body = ArticleFactory(title="上半年工作综述", body="高新区推进联合验收改革。")
    newer_in_title = ArticleFactory(title="联合验收再提速", body="正文。")

    assert [a.pk for a in selectors.article_list(q="联合验收")] == [
        newer_in_title.pk,
        older_in_title.pk,
        in_body.pk,
    ]


def test_search_ranks_a_synonym_in_the_title_above_the_full_term_in_the_text():
    SynonymGroupFactory(words="高企 高新技术企业")
    in_body = ArticleFactory(title="企业发展综述", body="全区新增高新技术企业一百家。")
    in_title = ArticleFactory(title="高企培育入库名单公示", body="名单如下。")

    assert [a.pk for a in selectors.article_list(q="高企")] == [in_title.pk, in_body.pk]


def test_search_leaves_out_drafts_and_articles_not_yet_due():
    ArticleFactory(title="联合验收草稿", status=ArticleStatus.DRAFT, publish_at=None)
    ArticleFactory(title="联合验收定时发布", publish_at="2099-01-01T09:00:00+08:00")

    assert found("联合验收") == []


def test_search_within_a_category_keeps_to_it():
    ArticleFactory(title="联合验收通知", category=ArticleCategory.NOTICE)
    ArticleFactory(title="联合验收要闻", category=ArticleCategory.NEWS)

    assert [a.title for a in selectors.article_list(category="notice", q="联合验收")] == ["联合验收通知"]


# The list page


def test_the_list_marks_the_synonyms_found_and_where_in_the_text_they_are(client):
    SynonymGroupFactory(words="高企 高新技术企业")
    ArticleFactory(title="高新技术企业认定申报通知", summary="", body="申报企业须具备技术研发能力。")
    ArticleFactory(title="企业发展综述", summary="", body="上半年全区新增高企一百家。")

    body = client.get(reverse("content:news"), {"q": "高企"}).content.decode()

    assert "<mark>高新技术企业</mark>认定申报通知" in body
    assert "申报企业须具备技术研发能力。" in body  # a synonym is marked whole, never its pieces
    assert "上半年全区新增<mark>高企</mark>一百家。" in body
    assert "“高企”共找到 2 篇。" in body


def test_the_list_escapes_what_it_marks(client):
    ArticleFactory(title="<b>联合验收</b>改革")

    body = client.get(reverse("content:news"), {"q": "联合验收"}).content.decode()

    assert "&lt;b&gt;<mark>联合验收</mark>&lt;/b&gt;改革" in body


def test_a_query_of_punctuation_only_finds_nothing_and_says_why(client):
    ArticleFactory(title="联合验收改革见成效")

    response = client.get(reverse("content:news"), {"q": "？！%_"})

    body = response.content.decode()
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 0
    assert "检索词中没有可检索的文字，请输入关键词，如“研发费用”。" in body
    assert "没有找到相关新闻，请换个关键词试试。" in body


def test_an_overlong_query_is_searched_by_its_first_hundred_characters_and_says_so(client):
    ArticleFactory(title="联合验收改革见成效")

    response = client.get(reverse("content:news"), {"q": "联合验收" + "。" * 200 + "春季招聘"})

    body = response.content.decode()
    assert [a.title for a in response.context["page"]] == ["联合验收改革见成效"]
    assert response.context["q"] == "联合验收" + "。" * 96
    assert "检索词过长，已按前 100 个字检索。" in body


def test_a_blank_query_lists_everything_without_a_notice(client):
    ArticleFactory.create_batch(2)

    response = client.get(reverse("content:news"), {"q": "   "})

    assert response.context["page"].paginator.count == 2
    assert response.context["notice"] is None
    assert "共找到" not in response.content.decode()


def test_the_searched_list_costs_a_fixed_number_of_queries(client, django_assert_num_queries):
    SynonymGroupFactory(words="高企 高新技术企业")
    ArticleFactory.create_batch(2, title="高新技术企业认定通知")
    selectors.news_index()  # built once per process (and again after a change), not per search
    # The synonyms, the index's version, whether the synonym's words stand side by side, the page.
    with django_assert_num_queries(4) as few:
        client.get(reverse("content:news"), {"q": "高企认定"})
    ArticleFactory.create_batch(13, title="高企认定名单")
    selectors.news_index()

    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(reverse("content:news"), {"q": "高企认定"})
    assert len(response.context["page"]) == 15


def test_the_news_rank_by_bm25_so_the_rarer_word_in_the_title_comes_first():
    ArticleFactory(slug="zjtx", title="专精特新企业认定结果", body="给予奖励。")
    ArticleFactory(slug="award", title="企业奖励兑现", body="专精特新企业。")
    for n in range(3):
        ArticleFactory(slug=f"other-{n}", title=f"人才奖励发放{n}", body="给予奖励。")

    found = selectors.article_list(q="专精特新奖励")

    assert [a.slug for a in found] == ["zjtx", "award"]


def test_the_news_index_is_rebuilt_when_an_article_is_saved():
    article = ArticleFactory(title="人才住房补贴发放")
    before = selectors.news_index()
    assert selectors.news_index() is before

    article.title = "专精特新企业名单公布"
    services.article_save(article=article)

    assert selectors.news_index() is not before
    assert [a.pk for a in selectors.article_list(q="专精特新")] == [article.pk]


# PostgreSQL: ranked tsvector through the GIN index


@pytest.mark.postgres
def test_postgres_ranks_news_by_the_weighted_tsvector_title_first():
    SynonymGroupFactory(words="高企 高新技术企业")
    in_body = ArticleFactory(title="企业发展综述", body="全区新增高新技术企业，认定工作有序推进。" * 3)
    in_title = ArticleFactory(title="高企认定工作启动", body="正文。")

    results = list(selectors.article_list(q="高企认定"))

    assert [a.pk for a in results] == [in_title.pk, in_body.pk]
    assert results[0].search_rank > results[1].search_rank > 0


@pytest.mark.postgres
def test_postgres_news_search_can_use_the_gin_index_on_the_token_columns():
    SynonymGroupFactory(words="高企 高新技术企业")
    ArticleFactory(title="高企认定工作启动")
    # What the news search still asks the database to match (a synonym of several words side by side), of
    # all articles, so that the listing index on status and time is no alternative for the planner.
    terms = selectors.search_terms("高企认定")
    qs = apply_search(
        Article.objects.all(),
        list(terms.tokens),
        groups=terms.groups,
        title_field="search_title",
        body_field="search_body",
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = qs.explain()

    assert "Bitmap Index Scan on article_search_gin" in plan


def test_what_the_news_index_shows_is_what_articles_published_holds():
    now = timezone.now()
    ArticleFactory(slug="out", title="已发布的新闻")
    ArticleFactory(slug="draft", title="草稿新闻", status=ArticleStatus.DRAFT)
    ArticleFactory(slug="later", title="定时发布的新闻", publish_at=now + dt.timedelta(hours=1))
    ArticleFactory(slug="just", title="刚发布的新闻", publish_at=now - dt.timedelta(seconds=1))
    ArticleFactory(slug="notice", title="通知公告", category=ArticleCategory.NOTICE)
    index = selectors.news_index()

    for category in ("", ArticleCategory.NEWS, ArticleCategory.NOTICE):
        shown = {
            int(key)
            for key, seen in zip(index.bm25.keys, index.visible(now=now, category=category), strict=True)
            if seen
        }
        published = selectors.articles_published(now=now)
        if category:
            published = published.filter(category=category)
        assert shown == set(published.values_list("pk", flat=True)), category


def test_a_deleted_article_leaves_the_search_of_every_process_at_once():
    ArticleFactory(slug="keep", title="数字经济新闻")
    gone = ArticleFactory(slug="gone", title="数字经济简讯")
    assert selectors.article_list(q="数字经济").count() == 2

    gone.delete()

    found = selectors.article_list(q="数字经济")
    assert found.count() == 1
    assert [a.slug for a in found] == ["keep"]
