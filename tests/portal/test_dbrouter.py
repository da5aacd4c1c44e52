"""Public reads on the replica: which requests may read there, and proof on a real streaming replica."""

import time

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.models import Session
from django.db import connections, transaction
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse

from policies.models import Policy
from portal import dbrouter
from portal.content.models import Faq, FaqFeedback

router = dbrouter.ReplicaRouter()


@pytest.fixture
def replica_on(monkeypatch):
    """As if DATABASE_REPLICA_URL were set: the router may choose the replica (no query is run here)."""
    monkeypatch.setattr(dbrouter, "replica_configured", lambda: True)


def _serve(request, then=None) -> list[str]:
    """Runs the request through the middleware; the 'view' asks the router where a policy read goes."""
    seen = []

    def view(request):
        seen.append(router.db_for_read(Policy))
        if then is not None:
            then()
            seen.append(router.db_for_read(Policy))
        return None

    _through_middleware(request, view)
    return seen


def _through_middleware(request, view) -> None:
    """What Django's handler does: the middleware's call, its process_view, then the view."""

    def handler(request):
        middleware.process_view(request, view, (), {})
        return view(request)

    middleware = dbrouter.ReplicaReadsMiddleware(handler)
    request.resolver_match = resolve(request.path)
    middleware(request)


def _anonymous_get(path):
    request = RequestFactory().get(path)
    request.user = AnonymousUser()
    return request


def test_an_anonymous_read_of_a_public_page_goes_to_the_replica(replica_on):
    assert _serve(_anonymous_get("/policies/")) == ["replica"]
    assert _serve(_anonymous_get("/api/v1/policies/")) == ["replica"]
    assert _serve(_anonymous_get("/")) == ["replica"]


def test_a_logged_in_visitor_reads_the_primary(replica_on, django_user_model):
    request = RequestFactory().get("/policies/")
    request.user = django_user_model(username="someone")
    assert _serve(request) == ["default"]


def test_an_api_client_signing_in_with_basic_auth_reads_the_primary(replica_on):
    request = _anonymous_get("/api/v1/policies/")
    request.META["HTTP_AUTHORIZATION"] = "Basic c3RhZmY6c2VjcmV0"
    assert _serve(request) == ["default"]


def test_a_post_to_a_public_page_reads_the_primary(replica_on):
    request = RequestFactory().post("/faq/1/feedback/", {"helpful": "1"})
    request.user = AnonymousUser()
    assert _serve(request) == ["default"]


def test_a_page_outside_the_public_list_reads_the_primary(replica_on):
    assert _serve(_anonymous_get("/me/awards/")) == ["default"]
    assert _serve(_anonymous_get("/admin/")) == ["default"]


def test_after_a_write_the_same_request_reads_the_primary(replica_on):
    def write():
        assert router.db_for_write(Faq) == "default"

    assert _serve(_anonymous_get("/faq/"), then=write) == ["replica", "default"]


def test_sessions_are_read_on_the_primary_even_in_a_public_request(replica_on):
    seen = []

    def view(request):
        seen.append(router.db_for_read(Session))
        return None

    _through_middleware(_anonymous_get("/policies/"), view)
    assert seen == ["default"]


@pytest.mark.django_db(transaction=True)
def test_a_read_inside_a_transaction_goes_to_the_primary(replica_on):
    def in_transaction():
        with transaction.atomic():
            assert router.db_for_read(Policy) == "default"

    assert _serve(_anonymous_get("/news/"), then=in_transaction) == ["replica", "replica"]


def test_outside_a_request_everything_reads_the_primary(replica_on):
    _serve(_anonymous_get("/policies/"))
    assert router.db_for_read(Policy) == "default"


def test_without_a_replica_public_reads_stay_on_the_primary():
    assert _serve(_anonymous_get("/policies/")) == ["default"]


def test_migrations_run_on_the_primary_only():
    assert router.allow_migrate("default", "policies") is True
    assert router.allow_migrate("replica", "policies") is False


# ---- on a real streaming replica (CI's PostgreSQL pass starts one on 127.0.0.1:5433) -----------------------


def _wait_for_replica() -> None:
    """Waits until the replica has replayed everything the primary has written so far."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        (lsn,) = cursor.fetchone()
    deadline = time.monotonic() + 30
    with connections["replica"].cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])
            if cursor.fetchone()[0]:
                return
            assert time.monotonic() < deadline, "the replica did not catch up within 30 s"
            time.sleep(0.05)


def _tables(queries) -> str:
    return "\n".join(q["sql"] for q in queries)


def _writes(queries) -> list[str]:
    verbs = ("INSERT", "UPDATE", "DELETE")
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(verbs)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_public_pages_read_from_the_streaming_replica_and_writes_never_go_there(client, owner):
    from tests.content.factories import FaqFactory
    from tests.policies.factories import PolicyFactory

    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone() == (True,)
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone() == (False,)

    policy = PolicyFactory(title="复制库上可读的政策", status="published")
    faq = FaqFactory(question="复制库上的问题？")
    _wait_for_replica()

    # An anonymous visitor: the page and the API list are read on the replica, nothing on the primary.
    for url in (reverse("policies:list"), reverse("api:policy-list"), policy.get_absolute_url()):
        with (
            CaptureQueriesContext(connections["default"]) as primary,
            CaptureQueriesContext(connections["replica"]) as replica,
        ):
            response = client.get(url)
        assert response.status_code == 200
        assert "复制库上可读的政策" in response.content.decode()
        assert "policies_policy" in _tables(replica.captured_queries)
        assert primary.captured_queries == []

    # A write by the same visitor goes to the primary, and the replica sees no statement of it.
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica"]) as replica,
    ):
        response = client.post(reverse("content:faq_feedback", args=[faq.pk]), {"helpful": "1"})
    assert response.status_code == 302
    assert replica.captured_queries == []
    assert _writes(primary.captured_queries) != []
    assert FaqFeedback.objects.filter(faq=faq, helpful=True).count() == 1

    # A logged-in enterprise reads everything on the primary, public pages included.
    client.force_login(owner)
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica"]) as replica,
    ):
        response = client.get(reverse("policies:list"))
    assert response.status_code == 200
    assert "复制库上可读的政策" in response.content.decode()
    assert replica.captured_queries == []
    assert "policies_policy" in _tables(primary.captured_queries)
