import datetime as dt
import os
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import settings as hypothesis_settings

# Property tests: the same examples on every CI run (derandomized, so a failure reproduces), fresh random
# ones in development. Each test bounds its own max_examples.
hypothesis_settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
hypothesis_settings.register_profile("dev", deadline=None)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "dev")


def pytest_collection_modifyitems(config, items):
    """Tests marked for PostgreSQL or a real worker are skipped where the set-up does not provide them."""
    from django.conf import settings
    from django.db import connection

    on_postgres = connection.vendor == "postgresql"
    has_replica = "replica" in settings.DATABASES
    has_worker = bool(settings.REDIS_URL) and os.environ.get("CELERY_TEST_WORKER") == "1"
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (DATABASE_URL)"))
        if _reads_replica(item) and not has_replica:
            item.add_marker(pytest.mark.skip(reason="needs a streaming replica (DATABASE_REPLICA_URL)"))
        if "worker" in item.keywords and not has_worker:
            item.add_marker(
                pytest.mark.skip(reason="needs Redis and a Celery worker (REDIS_URL, CELERY_TEST_WORKER=1)")
            )


def _reads_replica(item) -> bool:
    marker = item.get_closest_marker("django_db")
    return marker is not None and "replica" in (marker.kwargs.get("databases") or ())


@pytest.fixture(autouse=True)
def _replica_reads(request, settings):
    """Public pages read from the replica only in the tests that declare it among their databases."""
    settings.DATABASE_REPLICA_READS = _reads_replica(request.node)


def pytest_sessionfinish(session, exitstatus):
    """With ``PORTAL_NO_SKIPS=1`` (CI's PostgreSQL + worker pass) a skipped test fails the run."""
    if os.environ.get("PORTAL_NO_SKIPS") != "1" or exitstatus != 0:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if skipped:
        reporter.write_line(f"PORTAL_NO_SKIPS: {len(skipped)} skipped; this pass must run every test.")
        for report in skipped[:20]:
            reporter.write_line(f"  skipped: {report.nodeid}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# The suite's own "now": a Wednesday in a year whose holidays the calendar package knows, on a clock that
# ticks. Every test sees the same dates whatever the wall clock says (CI runs the suite again with the
# clock moved to the next year's boundaries to prove it); a test that needs another moment travels there.
SUITE_NOW = dt.datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _suite_clock():
    with time_machine.travel(SUITE_NOW, tick=True):
        yield


@pytest.fixture(autouse=True)
def _celery_mode(request):
    """Tasks run in-process, except in tests marked ``worker``, which go through Redis to a real worker."""
    from portal.celery import app

    eager = request.node.get_closest_marker("worker") is None
    before = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager = eager or before[0]
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


@pytest.fixture
def celery_worker(transactional_db):
    """A real Celery worker consuming from Redis in a thread of this process (same test database)."""
    from celery.contrib.testing.worker import start_worker

    from portal.celery import app

    app.conf.task_always_eager = False
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30) as worker:
        yield worker


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Hash test passwords cheaply: the default hasher costs most of a second per user."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the portal's language: a request in English leaves English active in the thread."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _new_key_prefix(settings) -> None:
    import uuid

    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Each test starts with an empty cache: a new key prefix, so a shared Redis is never flushed."""
    _new_key_prefix(settings)
    from django.core.cache import cache

    if "locmem" in settings.CACHES["default"]["BACKEND"].lower():
        cache.clear()


@pytest.fixture
def empty_cache(settings):
    """Called, the test goes on with an empty cache (a new key prefix, as each test starts with): to
    measure a page with nothing kept, its worst case."""
    return lambda: _new_key_prefix(settings)


@pytest.fixture
def enterprise(db):
    from tests.factories import EnterpriseFactory

    return EnterpriseFactory()


@pytest.fixture
def owner(db, enterprise):
    from tests.factories import EnterpriseUserFactory

    return EnterpriseUserFactory(enterprise=enterprise, username=enterprise.uscc)


@pytest.fixture
def staff(db):
    from tests.factories import StaffFactory

    return StaffFactory(is_superuser=True)
