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


@needs_redis
def test_a_counter_counts_in_one_round_trip_and_expires(monkeypatch):
    backend = _backend()
    client = backend._cache.get_client(write=True)
    sent = []
    monkeypatch.setattr(
        type(client.connection_pool), "get_connection", _counting(type(client.connection_pool), sent)
    )
    try:
        counts = [backend.count("throttle:search:addr:10.0.0.1:1", 61) for _ in range(3)]
        taken = len(sent)
        ttl = client.ttl(backend.make_and_validate_key("throttle:search:addr:10.0.0.1:1"))

        assert counts == [1, 2, 3]
        assert taken == 3  # one connection taken from the pool per count: one round trip each
        assert 0 < ttl <= 61
        # The same counter Django's own operations read, as a plain number.
        assert backend.get("throttle:search:addr:10.0.0.1:1") == 3
    finally:
        backend.clear()


def _counting(pool_class, sent):
    original = pool_class.get_connection

    def get_connection(self, *args, **kwargs):
        sent.append(args)
        return original(self, *args, **kwargs)

    return get_connection
