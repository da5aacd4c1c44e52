"""Sessions: 30 idle minutes, 12 hours at most, a new key at login, ended by logout, password change and
deactivation; nothing an authenticated user sees is kept in a cache."""

import datetime as dt

import pytest
from django.test import Client

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

START = dt.datetime(2024, 3, 4, 1, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(START, tick=False)
    return time_machine


def test_a_session_idle_for_more_than_thirty_minutes_is_ended(client, owner, clock):
    client.force_login(owner)
    clock.move_to(START + dt.timedelta(minutes=29))
    assert client.get("/me/").status_code == 200

    clock.move_to(START + dt.timedelta(minutes=29 + 31))
    response = client.get("/me/")

    assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=%2Fme%2F")
    assert "超过 30 分钟未操作" in client.get(response["Location"]).content.decode()
    assert client.get("/me/").status_code == 302


def test_an_active_session_still_ends_after_twelve_hours(client, owner, clock):
    client.force_login(owner)
    for step in range(1, 36):  # a request every 20 minutes, 11 h 40 min in all
        clock.move_to(START + dt.timedelta(minutes=20 * step))
        assert client.get("/me/").status_code == 200

    clock.move_to(START + dt.timedelta(hours=12, minutes=1))
    response = client.get("/me/")

    assert response.status_code == 302
    assert "登录已超过 12 小时" in client.get(response["Location"]).content.decode()


def test_logging_in_gives_a_new_session_key(client, owner):
    client.get("/accounts/login/")
    client.session["probe"] = 1
    session = client.session
    session["probe"] = 1
    session.save()
    before = session.session_key

    client.post("/accounts/login/", {"username": owner.username, "password": PASSWORD})

    assert client.session.session_key != before
    assert client.session["_auth_user_id"] == str(owner.pk)


def test_a_password_change_ends_the_users_other_sessions(owner):
    laptop, phone = Client(), Client()
    laptop.force_login(owner)
    phone.force_login(owner)

    laptop.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": "Fresh-pass-2024", "new_password2": "Fresh-pass-2024"},
    )

    assert laptop.get("/me/").status_code == 200
    assert phone.get("/me/").status_code == 302


def test_deactivating_a_user_ends_their_session(client, owner):
    client.force_login(owner)
    owner.is_active = False
    owner.save()

    assert client.get("/me/").status_code == 302


def test_authenticated_pages_and_api_responses_are_never_cached(client, owner):
    client.force_login(owner)

    for url in ("/me/", "/me/notifications/", "/api/v1/awards/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url
        assert "private" in response["Cache-Control"], url


def test_the_session_cookie_lives_no_longer_than_twelve_hours(settings):
    assert settings.SESSION_COOKIE_AGE == 12 * 3600
