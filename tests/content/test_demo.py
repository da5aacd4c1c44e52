import io

import pytest

from portal.content import demo
from portal.content.models import Article, ArticleCategory, Faq, Indicator, SynonymGroup
from tests.content.factories import PolicyFactory

pytestmark = pytest.mark.django_db


def test_the_demo_loads_its_content_and_a_second_run_writes_nothing():
    demo.load(io.StringIO())
    counts = (
        Article.objects.count(),
        Faq.objects.count(),
        SynonymGroup.objects.count(),
        Indicator.objects.count(),
    )
    stamps = list(Faq.objects.order_by("pk").values_list("updated_at", flat=True))

    demo.load(io.StringIO())

    assert counts == (21, 98, 33, 11)
    assert counts == (
        Article.objects.count(),
        Faq.objects.count(),
        SynonymGroup.objects.count(),
        Indicator.objects.count(),
    )
    assert stamps == list(Faq.objects.order_by("pk").values_list("updated_at", flat=True))


def test_the_demo_indicators_are_the_h1_2023_report_figures():
    demo.load(io.StringIO())

    rows = {i.name: (i.value, i.unit, i.yoy_growth) for i in Indicator.objects.filter(period="2023H1")}

    assert {name: (str(v) if v is not None else None, u, str(g)) for name, (v, u, g) in rows.items()} == {
        "地区生产总值": ("302.30", "亿元", "7.50"),
        "第二产业增加值": ("156.20", "亿元", "8.90"),
        "第三产业增加值": ("146.10", "亿元", "6.10"),
        "规模以上工业增加值": (None, "", "11.10"),
        "社会消费品零售总额": (None, "", "13.10"),
        "固定资产投资": (None, "", "1.20"),
        "一般公共预算收入": ("38.68", "亿元", "0.51"),
    }
    assert str(Indicator.objects.get(period="2022H1", name="地区生产总值").value) == "281.21"
    assert set(Indicator.objects.filter(period="2022H1").values_list("source", flat=True)) == {
        "由同比增速推算"
    }


def test_demo_interpretations_link_their_policies_when_the_catalogue_has_them():
    policy = PolicyFactory(code="high-tech-award-2023")

    demo.load(io.StringIO())
    demo.load(io.StringIO())

    linked = Article.objects.filter(related_policies=policy)
    assert set(linked.values_list("slug", flat=True)) == {
        "mianshen-launch",
        "hightech-apply-2023",
        "explain-high-tech-award",
    }
    assert linked.filter(category=ArticleCategory.INTERPRETATION).count() == 1
