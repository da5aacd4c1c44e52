import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from portal import stats
from portal.enterprises.models import Enterprise
from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db

FAKE_PARTS = ("portal.enterprises.stats", "tests.content.fake_stats")
JULY = dt.datetime(2023, 7, 5, 10, tzinfo=dt.UTC)


@pytest.fixture
def registry_only(monkeypatch):
    """Only the registry's part is built: every other part's keys must be missing."""
    monkeypatch.setattr(stats, "STATS_MODULES", ("portal.enterprises.stats",))


@pytest.fixture
def other_parts(monkeypatch):
    """The parts not built in this branch, stood in for by a module with some of their keys."""
    monkeypatch.setattr(stats, "STATS_MODULES", FAKE_PARTS)


def get_stats(client, **params):
    return client.get(reverse("api:stats"), params)


def test_the_stats_count_enterprises_registered_by_the_end_of_the_period(client):
    EnterpriseFactory(registered_on=dt.date(2015, 6, 1))
    EnterpriseFactory(registered_on=dt.date(2023, 6, 30))
    EnterpriseFactory(registered_on=dt.date(2023, 7, 1))
    EnterpriseFactory(registered_on=None)

    response = get_stats(client, **{"from": "2023-01-01", "to": "2023-06-30"})

    assert response.status_code == 200
    body = response.json()
    assert (body["from"], body["to"], body["enterprises"]) == ("2023-01-01", "2023-06-30", 3)


def test_keys_of_parts_not_built_are_absent_never_zero(client, registry_only):
    body = get_stats(client, **{"from": "2023-01-01", "to": "2023-06-30"}).json()

    for key in ("enterprise_visits", "filings", "auto_subsidy_amount", "subsidy_paid_amount"):
        assert key not in body


def test_every_key_a_part_returns_is_passed_on(client, other_parts):
    body = get_stats(client, **{"from": "2023-01-01", "to": "2023-06-30"}).json()

    assert body == {
        "from": "2023-01-01",
        "to": "2023-06-30",
        "enterprises": 0,
        "enterprise_visits": 2810,
        "problems_collected": 1043,
        "problems_resolved": 1042,
        "problem_resolution_rate": 0.999,
        "filing_avg_working_days": 1.0,
        "auto_subsidy_amount": "67645000.00",
    }


@time_machine.travel(JULY, tick=False)
def test_without_dates_the_stats_cover_the_last_complete_half_year(client):
    body = get_stats(client).json()

    assert (body["from"], body["to"]) == ("2023-01-01", "2023-06-30")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "2023-07-01", "to": "2023-06-30"}, "开始日期不能晚于结束日期。"),
        ({"from": "2023-02-30", "to": "2023-06-30"}, "开始日期“2023-02-30”不是有效日期，格式应为 YYYY-MM-DD"),
        ({"from": "2023-01-01", "to": "半年"}, "结束日期“半年”不是有效日期"),
        ({"from": "2023-01-01"}, "请同时提供开始日期（from）和结束日期（to）。"),
        ({"from": "2012-01-01", "to": "2023-06-30"}, "统计区间不能超过 10 年。"),
    ],
)
def test_a_period_that_makes_no_sense_is_a_400_with_a_chinese_message(client, params, message):
    response = get_stats(client, **params)

    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_a_span_of_exactly_ten_years_is_allowed(client):
    assert get_stats(client, **{"from": "2013-07-01", "to": "2023-07-01"}).status_code == 200


def test_the_figures_are_cached_until_the_records_change(client):
    params = {"from": "2023-01-01", "to": "2023-06-30"}
    enterprise = EnterpriseFactory(registered_on=dt.date(2024, 1, 1))
    assert get_stats(client, **params).json()["enterprises"] == 0

    # A bulk write sends no signal: only the service that makes it can say the records changed.
    Enterprise.objects.filter(pk=enterprise.pk).update(registered_on=dt.date(2020, 1, 1))
    cached = get_stats(client, **params).json()["enterprises"]
    stats.invalidate()
    fresh = get_stats(client, **params).json()["enterprises"]

    assert (cached, fresh) == (0, 1)


def test_the_stats_api_needs_no_login_and_answers_json(client):
    response = get_stats(client, **{"from": "2023-01-01", "to": "2023-06-30"})

    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("latest_days", "expected"),
    [
        # The demo: filings end in June 2023, a few awards are paid in July: the figures show H1 2023.
        ({"projects.stats": dt.date(2023, 6, 28), "subsidies.stats": dt.date(2023, 7, 18)}, "2023H1"),
        ({"projects.stats": dt.date(2024, 8, 1), "subsidies.stats": dt.date(2024, 12, 30)}, "2024H2"),
        # A part with no records yet is left out.
        ({"projects.stats": None, "subsidies.stats": dt.date(2024, 3, 1)}, "2024H1"),
        # Nothing recorded anywhere: the last complete half year.
        ({"projects.stats": None, "subsidies.stats": None}, "2026H1"),
    ],
)
def test_the_default_half_year_is_the_latest_every_part_with_records_has_reached(
    monkeypatch, latest_days, expected
):
    from importlib import import_module
    from importlib.util import find_spec

    from portal.content import figures

    for name in stats.STATS_MODULES:
        if find_spec(name) is None:
            continue
        module = import_module(name)
        if hasattr(module, "latest_day"):
            day = latest_days.get(name)
            monkeypatch.setattr(module, "latest_day", lambda *, until, day=day: day)

    assert figures.default_half_year(dt.date(2026, 8, 1)).code == expected
