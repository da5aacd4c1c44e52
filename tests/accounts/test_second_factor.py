"""With ADMIN_REQUIRE_OTP on, staff need a one-time code on every path: pages, API and admin."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.accounts.models import SecurityEvent
from tests.factories import PASSWORD, StaffFactory

pytestmark = pytest.mark.django_db

CONVERTER = re.compile(r"<(?:(\w+):)?\w+>")
GROUP = re.compile(r"\(\?P<\w+>[^)]*\)")
EXAMPLES = {
    "int": "1",
    "slug": "x",
    "str": "x",
    "path": "x/y",
    "uuid": "12345678-1234-5678-1234-567812345678",
}


@pytest.fixture(autouse=True)
def _otp_on(settings):
    settings.ADMIN_REQUIRE_OTP = True


@pytest.fixture
def officer(db):
    user = StaffFactory(is_superuser=True)
    device = TOTPDevice.objects.create(user=user, name="验证器", confirmed=True)
    return user, device


def routes(resolver=None, prefix=""):
    """Every route of the site as an example path, its converters filled with plausible values."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry.pattern, RoutePattern):
            route = CONVERTER.sub(lambda m: EXAMPLES.get(m.group(1) or "str", "x"), str(entry.pattern))
        else:  # regex routes: the API routers' and admin's app index
            route = GROUP.sub("1", entry.pattern.regex.pattern.lstrip("^").rstrip("$")).replace("\\", "")
            if "format" in entry.pattern.regex.pattern or set(route) & set("()[]*+?|"):
                continue  # the same views with a format suffix
        if isinstance(entry, URLResolver):
            yield from routes(entry, prefix + route)
        elif isinstance(entry, URLPattern):
            yield "/" + prefix + route


def test_a_staff_password_alone_does_not_finish_a_login_on_the_portal_login_page(client, officer):
    user, _device = officer

    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})

    assert response.status_code == 200
    assert "动态口令错误或已过期" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert SecurityEvent.objects.filter(
        kind="login_failed", username=user.username, detail="second factor"
    ).exists()


def test_staff_with_password_and_code_are_verified_and_reach_admin_and_the_api(client, officer):
    user, device = officer

    response = client.post(
        "/accounts/login/",
        {"username": user.username, "password": PASSWORD, "otp_token": totp(device.bin_key)},
    )

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert client.get("/api/v1/problems/").status_code == 200


def test_an_enterprise_logs_in_with_its_password_alone(client, owner):
    response = client.post("/accounts/login/", {"username": owner.username, "password": PASSWORD})

    assert (response.status_code, response["Location"]) == (302, "/me/")


def test_every_route_refuses_a_staff_session_without_the_second_factor(client, officer):
    user, _device = officer
    paths = sorted(set(routes()))
    assert len(paths) > 100
    assert {"/admin/servicedesk/problem/", "/api/v1/problems/", "/me/"} <= set(paths)

    let_through = []
    for path in paths:
        client.force_login(user)  # password only: no device verified in this session
        response = client.get(path)
        refused = response.status_code == 403 or (
            response.status_code == 302 and response["Location"].startswith("/accounts/login/")
        )
        if not refused or "_auth_user_id" in client.session:
            let_through.append((path, response.status_code))

    assert let_through == []


def test_the_api_does_not_take_http_basic_credentials(client, officer):
    import base64

    user, _device = officer
    credentials = base64.b64encode(f"{user.username}:{PASSWORD}".encode()).decode()

    response = client.get("/api/v1/problems/", HTTP_AUTHORIZATION=f"Basic {credentials}")

    assert response.status_code in (401, 403)
