"""Passwords to 等保 level 3: length, three character classes, no identifiers, not common; staff rotate."""

import datetime as dt

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from tests.factories import PASSWORD, EnterpriseUserFactory, StaffFactory

pytestmark = pytest.mark.django_db


def refusal_codes(password, user=None) -> set[str]:
    try:
        validate_password(password, user)
    except ValidationError as error:
        return {e.code for e in error.error_list}
    return set()


def test_a_strong_password_passes():
    assert refusal_codes("Lantern-river-42") == set()


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("Sh0rt!x", "password_too_short"),
        ("lanternriver42", "password_too_simple"),
        ("LANTERN-RIVER", "password_too_simple"),
        ("Password123", "password_too_common"),
    ],
)
def test_weak_passwords_are_refused_with_the_rule_they_break(password, code):
    assert code in refusal_codes(password)


def test_a_password_holding_the_username_or_the_uscc_is_refused(enterprise):
    member = EnterpriseUserFactory.build(enterprise=enterprise, username="zhangwei")

    assert "password_contains_identifier" in refusal_codes("Zhangwei#2024", member)
    assert "password_contains_identifier" in refusal_codes(f"X!{enterprise.uscc.lower()}", member)


def test_the_rules_are_shown_in_chinese_on_the_change_page(client, owner):
    client.force_login(owner)

    page = client.get("/accounts/password/").content.decode()

    assert "密码须包含小写字母、大写字母、数字、符号中的至少 3 类。" in page
    assert "密码不能包含用户名或统一社会信用代码。" in page


def test_a_staff_password_older_than_ninety_days_forces_the_change_page(client, time_machine):
    time_machine.move_to(dt.datetime(2024, 1, 1, 1, 0, tzinfo=dt.UTC), tick=False)
    clerk = StaffFactory()
    time_machine.move_to(dt.datetime(2024, 4, 1, 1, 0, tzinfo=dt.UTC), tick=False)  # 91 days on
    client.force_login(clerk)

    page = client.get("/admin/")
    api = client.get("/api/v1/problems/")
    changed = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": "Second-wind-2024", "new_password2": "Second-wind-2024"},
    )

    assert (page.status_code, page["Location"]) == (302, "/accounts/password/")
    assert api.status_code == 403
    assert changed.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_an_enterprise_password_does_not_expire(client, time_machine):
    time_machine.move_to(dt.datetime(2024, 1, 1, 1, 0, tzinfo=dt.UTC), tick=False)
    member = EnterpriseUserFactory()
    time_machine.move_to(dt.datetime(2025, 1, 1, 1, 0, tzinfo=dt.UTC), tick=False)
    client.force_login(member)

    assert client.get("/me/").status_code == 200


def test_a_staff_account_made_without_set_password_expires_ninety_days_after_joining(client, time_machine):
    from portal.accounts.models import User

    time_machine.move_to(dt.datetime(2024, 1, 1, 1, 0, tzinfo=dt.UTC), tick=False)
    clerk = User.objects.create_user(username="clerk", password=PASSWORD, is_staff=True)
    time_machine.move_to(dt.datetime(2024, 3, 30, 1, 0, tzinfo=dt.UTC), tick=False)  # 89 days
    client.force_login(clerk)
    assert client.get("/admin/").status_code == 200

    time_machine.move_to(dt.datetime(2024, 4, 1, 1, 0, tzinfo=dt.UTC), tick=False)  # 91 days
    client.force_login(clerk)
    response = client.get("/admin/")

    assert (response.status_code, response["Location"]) == (302, "/accounts/password/")


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_account_without_a_password_is_told_it_has_none_to_change(client, enterprise, method):
    member = EnterpriseUserFactory(enterprise=enterprise)
    member.set_unusable_password()
    member.save()
    client.force_login(member)

    response = getattr(client, method)("/accounts/password/", {"new_password1": "x", "new_password2": "x"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "没有单独的门户密码，无需修改" in page
    assert 'name="old_password"' not in page
    member.refresh_from_db()
    assert not member.has_usable_password()
    assert 'href="/accounts/password/"' not in client.get("/me/").content.decode()


def test_the_dashboard_offers_the_password_change_to_an_account_with_a_password(client, owner):
    client.force_login(owner)

    assert 'href="/accounts/password/"' in client.get("/me/").content.decode()
