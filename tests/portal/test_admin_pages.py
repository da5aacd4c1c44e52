"""Every model staff manage has an admin page that opens: its change list, and its add form where allowed."""

import pytest
from django.contrib import admin
from django.urls import reverse

pytestmark = pytest.mark.django_db

PROJECT_APPS = {
    "accounts",
    "workdays",
    "enterprises",
    "content",
    "servicedesk",
    "policies",
    "subsidies",
    "projects",
    "residents",
}
MODELS = sorted(
    (model._meta.app_label, model._meta.model_name)
    for model in admin.site._registry
    if model._meta.app_label in PROJECT_APPS
)


def test_the_project_registers_its_models_in_admin():
    assert ("enterprises", "enterprise") in MODELS
    assert ("accounts", "user") in MODELS


@pytest.mark.parametrize(("app_label", "model_name"), MODELS)
def test_the_change_list_and_add_form_open(client, staff, app_label, model_name):
    client.force_login(staff)

    changelist = client.get(reverse(f"admin:{app_label}_{model_name}_changelist"))
    assert changelist.status_code == 200

    model_admin = next(a for m, a in admin.site._registry.items() if m._meta.model_name == model_name)
    if model_admin.has_add_permission(type("R", (), {"user": staff})()):
        add = client.get(reverse(f"admin:{app_label}_{model_name}_add"))
        assert add.status_code == 200


def test_the_admin_index_lists_the_portal_sections(client, staff):
    client.force_login(staff)

    page = client.get("/admin/").content.decode()

    assert "企业档案" in page
    assert "账户与权限" in page


def test_run_periodic_jobs_runs_every_scheduled_task(monkeypatch, capsys):
    from django.core.management import call_command

    from portal.accounts.tasks import send_notification_emails
    from portal.celery import app

    monkeypatch.setitem(
        app.conf.beat_schedule,
        "test-emails",
        {"task": send_notification_emails.name, "args": ["none"], "schedule": 60},
    )

    call_command("run_periodic_jobs", only=["test-emails"])

    assert "test-emails：完成" in capsys.readouterr().out


def test_the_admin_index_groups_the_technical_apps_under_system_and_security_in_chinese(client, staff):
    client.force_login(staff)

    page = client.get("/admin/").content.decode()

    system = page[page.index("系统与安全") :]
    for name in (
        "操作审计日志",
        "登录失败锁定记录",
        "登录日志",
        "动态口令设备（TOTP）",
        "备用验证码",
        "定时任务",
    ):
        assert name in system
    for english in ("Axes", "Audit log", "Otp_Totp", "Otp_Static", "Access attempts", "TOTP devices"):
        assert english not in page
    assert page.index("企业档案") < page.index("系统与安全")


def test_the_annual_report_list_shows_figures_in_wan_yuan_with_thousands_separators(client, staff):
    from decimal import Decimal

    from tests.factories import AnnualReportFactory

    AnnualReportFactory(revenue=Decimal("123456.78"), rd_expense=Decimal("350.00"), tax_paid=None)
    client.force_login(staff)

    page = client.get("/admin/enterprises/annualreport/").content.decode()

    assert "123,456.78 万元" in page
    assert "350.00 万元" in page
    assert ">营业收入</a>" in page
