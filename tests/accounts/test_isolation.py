"""Department isolation in the notifications admin: a department reads its own staff's messages only."""

import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from portal.accounts import roles
from portal.accounts.models import Notification
from tests.factories import DepartmentFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerks(db):
    call_command("sync_roles", stdout=io.StringIO())
    group = Group.objects.get(name=roles.DEPARTMENT_STAFF)
    land, finance = DepartmentFactory(name="国土局"), DepartmentFactory(name="财政局")
    clerk, colleague, other = (
        StaffFactory(department=land),
        StaffFactory(department=land),
        StaffFactory(department=finance),
    )
    for user in (clerk, colleague, other):
        user.groups.set([group])
    return clerk, colleague, other


def test_the_notifications_admin_lists_only_the_departments_own_messages(client, clerks, owner):
    clerk, colleague, other = clerks
    Notification.objects.create(recipient=colleague, key="a", title="国土局的交办通知")
    Notification.objects.create(recipient=other, key="b", title="财政局的转办通知")
    Notification.objects.create(recipient=owner, key="c", title="答复：贵企业的诉求", body="答复正文")
    client.force_login(clerk)

    page = client.get("/admin/accounts/notification/").content.decode()

    assert "国土局的交办通知" in page
    assert "财政局的转办通知" not in page
    assert "贵企业的诉求" not in page


def test_another_departments_message_cannot_be_opened_by_its_address(client, clerks):
    clerk, _colleague, other = clerks
    foreign = Notification.objects.create(recipient=other, key="b", title="财政局的转办通知", body="答复正文")
    client.force_login(clerk)

    response = client.get(f"/admin/accounts/notification/{foreign.pk}/change/")

    assert response.status_code == 302  # admin's "does not exist" redirect to the index
    assert "答复正文" not in client.get(response["Location"]).content.decode()
