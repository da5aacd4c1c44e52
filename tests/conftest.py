import os

import pytest
from hypothesis import settings

# Property tests: the same examples on every CI run (derandomized, so a failure reproduces), fresh random
# ones in development. Each test bounds its own max_examples.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def pytest_collection_modifyitems(config, items):
    """Tests marked for PostgreSQL or a real worker are skipped where the set-up does not provide them."""
    from django.conf import settings
    from django.db import connection

    on_postgres = connection.vendor == "postgresql"
    has_worker = bool(settings.REDIS_URL) and os.environ.get("CELERY_TEST_WORKER") == "1"
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (DATABASE_URL)"))
        if "worker" in item.keywords and not has_worker:
            item.add_marker(
                pytest.mark.skip(reason="needs Redis and a Celery worker (REDIS_URL, CELERY_TEST_WORKER=1)")
            )


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


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Each test starts with an empty cache: a new key prefix, so a shared Redis is never flushed."""
    import uuid

    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}
    from django.core.cache import cache

    if "locmem" in settings.CACHES["default"]["BACKEND"].lower():
        cache.clear()


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
