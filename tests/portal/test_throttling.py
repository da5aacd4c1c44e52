"""Abuse limits: a burst of anonymous calls to the calculator, the FAQ, search or login is refused with a 429.

Rates are settings; each test lowers the one it exceeds (and the suite's cache is fresh in every test).
Time stands still in the middle of a minute, so a count never straddles two windows.
"""

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tests.content.factories import FaqFactory
from tests.factories import EnterpriseUserFactory
from tests.policies.factories import PolicyFactory

pytestmark = pytest.mark.django_db

REFUSED = "操作过于频繁，请在"


@pytest.fixture(autouse=True)
def still(time_machine):
    time_machine.move_to(dt.datetime(2026, 3, 2, 10, 0, 20, tzinfo=dt.UTC), tick=False)
    return time_machine


@pytest.fixture
def rates(settings):
    """Lower the limits to a handful, so a test exceeds them in a few calls."""

    def lower(**changed):
        settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, **changed}

    return lower


def _statuses(calls) -> list[int]:
    return [call().status_code for call in calls]


def test_the_calculator_api_refuses_the_fourth_call_of_a_minute_with_a_chinese_429(rates):
    rates(calculator="3/min")
    api = APIClient()

    statuses = _statuses([lambda: api.post("/api/v1/calculator/", {}, format="json")] * 4)
    refused = api.post("/api/v1/calculator/", {}, format="json")

    assert statuses == [200, 200, 200, 429]
    assert refused.status_code == 429
    assert refused.json()["detail"].startswith(REFUSED)
    assert 1 <= int(refused["Retry-After"]) <= 60


def test_the_form_limit_lifts_when_its_minute_ends(client, rates, still):
    rates(calculator="1/min")
    first = client.post("/calculator/", {"age_years": "3"})
    refused = client.post("/calculator/", {"age_years": "3"})

    still.shift(40)
    later = client.post("/calculator/", {"age_years": "3"})

    assert (first.status_code, refused.status_code, later.status_code) == (200, 429, 200)
    assert refused["Retry-After"] == "40"


def test_the_api_limit_counts_in_the_same_minute_windows_as_the_forms(rates, still):
    # One counter per client and minute, as the forms have: refused until the minute ends, then served.
    rates(anon="2/min")
    api = APIClient()

    statuses = _statuses([lambda: api.get("/api/v1/policies/")] * 3)
    refused = api.get("/api/v1/policies/")
    still.shift(40)
    later = api.get("/api/v1/policies/")

    assert statuses == [200, 200, 429]
    assert refused["Retry-After"] == "40"
    assert later.status_code == 200


def test_the_default_limits_refuse_the_findings_burst_on_the_calculator_api():
    api = APIClient()

    statuses = _statuses([lambda: api.post("/api/v1/calculator/", {}, format="json")] * 40)

    assert statuses.count(200) == 30
    assert statuses[30:] == [429] * 10


def test_the_policy_api_limits_searches_but_not_plain_listing(rates):
    rates(search="2/min")
    PolicyFactory(code="rd", title="研发投入补助", status="published")
    api = APIClient()

    searches = _statuses([lambda: api.get("/api/v1/policies/?q=研发")] * 3)
    listing = _statuses([lambda: api.get("/api/v1/policies/")] * 3)

    assert searches == [200, 200, 429]
    assert listing == [200, 200, 200]


def test_every_anonymous_api_call_counts_against_the_anonymous_limit(rates):
    rates(anon="3/min")
    api = APIClient()

    assert _statuses([lambda: api.get("/api/v1/policies/")] * 4) == [200, 200, 200, 429]


def test_anonymous_calls_count_against_the_anonymous_limit_alone_and_users_against_theirs(rates):
    rates(anon="5/min", user="2/min")
    anonymous, member = APIClient(), APIClient()
    member.force_authenticate(EnterpriseUserFactory())

    assert _statuses([lambda: anonymous.get("/api/v1/policies/")] * 4) == [200] * 4
    assert _statuses([lambda: member.get("/api/v1/policies/")] * 3) == [200, 200, 429]


@pytest.mark.parametrize("rate", ["2/min", "2/minute", "2/m"])
def test_rates_are_read_as_drf_reads_them_whatever_the_period_is_spelled(rates, rate):
    rates(anon=rate)
    api = APIClient()

    assert _statuses([lambda: api.get("/api/v1/policies/")] * 3) == [200, 200, 429]


def test_a_forged_forwarded_for_header_does_not_reset_the_count(rates):
    rates(anon="2/min")
    api = APIClient()

    forged = ["10.0.0.1", "10.0.0.2", "10.0.0.3"]
    statuses = [api.get("/api/v1/policies/", HTTP_X_FORWARDED_FOR=address).status_code for address in forged]

    assert statuses == [200, 200, 429]


def test_behind_a_trusted_proxy_each_client_address_counts_apart(rates, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    rates(anon="1/min")
    api = APIClient()

    first = api.get("/api/v1/policies/", HTTP_X_FORWARDED_FOR="203.0.113.7").status_code
    again = api.get("/api/v1/policies/", HTTP_X_FORWARDED_FOR="203.0.113.7").status_code
    other = api.get("/api/v1/policies/", HTTP_X_FORWARDED_FOR="198.51.100.9").status_code

    assert (first, again, other) == (200, 429, 200)


def test_the_calculator_form_refuses_a_burst_inside_the_site_frame(client, rates):
    rates(calculator="2/min")

    statuses = _statuses([lambda: client.post("/calculator/", {"age_years": "3"})] * 3)
    refused = client.post("/calculator/", {"age_years": "3"})
    body = refused.content.decode()

    assert statuses == [200, 200, 429]
    assert refused.status_code == 429
    assert '<header class="site-header"' in body
    assert REFUSED in body
    assert "0371-12345" in body
    assert 1 <= int(refused["Retry-After"]) <= 60


def test_reading_the_calculator_form_is_not_limited(client, rates):
    rates(calculator="1/min")

    assert _statuses([lambda: client.get("/calculator/")] * 3) == [200, 200, 200]


def test_the_login_form_refuses_a_burst_of_posts(client, rates):
    rates(login="3/min")
    url = reverse("accounts:login")

    statuses = _statuses([lambda: client.post(url, {"username": "x", "password": "wrong"})] * 4)

    assert statuses == [200, 200, 200, 429]


def test_the_faq_answers_refuse_a_burst_but_a_person_typing_is_served(client):
    typing = _statuses([lambda: client.get("/faq/answers/?q=营业执照")] * 60)
    burst = _statuses([lambda: client.get("/faq/answers/?q=营业执照")] * 80)

    assert typing == [200] * 60
    assert burst.count(200) == 60
    assert burst[60:] == [429] * 20


def test_policy_and_faq_search_pages_share_the_search_limit(client, rates):
    rates(search="2/min")

    statuses = [
        client.get("/policies/?q=研发").status_code,
        client.get("/faq/?q=研发").status_code,
        client.get("/news/?q=研发").status_code,
        client.get("/policies/").status_code,
    ]

    assert statuses == [200, 200, 429, 200]


def test_faq_votes_are_limited(client, rates):
    rates(faq_vote="2/min")
    faq = FaqFactory()
    url = reverse("content:faq_feedback", args=[faq.pk])

    assert _statuses([lambda: client.post(url, {"helpful": "1"})] * 3) == [302, 302, 429]


def test_anonymous_faq_votes_create_no_session_rows():
    faq = FaqFactory()
    url = reverse("content:faq_feedback", args=[faq.pk])

    for _ in range(20):
        Client().post(url, {"helpful": "1"})

    assert Session.objects.count() == 0
    assert faq.feedback.count() == 20


def test_a_tampered_voter_cookie_starts_a_new_voter_instead_of_failing(client):
    faq = FaqFactory()
    client.cookies["faq_voter"] = "forged:value"

    response = client.post(reverse("content:faq_feedback", args=[faq.pk]), {"helpful": "0"})

    assert response.status_code == 302
    assert faq.feedback.get().session_key != "forged:value"
