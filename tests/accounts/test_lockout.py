"""Lockout per account whatever the address, a limit per address, and the client address behind proxies."""

import datetime as dt
import io

import pytest
from django.test import RequestFactory

from portal.accounts.models import SecurityEvent
from portal.accounts.security import client_ip
from tests.factories import PASSWORD, EnterpriseUserFactory

pytestmark = pytest.mark.django_db


def attempt(client, username, password, address="198.51.100.1", **extra):
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address, **extra
    )


def test_a_wrong_password_says_how_many_tries_remain(client, owner):
    response = attempt(client, owner.username, "wrong")

    page = response.content.decode()
    assert response.status_code == 200
    assert "用户名或密码错误" in page
    assert "再输错 4 次，该账户将被锁定 30 分钟。" in page


def test_five_failures_from_five_addresses_lock_the_account_against_the_right_password_from_a_sixth(
    client, owner
):
    for n in range(5):
        attempt(client, owner.username, f"guess-{n}", address=f"203.0.113.{n + 1}")

    response = attempt(client, owner.username, PASSWORD, address="192.0.2.77")

    page = response.content.decode()
    assert response.status_code == 429
    assert f"账户 {owner.username} 连续输错密码次数过多，已被锁定。" in page
    assert "服务热线 0371-12345" in page
    assert "<footer" in page  # inside the site frame
    assert "_auth_user_id" not in client.session
    assert SecurityEvent.objects.filter(kind="locked_out", username=owner.username).exists()


def test_the_lockout_page_says_when_the_account_unlocks_and_it_does_after_thirty_minutes(
    client, owner, time_machine
):
    time_machine.move_to(dt.datetime(2024, 3, 4, 9, 0, tzinfo=dt.UTC), tick=False)
    for n in range(5):
        attempt(client, owner.username, f"guess-{n}")

    locked = attempt(client, owner.username, PASSWORD)
    time_machine.move_to(dt.datetime(2024, 3, 4, 9, 31, tzinfo=dt.UTC), tick=False)
    unlocked = attempt(client, owner.username, PASSWORD)

    assert locked.status_code == 429
    assert "请于 2024-03-04 17:30 之后再试。" in locked.content.decode()  # Beijing time
    assert locked["Retry-After"] == "1800"
    assert (unlocked.status_code, unlocked["Location"]) == (302, "/me/")


def test_spraying_one_password_over_many_accounts_is_refused_from_that_address(client, owner):
    for n in range(20):
        attempt(client, f"nobody{n}", "Spring-2024!", address="203.0.113.50")

    sprayed = attempt(client, owner.username, PASSWORD, address="203.0.113.50")
    elsewhere = attempt(client, owner.username, PASSWORD, address="192.0.2.8")

    assert sprayed.status_code == 429
    assert "您所在的网络地址登录失败次数过多" in sprayed.content.decode()
    assert elsewhere.status_code == 302


def test_without_trusted_proxies_a_forged_forwarded_header_does_not_change_the_address(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="10.9.9.9")

    assert client_ip(request) == "192.0.2.1"


def test_behind_one_proxy_the_client_is_the_address_the_proxy_appended_not_what_the_client_sent(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")

    assert client_ip(request) == "203.0.113.9"


def test_behind_a_proxy_each_client_is_counted_on_its_own_address(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    victim = EnterpriseUserFactory()
    for n in range(20):
        attempt(client, f"nobody{n}", "x", address="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.66")

    response = attempt(
        client, victim.username, PASSWORD, address="10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.3"
    )

    assert response.status_code == 302


def test_each_failed_login_is_kept_in_the_security_trail_with_its_address(client, owner):
    attempt(client, owner.username, "wrong", address="203.0.113.7")
    attempt(client, owner.username, PASSWORD, address="203.0.113.8")

    events = list(
        SecurityEvent.objects.order_by("id").values_list("kind", "username", "ip_address", "success")
    )
    assert events[-2:] == [
        ("login_failed", owner.username, "203.0.113.7", False),
        ("login", owner.username, "203.0.113.8", True),
    ]


def test_a_security_admin_unlocks_an_account_and_the_unlock_is_in_the_trail(client, owner):
    from axes.models import AccessAttempt
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    from tests.factories import StaffFactory

    for n in range(5):
        attempt(client, owner.username, f"guess-{n}")
    call_command("sync_roles", stdout=io.StringIO())
    officer = StaffFactory()
    officer.groups.set([Group.objects.get(name="安全管理员")])
    lock = AccessAttempt.objects.get(username=owner.username)
    admin_client = type(client)()
    admin_client.force_login(officer)

    admin_client.post(f"/admin/axes/accessattempt/{lock.pk}/delete/", {"post": "yes"})

    assert attempt(client, owner.username, PASSWORD).status_code == 302
    unlock = SecurityEvent.objects.get(kind="unlocked")
    assert (unlock.actor_id, unlock.username) == (officer.pk, owner.username)
