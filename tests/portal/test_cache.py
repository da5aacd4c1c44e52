"""The Redis cache backend keeps one client per connection pool and behaves as Django's does."""

import os
import re

import pytest
import redis
from django.conf import settings

from portal.cache import RedisCache


@pytest.fixture
def backend():
    # The Redis the settings name, or the local one; a database of its own, emptied after.
    url = re.sub(r"/\d*$", "", settings.REDIS_URL or "redis://127.0.0.1:6379/0") + "/13"
    try:
        redis.Redis.from_url(url).ping()
    except redis.ConnectionError:
        pytest.skip("needs a Redis server (REDIS_URL or 127.0.0.1:6379)")
    cache = RedisCache(url, {"KEY_PREFIX": f"test-cache-{os.getpid()}"})
    yield cache
    cache.clear()


def test_one_client_serves_every_operation(backend):
    client = backend._cache.get_client()

    backend.set("page", {"html": "<p>政策</p>"}, 60)

    assert backend._cache.get_client(write=True) is client
    assert backend.get("page") == {"html": "<p>政策</p>"}
    assert backend.get_many(["page", "absent"]) == {"page": {"html": "<p>政策</p>"}}


def test_counters_and_expiry_behave_as_djangos(backend):
    assert backend.add("generation", 7, None)
    assert not backend.add("generation", 8, None)
    assert backend.incr("generation") == 8
    backend.set("gone", "x", 0)

    assert backend.get("gone") is None
    assert backend.delete("generation")
    assert backend.get("generation", "default") == "default"
