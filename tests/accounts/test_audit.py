"""The audit trail: what is recorded, by whom and from where; nobody deletes it; retention purges only old."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.core.management import call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError

from portal.accounts.models import Department, SecurityEvent
from tests.factories import PASSWORD, StaffFactory

pytestmark = pytest.mark.django_db


def _models():
    from policies.models import Policy
    from portal.content.models import Article, Faq, Indicator
    from portal.servicedesk.models import Problem
    from portal.workdays.models import CalendarDay, CalendarYear
    from subsidies.models import PaymentBatch, Scheme

    return [Policy, Scheme, PaymentBatch, Problem, CalendarYear, CalendarDay, Article, Faq, Indicator]


@pytest.mark.parametrize("model", _models(), ids=lambda m: m.__name__)
def test_staff_edits_of_money_rules_problems_calendar_and_content_are_in_the_audit_log(model):
    assert auditlog.contains(model)


def test_an_admin_edit_is_logged_with_its_actor_and_the_address_behind_the_proxy(client, staff, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    department = Department.objects.create(name="科技局", code="kjj")
    client.force_login(staff)

    client.post(
        f"/admin/accounts/department/{department.pk}/change/",
        {"name": "科技创新局", "code": "kjj", "phone": ""},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.20",
    )

    entry = LogEntry.objects.get_for_object(department).latest("timestamp")
    assert (entry.actor, entry.remote_addr, entry.changes_dict["name"]) == (
        staff,
        "203.0.113.20",
        ["科技局", "科技创新局"],
    )


def test_a_request_s_audit_context_ends_with_it_and_connects_no_receiver(client, staff):
    from auditlog.context import auditlog_value
    from django.db.models.signals import pre_save

    client.force_login(staff)
    client.get("/")
    receivers = list(pre_save.receivers)

    assert client.get("/me/notifications/").status_code == 200

    assert pre_save.receivers == receivers
    assert auditlog_value.get(None) is None


def test_a_successful_login_is_in_the_trail_with_time_address_and_outcome(client, owner, time_machine):
    time_machine.move_to(dt.datetime(2024, 5, 6, 2, 3, tzinfo=dt.UTC), tick=False)

    client.post(
        "/accounts/login/", {"username": owner.username, "password": PASSWORD}, REMOTE_ADDR="203.0.113.30"
    )

    event = SecurityEvent.objects.get(kind="login")
    assert (event.at, event.actor_id, event.username, event.ip_address, event.success, event.path) == (
        dt.datetime(2024, 5, 6, 2, 3, tzinfo=dt.UTC),
        owner.pk,
        owner.username,
        "203.0.113.30",
        True,
        "/accounts/login/",
    )


def test_exporting_a_payment_batch_records_who_exported_the_bank_accounts(client, staff):
    from subsidies.services import payment_batch_create
    from tests.subsidies.award_factories import PublicizedAwardFactory

    award = PublicizedAwardFactory(status="confirmed", amount=Decimal("1000.00"))
    award.bank_name, award.bank_account = "中国银行", "6216610200016587"
    award.save()
    batch = payment_batch_create(awards=[award], title="第一批", user=staff)
    client.force_login(staff)

    client.post(f"/admin/subsidies/paymentbatch/{batch.pk}/export/csv/", REMOTE_ADDR="203.0.113.31")

    event = SecurityEvent.objects.get(kind="pd_exported")
    assert (event.actor_id, event.ip_address, event.target, event.detail) == (
        staff.pk,
        "203.0.113.31",
        f"paymentbatch:{batch.pk}",
        "csv · 1 条银行账号",
    )


def test_opening_a_users_record_with_its_phone_is_recorded(client, staff, owner):
    client.force_login(staff)

    client.get(f"/admin/accounts/user/{owner.pk}/change/")

    assert SecurityEvent.objects.filter(
        kind="pd_viewed", actor_id=staff.pk, target=f"user:{owner.pk}"
    ).exists()


@pytest.mark.parametrize(
    "url",
    ["accounts/securityevent", "auditlog/logentry", "axes/accesslog", "axes/accessfailurelog"],
)
def test_a_superuser_cannot_delete_or_change_audit_records_through_admin(client, staff, url):
    from axes.models import AccessFailureLog, AccessLog

    SecurityEvent.objects.create(kind="login", username="x")
    AccessLog.objects.create(username="x", ip_address="192.0.2.1", user_agent="t", path_info="/")
    AccessFailureLog.objects.create(username="x", ip_address="192.0.2.1", user_agent="t", path_info="/")
    Department.objects.create(name="审计对象", code="sjdx")  # one LogEntry
    client.force_login(staff)
    model = {
        "accounts/securityevent": SecurityEvent,
        "auditlog/logentry": LogEntry,
        "axes/accesslog": AccessLog,
        "axes/accessfailurelog": AccessFailureLog,
    }[url]
    record = model.objects.order_by("-pk").first()

    delete = client.post(f"/admin/{url}/{record.pk}/delete/", {"post": "yes"})
    bulk = client.post(
        f"/admin/{url}/", {"action": "delete_selected", "_selected_action": [record.pk], "post": "yes"}
    )

    assert delete.status_code == 403
    assert bulk.status_code in (200, 302)
    assert model.objects.filter(pk=record.pk).exists()


def test_purge_audit_removes_only_records_older_than_the_retention(settings, time_machine):
    settings.AUDIT_RETENTION_DAYS = 184
    time_machine.move_to(dt.datetime(2024, 1, 1, 1, 0, tzinfo=dt.UTC), tick=False)
    SecurityEvent.objects.create(kind="login", username="old")
    Department.objects.create(name="旧部门", code="old")
    time_machine.move_to(dt.datetime(2024, 6, 1, 1, 0, tzinfo=dt.UTC), tick=False)
    SecurityEvent.objects.create(kind="login", username="recent")
    Department.objects.create(name="新部门", code="new")
    time_machine.move_to(dt.datetime(2024, 7, 10, 1, 0, tzinfo=dt.UTC), tick=False)  # 191 and 39 days on

    call_command("purge_audit", stdout=io.StringIO())

    assert list(SecurityEvent.objects.values_list("username", flat=True)) == ["recent"]
    assert sorted(LogEntry.objects.values_list("object_repr", flat=True)) == ["新部门"]


@pytest.mark.postgres
def test_on_postgresql_the_audit_tables_refuse_update_and_delete_except_the_purge(time_machine):
    time_machine.move_to(dt.datetime(2024, 1, 1, 1, 0, tzinfo=dt.UTC), tick=False)
    event = SecurityEvent.objects.create(kind="login", username="kept")
    Department.objects.create(name="留痕部门", code="lhbm")
    entry = LogEntry.objects.latest("pk")

    for statement, params in [
        ("UPDATE accounts_securityevent SET username = 'forged' WHERE id = %s", [event.pk]),
        ("DELETE FROM accounts_securityevent WHERE id = %s", [event.pk]),
        ("UPDATE auditlog_logentry SET object_repr = 'forged' WHERE id = %s", [entry.pk]),
        ("DELETE FROM auditlog_logentry WHERE id = %s", [entry.pk]),
    ]:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            connection.cursor().execute(statement, params)

    assert SecurityEvent.objects.get(pk=event.pk).username == "kept"
    time_machine.move_to(dt.datetime(2024, 12, 1, 1, 0, tzinfo=dt.UTC), tick=False)
    call_command("purge_audit", stdout=io.StringIO())
    assert not SecurityEvent.objects.filter(pk=event.pk).exists()
    assert not LogEntry.objects.filter(pk=entry.pk).exists()


def test_a_staff_user_created_for_the_audit_reads_nothing_else(client):
    from django.contrib.auth.models import Group

    call_command("sync_roles", stdout=io.StringIO())
    auditor = StaffFactory()
    auditor.groups.set([Group.objects.get(name="审计管理员")])
    client.force_login(auditor)

    assert client.get("/admin/accounts/securityevent/").status_code == 200
    assert client.get("/admin/auditlog/logentry/").status_code == 200
    assert client.get("/admin/accounts/user/").status_code == 403
    assert client.get("/admin/subsidies/paymentbatch/").status_code == 403
