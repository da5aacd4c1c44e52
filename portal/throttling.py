"""Abuse limits: DRF throttles for the API and one cache-backed limit for the HTML forms.

Both read their rates from ``settings.THROTTLE_RATES`` ("N/s", "N/min", "N/hour", "N/day") at request time,
so a test can lower one; both count per user when logged in, else per client address, in fixed windows
(one counter per scope, client and period, ``hit``) in the shared cache (Redis in production, so every web
process counts together). A refusal is a 429 in Chinese with
``Retry-After``, on the API as ``{"detail": ...}`` and on a page inside the site frame.
"""

import math
import time

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from rest_framework import throttling

from portal.cache import RedisCache
from portal.middleware import refusal

# A period by its first letter, as DRF reads rates: "30/min", "30/minute" and "30/m" are the same.
PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str | None) -> tuple[int, int] | None:
    """ "30/min" -> (30, 60); None or "" means no limit."""
    if not rate:
        return None
    count, period = rate.split("/")
    return int(count), PERIODS[period[0]]


def throttled_message(wait: int) -> str:
    return _("操作过于频繁，请在 %(seconds)s 秒后再试。如需大量查询，请联系服务热线 %(hotline)s。") % {
        "seconds": wait,
        "hotline": settings.SERVICE_HOTLINE,
    }


def client_ident(request: HttpRequest) -> str:
    """Whom a request counts against: the user when logged in, else the client's address.

    The address is REMOTE_ADDR unless ``TRUSTED_PROXY_COUNT`` proxies stand in front; then it is the
    address the outermost trusted proxy saw (a client cannot choose it by sending X-Forwarded-For).
    """
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return f"addr:{hops[-min(proxies, len(hops))]}"
    return f"addr:{request.META.get('REMOTE_ADDR', '')}"


def hit(*, scope: str, ident: str) -> int:
    """Count one request against the scope's limit; 0 when allowed, else the seconds until the window ends.

    A fixed window per (scope, who): one atomic increment in the cache, no read-modify-write race.
    """
    limit = parse_rate(settings.THROTTLE_RATES.get(scope))
    if limit is None:
        return 0
    count, period = limit
    now = time.time()
    window = int(now // period)
    key = f"throttle:{scope}:{ident}:{window}"
    used = _count(key, timeout=period + 1)
    if used <= count:
        return 0
    return max(1, math.ceil((window + 1) * period - now))


def _count(key: str, *, timeout: int) -> int:
    """One more in the counter ``key``, which starts at 0 and lasts ``timeout`` seconds: in one round trip
    on the portal's Redis backend, else (the tests' local memory) by ``add`` and ``incr``."""
    backend = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(backend, RedisCache):
        return backend.count(key, timeout)
    backend.add(key, 0, timeout=timeout)
    try:
        return backend.incr(key)
    except ValueError:  # evicted between add and incr
        backend.set(key, 1, timeout=timeout)
        return 1


def too_many_requests(request: HttpRequest, wait: int) -> HttpResponse:
    response = refusal(request, status=429, title=_("请求过于频繁"), message=throttled_message(wait))
    response["Retry-After"] = str(wait)
    return response


def _has_query(request: HttpRequest) -> bool:
    return bool(request.GET.get("q", "").strip())


def _posted(request: HttpRequest) -> bool:
    return request.method == "POST"


def _always(request: HttpRequest) -> bool:
    return True


# Which pages are limited, under which scope, and for which requests. Reading a page is never limited
# here (the DRF throttles and the web server's own limits cover bulk reading); submitting and searching are.
LIMITED_PAGES = {
    "accounts:login": ("login", _posted),
    "residents:login": ("login", _posted),
    "residents:login_code": ("login", _posted),
    "residents:login_identity": ("login", _posted),
    "oidc:start": ("login", _always),
    "subsidies:calculator": ("calculator", _posted),
    "content:faq_answers": ("faq_answers", _always),
    "content:faq_feedback": ("faq_vote", _posted),
    "content:faq": ("search", _has_query),
    "content:news": ("search", _has_query),
    "policies:list": ("search", _has_query),
    "subsidies:publicity-scheme": ("search", _has_query),
}


class FormRateLimitMiddleware:
    """The cache-backed limit on the HTML forms named in ``LIMITED_PAGES``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        limited = LIMITED_PAGES.get(match.view_name) if match is not None else None
        if limited is None:
            return None
        scope, applies = limited
        if not applies(request):
            return None
        wait = hit(scope=scope, ident=client_ident(request))
        return too_many_requests(request, wait) if wait else None


class _RateFromSettings:
    """Read the rate when asked, from ``settings.THROTTLE_RATES`` (DRF reads its own once, at import), and
    count as the form limit does (``hit``): one atomic increment in a fixed window. DRF's own throttles keep
    the time of every request in the window in a list, read and written back whole on each request: work
    that grows with the limit, and two processes writing at once lose a count."""

    wait_seconds = 0

    def get_rate(self):
        return settings.THROTTLE_RATES.get(self.scope)

    def get_ident(self, request):
        return client_ident(request).removeprefix("addr:")

    def allow_request(self, request, view):
        if not self.scope:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        self.wait_seconds = hit(scope=self.scope, ident=key)
        return not self.wait_seconds

    def wait(self):
        return self.wait_seconds


class AnonThrottle(_RateFromSettings, throttling.AnonRateThrottle):
    pass


class UserThrottle(_RateFromSettings, throttling.UserRateThrottle):
    """The limit of a logged-in user; anonymous calls count against the anonymous limit alone (DRF's would
    count them here too, by address: a second counter, and a second round trip, for every anonymous call)."""

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)


class ScopedThrottle(_RateFromSettings, throttling.ScopedRateThrottle):
    """Throttles a view that names a ``throttle_scope`` (calculator, search) on top of anon / user."""

    scope = None

    def allow_request(self, request, view):
        self.scope = getattr(view, self.scope_attr, None)
        return super().allow_request(request, view)
