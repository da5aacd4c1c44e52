"""The zone's service-performance figures for a period, gathered from each part's own records.

Each part that counts something offers a ``stats.py`` with ``figures(*, start, end) -> dict`` returning
its keys of the stats API (money as strings of 元, rates as floats 0..1). A part that is not built offers
none, and its keys are absent — never guessed. Results are cached per period under the public generation
(``portal.public_cache``): saving a record behind a figure moves it on, a service that changes such records in
bulk calls ``invalidate()``, and entries expire after ``CACHE_SECONDS`` anyway.
"""

import datetime as dt
from importlib import import_module
from importlib.util import find_spec

from django.core.cache import cache

from portal import public_cache

STATS_MODULES = (
    "portal.enterprises.stats",
    "portal.servicedesk.stats",
    "projects.stats",
    "policies.stats",
    "subsidies.stats",
)
CACHE_SECONDS = 600


def invalidate() -> None:
    """Forget every cached period and public page: the records behind the figures changed."""
    public_cache.invalidate()


def latest_day(*, until: dt.date) -> dt.date | None:
    """The last day up to ``until`` that every built part with records has reached: the earliest of their
    latest days. A period ending there has something to count in each part, so the figures shown by default
    are not one part's late entries beside the others' zeros. A part with no records yet is left out.
    """
    version = public_cache.generation()
    key = f"stats:{version}:latest:{until.isoformat()}"
    cached = cache.get(key)
    if cached is not None:
        return cached or None
    days = []
    for name in STATS_MODULES:
        if find_spec(name) is not None:
            module = import_module(name)
            if hasattr(module, "latest_day"):
                days.append(module.latest_day(until=until))
    latest = min((day for day in days if day), default=None)
    # "" caches "nothing recorded yet" (None would read as a cache miss).
    cache.set(key, latest or "", CACHE_SECONDS)
    return latest


def figures(*, start: dt.date, end: dt.date) -> dict:
    """Every figure the built parts can compute for ``start``..``end`` (both days included)."""
    version = public_cache.generation()
    key = f"stats:{version}:{start.isoformat()}:{end.isoformat()}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    result = {"from": start.isoformat(), "to": end.isoformat()}
    for name in STATS_MODULES:
        if find_spec(name) is not None:
            result.update(import_module(name).figures(start=start, end=end))
    cache.set(key, result, CACHE_SECONDS)
    return result
