import datetime as dt

import pytest
import time_machine
from django.test import RequestFactory
from django.urls import reverse

from portal import blocks as shell_blocks
from portal import stats
from portal.content import blocks, sections
from portal.content.models import ArticleCategory, ArticleStatus
from tests.content.factories import ArticleFactory, FaqFactory, PolicyFactory
from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db
JULY = dt.datetime(2023, 7, 5, 10, tzinfo=dt.UTC)


@time_machine.travel(JULY, tick=False)
def test_the_home_block_holds_latest_news_the_faq_box_and_present_headline_figures(monkeypatch):
    monkeypatch.setattr(stats, "STATS_MODULES", ("portal.enterprises.stats", "tests.content.fake_stats"))
    news = ArticleFactory.create_batch(7)
    FaqFactory.create_batch(2)
    EnterpriseFactory(registered_on=dt.date(2020, 1, 1))

    block = blocks.home(RequestFactory().get("/"))

    assert block["template"] == "content/home_block.html"
    assert block["articles"] == list(reversed(news))[:6]
    assert block["faq_total"] == 2
    assert block["half"].code == "2023H1"
    assert [(i["key"], i["value"]) for i in block["headline"]] == [
        ("enterprises", "1"),
        ("enterprise_visits", "2,810"),
        ("problem_resolution_rate", "99.9%"),
        ("auto_subsidy_amount", "6,764.50"),
    ]


@time_machine.travel(JULY, tick=False)
def test_the_home_page_shows_the_content_block(client, monkeypatch):
    from portal import stats

    # Only the registry's figures exist: the home page must show no figure of a part not built.
    monkeypatch.setattr(stats, "STATS_MODULES", ("portal.enterprises.stats",))
    ArticleFactory(title="高新区上半年经济运行稳中有进")
    FaqFactory(question="公章刻制怎么办理？")

    body = client.get(reverse("home")).content.decode()

    assert "高新区上半年经济运行稳中有进" in body
    assert 'data-faq-box data-answers-url="/faq/answers/"' in body
    assert "公章刻制怎么办理？" in body
    assert "2023年上半年服务绩效" in body
    assert "在册企业" in body
    assert "走访企业" not in body


def test_the_main_navigation_lists_the_content_pages():
    labels = {link["label"]: link["url"] for link in shell_blocks.nav_links()}

    assert labels["新闻"] == "/news/"
    assert labels["常见问题"] == "/faq/"
    assert labels["经济数据"] == "/economy/"
    assert labels["服务绩效"] == "/performance/"


def test_the_policy_section_lists_its_published_interpretations_only():
    policy, other = PolicyFactory(), PolicyFactory()
    mine = ArticleFactory(category=ArticleCategory.INTERPRETATION, title="解读一")
    mine.related_policies.add(policy)
    draft = ArticleFactory(
        category=ArticleCategory.INTERPRETATION, status=ArticleStatus.DRAFT, publish_at=None
    )
    draft.related_policies.add(policy)
    news = ArticleFactory(category=ArticleCategory.NEWS)
    news.related_policies.add(policy)
    elsewhere = ArticleFactory(category=ArticleCategory.INTERPRETATION)
    elsewhere.related_policies.add(other)

    section = sections.policy_interpretations(RequestFactory().get("/"), policy)

    assert section["template"] == "content/policy_interpretations_section.html"
    assert section["articles"] == [mine]


def test_the_policy_section_is_absent_without_interpretations():
    assert sections.policy_interpretations(RequestFactory().get("/"), PolicyFactory()) is None


def test_the_policy_section_template_links_each_interpretation():
    from django.template.loader import render_to_string

    policy = PolicyFactory()
    article = ArticleFactory(category=ArticleCategory.INTERPRETATION, title="一图读懂研发投入后补助")
    article.related_policies.add(policy)
    section = sections.policy_interpretations(RequestFactory().get("/"), policy)

    html = render_to_string(section["template"], {"section": section})

    assert f'<a href="{article.get_absolute_url()}">一图读懂研发投入后补助</a>' in html


@time_machine.travel(dt.datetime(2026, 12, 3, 10, tzinfo=dt.UTC), tick=False)
def test_the_home_figures_default_to_the_latest_half_year_that_has_records(client):
    from tests.servicedesk.factories import VisitFactory

    VisitFactory.create_batch(2, date=dt.date(2023, 5, 8))
    VisitFactory(date=dt.date(2022, 11, 1))

    block = blocks.home(RequestFactory().get("/"))
    body = client.get(reverse("home")).content.decode()

    assert block["half"].code == "2023H1"
    assert ("enterprise_visits", "2") in [(i["key"], i["value"]) for i in block["headline"]]
    assert "2023年上半年服务绩效" in body
    assert "2026年上半年" not in body


@time_machine.travel(dt.datetime(2026, 12, 3, 10, tzinfo=dt.UTC), tick=False)
def test_the_home_figures_show_the_last_complete_half_year_while_nothing_is_recorded():
    block = blocks.home(RequestFactory().get("/"))

    assert block["half"].code == "2026H1"


@time_machine.travel(dt.datetime(2026, 12, 3, 10, tzinfo=dt.UTC), tick=False)
def test_records_in_the_half_year_still_running_do_not_move_the_default_past_the_last_complete_one():
    from tests.servicedesk.factories import VisitFactory

    VisitFactory(date=dt.date(2026, 11, 2))
    VisitFactory(date=dt.date(2025, 3, 2))

    assert blocks.home(RequestFactory().get("/"))["half"].code == "2025H1"
