"""Who is asking and from where: the client address behind the configured proxies, login limits, the trail.

django-axes locks an account after ``AXES_FAILURE_LIMIT`` failures whatever the address; this module adds
the per-address limit, the Chinese lockout page and the receivers that write the security trail.
"""

import datetime as dt
import ipaddress

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone


def client_ip(request) -> str | None:
    """The client's address: ``REMOTE_ADDR``, or ``TRUSTED_PROXY_COUNT`` hops back in X-Forwarded-For.

    Each trusted proxy appends the address it received the request from, so with N proxies in front the
    client is the N-th entry from the right; entries further left are whatever the client chose to send.
    """
    address = request.META.get("REMOTE_ADDR") or None
    hops = settings.TRUSTED_PROXY_COUNT
    if hops > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= hops:
            address = forwarded[-hops]
    try:
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        return None


def _address_key(address: str | None) -> str:
    return f"login-failures:address:{address or 'unknown'}"


def address_failures(address: str | None) -> dict:
    """Failed logins from one address within the window: {"count": n, "last": datetime | None}."""
    return cache.get(_address_key(address)) or {"count": 0, "last": None}


def address_failure_add(address: str | None) -> None:
    seen = address_failures(address)
    window = settings.LOGIN_ADDRESS_WINDOW.total_seconds()
    cache.set(_address_key(address), {"count": seen["count"] + 1, "last": timezone.now()}, timeout=window)


def address_unlocks_at(address: str | None) -> dt.datetime | None:
    """When an address over its limit may try again; None while it is under the limit."""
    seen = address_failures(address)
    if seen["count"] < settings.LOGIN_ADDRESS_FAILURE_LIMIT or seen["last"] is None:
        return None
    return seen["last"] + settings.LOGIN_ADDRESS_WINDOW


def account_failures(request, username: str) -> int:
    from axes.handlers.proxy import AxesProxyHandler

    return AxesProxyHandler.get_failures(request, {"username": username})


def account_unlocks_at(username: str) -> dt.datetime | None:
    """When a locked account may log in again (the last failure plus the cool-off); None if not locked."""
    from axes.models import AccessAttempt

    attempt = (
        AccessAttempt.objects.filter(username=username, failures_since_start__gte=settings.AXES_FAILURE_LIMIT)
        .order_by("-attempt_time")
        .first()
    )
    if attempt is None:
        return None
    return attempt.attempt_time + dt.timedelta(minutes=settings.AXES_COOLOFF_MINUTES)


class AddressLimitBackend:
    """Refuses every login from an address with too many recent failures, before any password is checked.

    It has no ``get_user``: it never logs anyone in, so no session names it as its backend.
    """

    def authenticate(self, request, **credentials):
        if request is not None and address_unlocks_at(client_ip(request)) is not None:
            request.axes_locked_out = True
            request.portal_locked_address = True
            raise PermissionDenied
        return None


def lockout_response(request, original_response=None, credentials=None):
    """The lockout page (429): in Chinese, inside the site frame, with the unlock time and the hotline."""
    from axes.helpers import get_client_username

    username = get_client_username(request, credentials) or ""
    by_address = getattr(request, "portal_locked_address", False)
    unlocks_at = address_unlocks_at(client_ip(request)) if by_address else account_unlocks_at(username)
    if unlocks_at is None:
        unlocks_at = timezone.now() + dt.timedelta(minutes=settings.AXES_COOLOFF_MINUTES)
    context = {"by_address": by_address, "unlocks_at": unlocks_at, "username": username}
    response = render(request, "accounts/locked.html", context, status=429)
    response["Retry-After"] = str(max(1, int((unlocks_at - timezone.now()).total_seconds())))
    return response


# What the provincial identity login needs; without all of them the login page does not offer it.
OIDC_REQUIRED_SETTINGS = (
    "OIDC_OP_ISSUER",
    "OIDC_OP_AUTHORIZATION_ENDPOINT",
    "OIDC_OP_TOKEN_ENDPOINT",
    "OIDC_OP_USER_ENDPOINT",
    "OIDC_OP_JWKS_ENDPOINT",
    "OIDC_RP_CLIENT_ID",
    "OIDC_RP_CLIENT_SECRET",
)


def oidc_configured() -> bool:
    """Whether the provincial identity login (统一身份认证) is set up: every one of its settings named."""
    return all(getattr(settings, name, "") for name in OIDC_REQUIRED_SETTINGS)
