"""The anonymous public pages and the stats figures come from the cache until something public changes; a
logged-in user, a visitor with messages, another language or the elderly mode never get someone else's copy,
and each visitor's forms carry their own CSRF token."""

import datetime as dt
import re
import threading
import time
from decimal import Decimal
from urllib.parse import urlencode

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from policies.services import policy_publish
from portal import public_cache
from subsidies.services import payment_batch_create, payment_batch_export, payment_batch_mark_paid
from tests.content.factories import ArticleFactory, FaqFactory, IndicatorFactory
from tests.policies.factories import PolicyFactory
from tests.subsidies.award_factories import AwardFactory

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})"')


@pytest.fixture
def public_records(db):
    return {
        "policy": PolicyFactory(status="published"),
        "article": ArticleFactory(),
        "faq": FaqFactory(),
        "indicator": IndicatorFactory(),
    }


def public_urls(records) -> list[str]:
    return [
        "/",
        "/policies/",
        reverse("policies:detail", args=[records["policy"].code]),
        "/news/",
        reverse("content:article", args=[records["article"].slug]),
        "/faq/",
        # The instant answers, fetched as the visitor types: the same words are ranked once.
        reverse("content:faq_answers") + "?" + urlencode({"q": records["faq"].question}),
        "/performance/",
        "/economy/",
        "/api/v1/stats/?from=2026-01-01&to=2026-06-30",
    ]


def without_tokens(content: bytes) -> str:
    return TOKEN.sub("", content.decode())


def test_a_second_anonymous_request_for_a_public_page_runs_no_sql(
    client, public_records, django_assert_num_queries
):
    for url in public_urls(public_records):
        first = client.get(url)
        assert first.status_code == 200, url

        with django_assert_num_queries(0):
            second = client.get(url)

        assert second.status_code == 200, url
        assert without_tokens(second.content) == without_tokens(first.content), url
        assert second["Content-Type"] == first["Content-Type"], url


class _Recorded:
    """The cache, with every call the public cache makes to it written down."""

    def __init__(self, real):
        self.real, self.calls = real, []

    def __getattr__(self, name):
        method = getattr(self.real, name)

        def recorded(*args, **kwargs):
            self.calls.append((name, args))
            return method(*args, **kwargs)

        return recorded


def test_a_kept_page_is_read_with_the_generation_in_one_round_trip(client, monkeypatch):
    client.get("/news/")
    recorded = _Recorded(cache)
    monkeypatch.setattr(public_cache, "cache", recorded)

    response = client.get("/news/")

    assert response.status_code == 200
    assert [name for name, _ in recorded.calls] == ["get_many"]
    keys = recorded.calls[0][1][0]
    assert keys[:2] == [public_cache.GENERATION_KEY, public_cache.DUE_KEY]


def test_a_copy_made_under_an_earlier_generation_is_never_served(client, rf):
    article = ArticleFactory(title="高新区举办人才招聘会")
    client.get("/news/")
    key = public_cache._key(rf.get("/news/"), by_accept=False)
    earlier, copy = cache.get(key)
    # A request that read the old rows keeps its copy after the change: under the same key, the old tag.
    article.delete()
    cache.set(key, (earlier, copy), 60)

    assert public_cache.generation() != earlier
    assert article.title not in client.get("/news/").content.decode()


def test_a_cached_page_still_carries_the_csp_and_the_frame_refusal(client):
    client.get("/")

    response = client.get("/")

    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_a_logged_in_user_never_gets_the_cached_copy(client, owner):
    client.get("/")
    client.force_login(owner)

    response = client.get("/")

    page = response.content.decode()
    assert reverse("accounts:logout") in page
    assert reverse("accounts:login") not in page


def test_what_a_logged_in_user_sees_is_never_served_to_a_visitor(client, owner):
    client.force_login(owner)
    client.get("/")

    response = Client().get("/")

    page = response.content.decode()
    assert reverse("accounts:login") in page
    assert reverse("accounts:logout") not in page


def test_a_request_with_credentials_is_neither_served_from_nor_kept_in_the_cache(
    client, django_assert_max_num_queries
):
    PolicyFactory(status="published")
    client.get("/policies/")

    with django_assert_max_num_queries(50) as queries:
        response = Client().get("/policies/", headers={"Authorization": "Basic YWRtaW46YWRtaW4="})

    assert response.status_code == 200
    assert len(queries) > 0


def test_publishing_a_policy_shows_it_on_the_next_request(client):
    policy = PolicyFactory(title="郑州高新区数字经济十条")
    assert policy.title not in client.get("/policies/").content.decode()

    policy_publish(policy=policy)

    assert policy.title in client.get("/policies/").content.decode()


def test_deleting_a_news_article_takes_it_off_the_list(client):
    article = ArticleFactory(title="高新区举办人才招聘会")
    assert article.title in client.get("/news/").content.decode()

    article.delete()

    assert article.title not in client.get("/news/").content.decode()


def test_english_and_chinese_are_cached_apart(client):
    chinese = client.get("/").content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    english = client.get("/").content.decode()

    assert '<html lang="zh-hans"' in chinese
    assert '<html lang="en"' in english
    assert "Enterprise Service Portal" in english


def test_the_elderly_mode_is_cached_apart(client):
    assert 'class="elder"' not in client.get("/").content.decode()
    client.cookies[settings.ELDER_MODE_COOKIE] = "1"

    assert 'class="elder"' in client.get("/").content.decode()


def test_each_visitor_gets_their_own_csrf_token_in_a_cached_page():
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.get("/")

    page = second.get("/").content.decode()

    tokens = TOKEN.findall(page)
    assert tokens
    assert public_cache.CSRF_PLACEHOLDER not in page
    own = second.cookies[settings.CSRF_COOKIE_NAME].value
    assert {_unmask_cipher_token(token) for token in tokens} == {own}
    assert own != first.cookies[settings.CSRF_COOKIE_NAME].value
    # The token works: the language switch on the cached page is accepted.
    response = second.post(
        reverse("set_language"), {"language": "en", "next": "/", "csrfmiddlewaretoken": tokens[0]}
    )
    assert response.status_code == 302


def test_a_visitor_s_message_is_neither_served_from_nor_kept_in_the_cache(client):
    client.get("/faq/")
    client.post(reverse("content:faq_ask"), {"text": "如何申请？", "next": "/faq/"})

    with_message = client.get("/faq/").content.decode()
    others = Client().get("/faq/").content.decode()

    assert settings.SERVICE_HOTLINE in with_message and 'class="messages"' in with_message
    assert 'class="messages"' not in others


def test_the_stats_figures_change_after_a_payment(client, staff):
    url = "/api/v1/stats/?from=2026-11-01&to=2026-11-30"
    award = AwardFactory(status="confirmed", amount=Decimal("2500.00"))
    award.bank_name, award.bank_account_name, award.bank_account = (
        "中国银行",
        award.enterprise.name,
        "6216610200016587",
    )
    award.save()
    batch = payment_batch_create(awards=[award], user=staff, title="第一批")
    payment_batch_export(batch=batch, fmt="csv", user=staff)
    before = client.get(url).json()

    payment_batch_mark_paid(batch=batch, user=staff, reference="HD20261118001")

    after = client.get(url).json()
    assert Decimal(after["subsidy_paid_amount"]) == Decimal(before["subsidy_paid_amount"]) + Decimal(
        "2500.00"
    )


def test_a_post_is_never_answered_from_the_cache(client):
    client.get("/faq/")

    response = client.post("/faq/")

    assert response.status_code == 405


def test_a_transaction_moves_the_generation_again_once_when_it_commits(django_capture_on_commit_callbacks):
    start = public_cache.generation()

    with django_capture_on_commit_callbacks() as callbacks:
        FaqFactory()
        FaqFactory()
        moved = public_cache.generation()

    assert moved > start
    assert callbacks == [public_cache._bump]
    callbacks[0]()
    assert public_cache.generation() == moved + 1


def test_a_lost_generation_starts_again_above_every_earlier_value():
    from django.core.cache import cache

    earlier = public_cache.generation()
    cache.delete(public_cache.GENERATION_KEY)

    assert public_cache.generation() > earlier


def test_the_page_cache_is_off_when_its_lifetime_is_zero(client, settings, django_assert_max_num_queries):
    settings.PUBLIC_CACHE_SECONDS = 0
    client.get("/policies/")

    with pytest.raises(pytest.fail.Exception), django_assert_max_num_queries(0):
        client.get("/policies/")


def test_the_day_is_part_of_the_key(rf):
    today = public_cache._key(rf.get("/"), by_accept=False)
    with time_machine.travel(dt.datetime(2026, 11, 19, 10, tzinfo=dt.UTC), tick=False):
        tomorrow = public_cache._key(rf.get("/"), by_accept=False)

    assert today != tomorrow


def test_an_unreachable_cache_neither_refuses_a_page_nor_a_save(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }

    article = ArticleFactory(title="高新区举办人才招聘会")

    assert article.title in client.get("/news/").content.decode()


def test_an_article_published_for_later_appears_at_its_time_not_a_lifetime_after(client):
    now = timezone.now()
    ArticleFactory(title="定时发布的通知", publish_at=now + dt.timedelta(minutes=2))
    assert "定时发布的通知" not in client.get("/news/").content.decode()

    with time_machine.travel(now + dt.timedelta(minutes=2, seconds=1), tick=False):
        assert "定时发布的通知" in client.get("/news/").content.decode()
        # The next moment is found once; the page is cached again until something changes.
        assert public_cache.generation() == public_cache.generation()


def test_the_catalogue_filter_choices_are_kept_until_a_policy_changes(client, owner):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    PolicyFactory(status="published", published_on=dt.date(2022, 5, 1))
    client.force_login(owner)  # a logged-in page: never the cached copy, but the kept choices
    client.get("/policies/")

    with CaptureQueriesContext(connection) as queries:
        client.get("/policies/")
    assert not [q for q in queries.captured_queries if "DISTINCT" in q["sql"]]

    later = PolicyFactory(status="published", published_on=dt.date(2019, 3, 1))
    page = client.get("/policies/").content.decode()

    assert 'value="2019"' in page
    assert later.department.name in page


# A public change sends every visitor to pages nobody has kept yet: one request makes each page, the others
# asking for it meanwhile are served its copy.


def _slow_page(*, keep: bool = True):
    """A cached view that holds until released, counting how often it is made."""
    started, release, made = threading.Event(), threading.Event(), []

    def page(request):
        made.append(request.path)
        started.set()
        release.wait(5)
        response = HttpResponse("<p>政策目录</p>")
        if not keep:
            response.set_cookie("visited", "1")  # a page that sets a cookie is never kept
        return response

    return public_cache.cache_public(page), started, release, made


def _in_thread(view, request) -> tuple[threading.Thread, dict]:
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("response", view(request)))
    thread.start()
    return thread, result


def test_visitors_asking_for_a_page_being_made_are_served_its_copy(rf):
    view, started, release, made = _slow_page()
    thread, first = _in_thread(view, rf.get("/slow/"))
    assert started.wait(5)

    threading.Timer(0.1, release.set).start()
    second = view(rf.get("/slow/"))
    thread.join(5)

    assert made == ["/slow/"]
    assert second.status_code == 200
    assert second.content == first["response"].content == "<p>政策目录</p>".encode()


def test_a_page_its_maker_could_not_keep_is_made_again_once_it_is_done(rf):
    view, started, release, made = _slow_page(keep=False)
    thread, _ = _in_thread(view, rf.get("/slow/"))
    assert started.wait(5)

    threading.Timer(0.1, release.set).start()
    began = time.monotonic()
    second = view(rf.get("/slow/"))
    thread.join(5)

    # Served as soon as the first request ended without a copy, not after the longest wait.
    assert made == ["/slow/", "/slow/"]
    assert second.status_code == 200
    assert time.monotonic() - began < public_cache.WAIT_SECONDS


def test_a_maker_that_never_finishes_keeps_nobody_waiting_past_the_limit(rf, monkeypatch):
    monkeypatch.setattr(public_cache, "WAIT_SECONDS", 0.2)
    view, _, release, made = _slow_page()
    release.set()
    request = rf.get("/slow/")
    # A request that died while making the page left its mark behind.
    key = public_cache._key(request, by_accept=False)
    cache.add(public_cache._making_key(key, public_cache.generation()), 1, 60)

    began = time.monotonic()
    response = view(request)

    assert made == ["/slow/"]
    assert response.status_code == 200
    assert 0.2 <= time.monotonic() - began < 2


def test_figures_asked_for_while_they_are_computed_are_computed_once():
    started, release, computed = threading.Event(), threading.Event(), []

    def figures():
        computed.append(1)
        started.set()
        release.wait(5)
        return {"visits": 12}

    result = {}
    thread = threading.Thread(
        target=lambda: result.setdefault("first", public_cache.remember("figures", figures))
    )
    thread.start()
    assert started.wait(5)
    threading.Timer(0.1, release.set).start()
    second = public_cache.remember("figures", figures)
    thread.join(5)

    assert computed == [1]
    assert second == result["first"] == {"visits": 12}
