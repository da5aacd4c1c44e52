"""Separation of duties (三权分立): each role holds least privilege, and nobody escalates through admin."""

import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from portal.accounts import roles
from portal.accounts.models import User
from tests.factories import PASSWORD, StaffFactory, staff_in_roles

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Taken-over-2024!"


@pytest.fixture(autouse=True)
def _roles(db):
    call_command("sync_roles", stdout=io.StringIO())


member_of = staff_in_roles


def perms_of(role: str) -> set[str]:
    group = Group.objects.get(name=role)
    return {
        f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")
    }


def change_form(user: User, **overrides) -> dict:
    """Everything the user admin's change form posts, with the attacker's additions."""
    data = {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "display_name": user.display_name,
        "phone": "",
        "department": user.department_id or "",
        "enterprise": "",
        "enterprise_role": "",
        "is_active": "on",
        "is_staff": "on",
        "groups": [g.pk for g in Group.objects.all()],
        "user_permissions": list(Permission.objects.values_list("pk", flat=True)),
        "is_superuser": "on",
        "date_joined_0": "2024-01-01",
        "date_joined_1": "09:00:00",
    }
    data.update(overrides)
    return data


def test_sync_roles_creates_the_five_groups_with_their_permissions_only():
    assert set(Group.objects.filter(name__in=roles.ROLES).values_list("name", flat=True)) == set(roles.ROLES)
    assert perms_of(roles.AUDIT_ADMIN) == {
        "auditlog.view_logentry",
        "accounts.view_securityevent",
        "residents.view_personaccess",
        "subsidies.view_awardevent",
    }
    assert "accounts.change_user" not in perms_of(roles.DEPARTMENT_STAFF)
    assert "servicedesk.change_problem" in perms_of(roles.DEPARTMENT_STAFF)
    assert "subsidies.change_paymentbatch" not in perms_of(roles.DEPARTMENT_STAFF)
    assert "accounts.change_user" in perms_of(roles.SYSTEM_ADMIN)
    assert not {p for p in perms_of(roles.SYSTEM_ADMIN) if p.startswith(("auditlog.", "subsidies."))}
    assert "auth.change_group" not in perms_of(roles.SYSTEM_ADMIN)
    assert perms_of(roles.FINANCE) >= {"subsidies.change_paymentbatch", "subsidies.view_award"}
    assert "subsidies.change_award" not in perms_of(roles.FINANCE)
    assert "axes.delete_accessattempt" in perms_of(roles.SECURITY_ADMIN)
    assert "accounts.change_user" not in perms_of(roles.SECURITY_ADMIN)


def test_sync_roles_takes_back_a_permission_added_to_a_role_by_hand():
    group = Group.objects.get(name=roles.DEPARTMENT_STAFF)
    group.permissions.add(Permission.objects.get(codename="change_user"))

    call_command("sync_roles", stdout=io.StringIO())

    assert "accounts.change_user" not in perms_of(roles.DEPARTMENT_STAFF)


@pytest.mark.parametrize("role", [r for r in roles.ROLES if r != roles.SYSTEM_ADMIN])
def test_no_role_but_system_admin_can_grant_itself_superuser_or_permissions_through_admin(client, role):
    user = member_of(role)
    client.force_login(user)

    response = client.post(f"/admin/accounts/user/{user.pk}/change/", change_form(user))

    assert response.status_code == 403
    user.refresh_from_db()
    assert not user.is_superuser
    assert set(user.groups.values_list("name", flat=True)) == {role}
    assert not user.user_permissions.exists()


@pytest.mark.parametrize("role", [r for r in roles.ROLES if r != roles.SYSTEM_ADMIN])
def test_no_role_but_system_admin_can_set_an_enterprise_owners_password(client, role, owner):
    client.force_login(member_of(role))

    response = client.post(
        f"/admin/accounts/user/{owner.pk}/password/", {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )

    assert response.status_code == 403
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


@pytest.mark.parametrize("role", list(roles.ROLES))
def test_no_role_can_add_permissions_to_a_group(client, role):
    client.force_login(member_of(role))
    group = Group.objects.get(name=role)
    before = perms_of(role)

    response = client.post(
        f"/admin/auth/group/{group.pk}/change/",
        {"name": role, "permissions": list(Permission.objects.values_list("pk", flat=True))},
    )

    assert response.status_code == 403
    assert perms_of(role) == before


def test_a_system_admin_cannot_grant_itself_anything_on_its_own_record(client):
    admin = member_of(roles.SYSTEM_ADMIN)
    client.force_login(admin)

    response = client.post(
        f"/admin/accounts/user/{admin.pk}/change/", change_form(admin, display_name="改名")
    )

    assert response.status_code == 302
    admin.refresh_from_db()
    assert admin.display_name == "改名"
    assert not admin.is_superuser
    assert set(admin.groups.values_list("name", flat=True)) == {roles.SYSTEM_ADMIN}
    assert not admin.user_permissions.exists()


def test_a_system_admin_cannot_make_its_own_login_an_enterprises_legal_representative(client, owner):
    admin = member_of(roles.SYSTEM_ADMIN)
    client.force_login(admin)

    response = client.post(
        f"/admin/accounts/user/{admin.pk}/change/",
        change_form(admin, department="", enterprise=owner.enterprise_id, enterprise_role="owner"),
    )

    assert response.status_code == 302
    admin.refresh_from_db()
    assert admin.enterprise_id is None
    assert admin.enterprise_role == ""
    # Its awards stay out of reach: the page of an enterprise's awards is not this login's.
    assert client.get("/me/awards/").status_code != 200


def test_no_one_makes_a_staff_account_an_enterprise_member_and_the_form_says_why_in_chinese(client, owner):
    client.force_login(member_of(roles.SYSTEM_ADMIN))
    clerk = StaffFactory(department=None)

    response = client.post(
        f"/admin/accounts/user/{clerk.pk}/change/",
        change_form(clerk, department="", enterprise=owner.enterprise_id, enterprise_role="agent"),
    )

    assert response.status_code == 200
    assert "工作人员账号不能属于企业" in response.content.decode()
    clerk.refresh_from_db()
    assert clerk.enterprise_id is None


def test_a_system_admin_assigns_roles_to_others_but_never_superuser_or_single_permissions(client):
    client.force_login(member_of(roles.SYSTEM_ADMIN))
    clerk = StaffFactory()

    response = client.post(
        f"/admin/accounts/user/{clerk.pk}/change/",
        change_form(clerk, groups=[Group.objects.get(name=roles.DEPARTMENT_STAFF).pk]),
    )

    assert response.status_code == 302
    clerk.refresh_from_db()
    assert set(clerk.groups.values_list("name", flat=True)) == {roles.DEPARTMENT_STAFF}
    assert not clerk.is_superuser
    assert not clerk.user_permissions.exists()


def test_a_system_admin_cannot_edit_a_superuser_nor_set_its_password(client):
    client.force_login(member_of(roles.SYSTEM_ADMIN))
    root = StaffFactory(is_superuser=True)

    edit = client.post(f"/admin/accounts/user/{root.pk}/change/", change_form(root, is_active=""))
    password = client.post(
        f"/admin/accounts/user/{root.pk}/password/", {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )

    assert (edit.status_code, password.status_code) == (403, 403)
    root.refresh_from_db()
    assert root.is_active
    assert root.check_password(PASSWORD)


def test_a_system_admin_resets_an_enterprise_password_and_the_reset_is_in_the_security_trail(client, owner):
    from portal.accounts.models import SecurityEvent

    admin = member_of(roles.SYSTEM_ADMIN)
    client.force_login(admin)

    response = client.post(
        f"/admin/accounts/user/{owner.pk}/password/", {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )

    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)
    event = SecurityEvent.objects.filter(kind="password_changed").latest("id")
    assert (event.actor_id, event.username, event.target, event.ip_address) == (
        admin.pk,
        owner.username,
        f"user:{owner.pk}",
        "127.0.0.1",
    )


def test_department_staff_cannot_open_the_user_admin(client):
    client.force_login(member_of(roles.DEPARTMENT_STAFF))

    assert client.get("/admin/accounts/user/").status_code == 403


def test_the_demo_staff_hold_roles_not_every_permission(db):
    import io

    from portal.accounts import demo

    Group.objects.create(name="园区工作人员").permissions.set(Permission.objects.all())
    demo.load(io.StringIO())

    assert not Group.objects.filter(name="园区工作人员").exists()
    clerk = User.objects.get(username="cxfz")
    assert set(clerk.groups.values_list("name", flat=True)) == {roles.DEPARTMENT_STAFF}
    assert not clerk.has_perm("accounts.change_user")
    assert clerk.has_perm("servicedesk.change_problem")
    assert User.objects.get(username="auditor").get_all_permissions() == {
        "auditlog.view_logentry",
        "accounts.view_securityevent",
        "residents.view_personaccess",
        "subsidies.view_awardevent",
    }
