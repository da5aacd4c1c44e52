"""The Redis cache backend keeps one client per connection pool and behaves as Django's does."""

import os
import re

import pytest
from django.conf import settings

from portal.cache import RedisCache

# The pass against Redis (REDIS_URL, as CI's second pass sets it) runs the operations; without it the
# cache is local memory and this backend is not in use.
needs_redis = pytest.mark.skipif(
    not settings.REDIS_URL, reason="the cache is Redis only when REDIS_URL is set"
)


def _backend() -> RedisCache:
    # A database of its own on the Redis the settings name (or the local one), and a prefix of its own.
    url = re.sub(r"/\d*$", "", settings.REDIS_URL or "redis://127.0.0.1:6379/0") + "/13"
    return RedisCache(url, {"KEY_PREFIX": f"test-cache-{os.getpid()}"})


def test_one_client_serves_every_operation():
    # Making a client opens no connection: this holds without a server.
    cache = _backend()._cache

    assert cache.get_client() is cache.get_client(write=True) is cache.get_client("any-key")


@needs_redis
def test_values_counters_and_expiry_behave_as_djangos():
    backend = _backend()
    try:
        backend.set("page", {"html": "<p>政策</p>"}, 60)
        assert backend.get("page") == {"html": "<p>政策</p>"}
        assert backend.get_many(["page", "absent"]) == {"page": {"html": "<p>政策</p>"}}
        assert backend.add("generation", 7, None)
        assert not backend.add("generation", 8, None)
        assert backend.incr("generation") == 8
        backend.set("gone", "x", 0)
        assert backend.get("gone") is None
        assert backend.delete("generation")
        assert backend.get("generation", "default") == "default"
    finally:
        backend.clear()
