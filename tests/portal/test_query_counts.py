"""Every public page and public API list runs as many SQL queries for many records as for one.

Each test serves a page with one record of what it lists, adds more, and serves it again: the number of
queries is the same, and the page shows what was added. (The policy list, the news list, the FAQ and the
project and award pages have their own such tests beside their apps.)
"""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal import stats
from tests.content.factories import ArticleFactory, FaqFactory, IndicatorFactory, PolicyFactory
from tests.subsidies.award_factories import AwardSchemeFactory, PublicizedAwardFactory

pytestmark = pytest.mark.django_db


def _served(client, url) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries.captured_queries), response.content.decode()


def _in_publicity(**kwargs):
    today = timezone.localdate()
    return PublicizedAwardFactory(publicity_from=today, publicity_to=today + dt.timedelta(days=7), **kwargs)


def test_the_home_page_costs_the_same_queries_for_one_record_of_each_kind_or_many(client):
    ArticleFactory(title="首条新闻")
    PolicyFactory(title="首项政策")
    _in_publicity(scheme__title="首个公示方案")
    one, html = _served(client, "/")
    assert "首条新闻" in html
    assert "首个公示方案" in html

    for n in range(6):
        ArticleFactory(title=f"后来的新闻{n}")
        PolicyFactory(title=f"后来的政策{n}")
        scheme = AwardSchemeFactory(title=f"后来的公示方案{n}")
        for _ in range(3):
            _in_publicity(scheme=scheme)
    many, html = _served(client, "/")

    assert many == one
    assert "后来的新闻5" in html
    assert html.count(" 家企业，合计 ") == 5  # the home page shows five lists at most


def test_the_publicity_page_costs_the_same_queries_for_one_list_or_many(client):
    _in_publicity(scheme__title="首个公示方案")
    one, html = _served(client, reverse("subsidies:publicity"))
    assert "首个公示方案" in html

    for n in range(6):
        scheme = AwardSchemeFactory(title=f"后来的公示方案{n}")
        for _ in range(3):
            _in_publicity(scheme=scheme)
    many, html = _served(client, reverse("subsidies:publicity"))

    assert many == one
    assert all(f"后来的公示方案{n}" in html for n in range(6))
    assert html.count("3 家企业，合计 300,000.00 元") == 6


def test_a_schemes_publicity_list_costs_the_same_queries_for_one_award_or_many(client):
    first = _in_publicity(enterprise__name="郑州首家科技有限公司")
    url = reverse("subsidies:publicity-scheme", args=[first.scheme.code])
    one, html = _served(client, url)
    assert "郑州首家科技有限公司" in html

    for n in range(20):
        _in_publicity(scheme=first.scheme, enterprise__name=f"郑州后来科技{n}有限公司")
    many, html = _served(client, url)

    assert many == one
    assert all(f"郑州后来科技{n}有限公司" in html for n in range(20))


def test_an_article_costs_the_same_queries_for_one_related_policy_or_many(client):
    article = ArticleFactory(title="政策解读")
    article.related_policies.set([PolicyFactory(title="首项政策")])
    one, html = _served(client, article.get_absolute_url())
    assert "首项政策" in html

    article.related_policies.add(*(PolicyFactory(title=f"后来的政策{n}") for n in range(6)))
    many, html = _served(client, article.get_absolute_url())

    assert many == one
    assert all(f"后来的政策{n}" in html for n in range(6))


def test_a_faq_answer_costs_the_same_queries_however_many_questions_exist(client):
    faq = FaqFactory(question="如何申请高新技术企业认定？", answer="向科技局提交材料。")
    one, html = _served(client, faq.get_absolute_url())
    assert "向科技局提交材料。" in html

    FaqFactory.create_batch(12, category=faq.category)
    many, html = _served(client, faq.get_absolute_url())

    assert many == one
    assert "向科技局提交材料。" in html


def test_the_economy_page_costs_the_same_queries_for_one_chart_or_many(client):
    IndicatorFactory(name="地区生产总值")
    IndicatorFactory(name="工业增加值")
    IndicatorFactory(name="地区生产总值", period="2022H1")
    one, html = _served(client, reverse("content:economy"))
    assert "地区生产总值" in html

    for n in range(10):
        IndicatorFactory(name=f"后来的指标{n}", unit=["万元", "家", "%"][n % 3])
        IndicatorFactory(name=f"后来的指标{n}", unit=["万元", "家", "%"][n % 3], period="2022H1")
    many, html = _served(client, reverse("content:economy"))

    assert many == one
    assert all(f"后来的指标{n}" in html for n in range(10))


def test_the_news_feed_costs_the_same_queries_for_one_article_or_many(client):
    ArticleFactory(title="首条新闻")
    one, xml = _served(client, reverse("content:feed_rss"))
    assert "首条新闻" in xml

    for n in range(10):
        ArticleFactory(title=f"后来的新闻{n}")
    many, xml = _served(client, reverse("content:feed_rss"))

    assert many == one
    assert all(f"后来的新闻{n}" in xml for n in range(10))


def test_a_policys_print_view_costs_the_same_queries_however_many_policies_exist(client):
    policy = PolicyFactory(title="打印的政策")
    url = reverse("policies:print", args=[policy.code])
    one, html = _served(client, url)
    assert "打印的政策" in html

    PolicyFactory.create_batch(10)
    many, html = _served(client, url)

    assert many == one
    assert "打印的政策" in html


def test_the_policy_api_list_costs_the_same_queries_for_one_policy_or_many(client):
    PolicyFactory(title="首项政策")
    one, body = _served(client, reverse("api:policy-list"))
    assert [p["title"] for p in json.loads(body)["results"]] == ["首项政策"]

    for n in range(10):
        PolicyFactory(title=f"后来的政策{n}")
    many, body = _served(client, reverse("api:policy-list"))

    assert many == one
    assert json.loads(body)["count"] == 11
    assert {f"后来的政策{n}" for n in range(10)} <= {p["title"] for p in json.loads(body)["results"]}


def test_the_scheme_api_list_costs_the_same_queries_for_one_scheme_or_many(client):
    AwardSchemeFactory(title="首个方案")
    one, body = _served(client, reverse("api:scheme-list"))
    assert [s["title"] for s in json.loads(body)["results"]] == ["首个方案"]

    for n in range(10):
        AwardSchemeFactory(title=f"后来的方案{n}")
    many, body = _served(client, reverse("api:scheme-list"))

    assert many == one
    assert json.loads(body)["count"] == 11
    assert {f"后来的方案{n}" for n in range(10)} <= {s["title"] for s in json.loads(body)["results"]}


def test_the_stats_api_costs_the_same_queries_for_one_award_or_many(client):
    PublicizedAwardFactory(status="paid")
    one, body = _served(client, reverse("api:stats"))
    first = json.loads(body)

    for _ in range(10):
        PublicizedAwardFactory(status="paid")
    stats.invalidate()  # as the award services do: the figures are cached until their records change
    many, body = _served(client, reverse("api:stats"))

    assert many == one
    assert json.loads(body) != first
