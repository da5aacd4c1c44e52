import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from portal import stats
from portal.content import figures
from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db

JULY = dt.datetime(2023, 7, 5, 10, tzinfo=dt.UTC)


@pytest.fixture
def other_parts(monkeypatch):
    monkeypatch.setattr(stats, "STATS_MODULES", ("portal.enterprises.stats", "tests.content.fake_stats"))


def figure_texts(response) -> dict[str, str]:
    return {
        item["key"]: f"{item['label']} {item['value']} {item['unit']}".strip()
        for section in response.context["sections"]
        for item in section["items"]
    }


@time_machine.travel(JULY, tick=False)
def test_the_page_shows_the_last_complete_half_year_by_default(client, monkeypatch):
    from portal import stats

    monkeypatch.setattr(stats, "STATS_MODULES", ("portal.enterprises.stats",))
    EnterpriseFactory(registered_on=dt.date(2020, 1, 1))

    response = client.get(reverse("content:performance"))

    body = response.content.decode()
    assert (response.context["start"], response.context["end"]) == (dt.date(2023, 1, 1), dt.date(2023, 6, 30))
    assert "2023年上半年" in body
    assert figure_texts(response) == {"enterprises": "在册企业 1 家"}


@time_machine.travel(JULY, tick=False)
def test_each_present_key_has_a_plain_label_and_absent_ones_are_not_shown(client, other_parts):
    response = client.get(reverse("content:performance"))

    assert figure_texts(response) == {
        "enterprises": "在册企业 0 家",
        "enterprise_visits": "走访企业 2,810 次",
        "problems_collected": "收集企业问题 1,043 个",
        "problems_resolved": "已解决问题 1,042 个",
        "problem_resolution_rate": "问题解决率 99.9%",
        "filing_avg_working_days": "备案平均办理时长 1.0 个工作日",
        "auto_subsidy_amount": "“免申即享”兑现金额 6,764.50 万元",
    }
    body = response.content.decode()
    assert "企业投资项目备案</dt>" not in body
    assert "惠企政策资金拨付" not in body
    assert [s["title"] for s in response.context["sections"]] == ["企业服务", "项目审批", "惠企政策"]


def test_every_key_of_the_stats_api_has_a_label():
    keys = {
        "enterprises", "enterprise_visits", "problems_collected", "problems_resolved",
        "problem_resolution_rate", "filings", "filing_avg_working_days", "four_permits_same_day_projects",
        "acceptances_online", "acceptances_offline", "auto_subsidy_policies", "auto_subsidy_amount",
        "subsidy_paid_amount", "household_subsidy_amount", "household_subsidy_households",
    }  # fmt: skip
    assert set(figures.FIGURES) == keys
    sample = {
        **dict.fromkeys(keys, 3),
        "problem_resolution_rate": 0.5,
        "auto_subsidy_amount": "10000.00",
        "subsidy_paid_amount": "50331700.00",
    }
    sample["household_subsidy_amount"] = "26140000.00"
    sample["household_subsidy_households"] = 10373
    items = {i["key"]: i for s in figures.present(sample) for i in s["items"]}
    assert items["subsidy_paid_amount"]["value"] == "5,033.17"
    assert (items["household_subsidy_amount"]["label"], items["household_subsidy_amount"]["value"]) == (
        "发放契税补贴",
        "2,614.00",
    )
    assert items["household_subsidy_households"]["value"] == "10,373"
    assert items["acceptances_offline"]["label"] == "线下联合验收"
    assert items["four_permits_same_day_projects"]["label"] == "“拿地即开工”四证齐发项目"


@time_machine.travel(JULY, tick=False)
def test_quick_links_offer_the_recent_half_years(client):
    response = client.get(reverse("content:performance"))

    body = response.content.decode()
    assert [p.code for p in response.context["quick"]] == ["2023H1", "2022H2", "2022H1", "2021H2"]
    assert '<a href="?period=2023H1" aria-current="page">2023年上半年</a>' in body


def test_a_half_year_or_dates_can_be_chosen(client):
    by_code = client.get(reverse("content:performance"), {"period": "2022H2"})
    by_dates = client.get(reverse("content:performance"), {"from": "2023-03-01", "to": "2023-03-31"})

    assert (by_code.context["start"], by_code.context["end"]) == (dt.date(2022, 7, 1), dt.date(2022, 12, 31))
    assert "2023-03-01 至 2023-03-31" in by_dates.content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "2023-07-01", "to": "2023-06-30"}, "开始日期不能晚于结束日期。"),
        ({"from": "2023-13-01", "to": "2023-06-30"}, "不是有效日期"),
        ({"period": "2023H5"}, "格式不对"),
    ],
)
def test_a_bad_period_on_the_page_is_a_400_with_the_message_and_no_figures(client, params, message):
    response = client.get(reverse("content:performance"), params)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert response.context["sections"] == []


@time_machine.travel(dt.datetime(2026, 12, 3, 10, tzinfo=dt.UTC), tick=False)
def test_the_page_defaults_to_the_latest_half_year_that_has_records(client):
    from tests.servicedesk.factories import VisitFactory

    VisitFactory(date=dt.date(2023, 6, 5))

    response = client.get(reverse("content:performance"))

    assert (response.context["start"], response.context["end"]) == (dt.date(2023, 1, 1), dt.date(2023, 6, 30))
