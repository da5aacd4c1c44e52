"""Every route with a key in its address, opened with keys that name nothing, is answered without a 500.

The sweep that found the last ones: an admin change page with a key that is not a number (the residents'
records, the service desk's problems) and the second-factor device pages with a number that names no
device. Each route of the URL configuration is tried, so a new route is covered when it is added.
"""

import re

import pytest
from django.urls import URLResolver, get_resolver

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
HOSTILE = {
    "int": ["0", "99999999999999999999"],
    "slug": ["x" * 300, "-"],
    "str": ["..%2F..%2Fetc", "x" * 300],
    "path": ["../../etc/passwd", "x" * 300],
}


def _routes(resolver=None, prefix=""):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern)


ROUTES = sorted({r for r in _routes() if CONVERTER.search(r) and "^" not in r})


def _addresses(route: str):
    """The route with each kind of key in turn made hostile, the others plain."""
    kinds = {kind or "str" for kind, _name in CONVERTER.findall(route)}
    for kind in sorted(kinds):
        for value in HOSTILE.get(kind, ["x"]):

            def fill(match, kind=kind, value=value):
                this = match.group(1) or "str"
                return value if this == kind else ("1" if this == "int" else "x")

            yield "/" + CONVERTER.sub(fill, route)


def test_the_sweep_covers_the_admin_and_the_site():
    assert any(r.startswith("admin/residents/person/") for r in ROUTES)
    assert any(r.startswith("admin/otp_totp/totpdevice/") for r in ROUTES)
    assert any(r.startswith("me/awards/") for r in ROUTES)


@pytest.mark.parametrize("who", ["anonymous", "superuser"])
def test_no_route_answers_a_key_that_names_nothing_with_a_server_error(client, who):
    if who == "superuser":
        client.force_login(UserFactory(is_staff=True, is_superuser=True))
    client.raise_request_exception = False
    failures = []
    for route in ROUTES:
        for address in _addresses(route):
            for method in ("get", "post"):
                status = getattr(client, method)(address).status_code
                if status >= 500:
                    failures.append(f"{method.upper()} {address[:100]} → {status}")
    assert failures == []
