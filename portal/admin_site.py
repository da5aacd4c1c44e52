"""The admin site of the portal: a staff home on the index, and the technical apps grouped in Chinese."""

from django.contrib import admin
from django.contrib.admin import AdminSite
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# The technical apps staff rarely open, shown together after the business sections, with Chinese names.
SYSTEM_APPS = ("axes", "otp_totp", "otp_static", "auditlog", "django_celery_beat")
SYSTEM_MODEL_NAMES = {
    ("auditlog", "LogEntry"): _("操作审计日志"),
    ("axes", "AccessAttempt"): _("登录失败锁定记录"),
    ("axes", "AccessFailureLog"): _("登录失败明细"),
    ("axes", "AccessLog"): _("登录日志"),
    ("otp_totp", "TOTPDevice"): _("动态口令设备（TOTP）"),
    ("otp_static", "StaticDevice"): _("备用验证码"),
    ("django_celery_beat", "PeriodicTask"): _("定时任务"),
    ("django_celery_beat", "CrontabSchedule"): _("定时任务：按日历执行"),
    ("django_celery_beat", "IntervalSchedule"): _("定时任务：按间隔执行"),
    ("django_celery_beat", "ClockedSchedule"): _("定时任务：指定时刻执行"),
    ("django_celery_beat", "SolarSchedule"): _("定时任务：按日出日落执行"),
}


class PortalAdminSiteMixin:
    index_template = "admin/portal_index.html"

    def get_app_list(self, request, app_label=None):
        """The business sections first, then one 系统与安全 section holding the technical apps."""
        apps = super().get_app_list(request, app_label)
        if app_label is not None:
            return apps
        business = [app for app in apps if app["app_label"] not in SYSTEM_APPS]
        system = [app for app in apps if app["app_label"] in SYSTEM_APPS]
        if not system:
            return business
        models = []
        for app in system:
            for model in app["models"]:
                name = SYSTEM_MODEL_NAMES.get((app["app_label"], model["object_name"]))
                models.append({**model, "name": name or model["name"]})
        group = {
            "name": _("系统与安全"),
            "app_label": "system",
            "app_url": reverse("admin:index", current_app=self.name),
            "has_module_perms": True,
            "models": models,
        }
        return [*business, group]


class PortalAdminSite(PortalAdminSiteMixin, AdminSite):
    """The admin site with a password alone (the demo)."""


def otp_site_class():
    """The admin site that also asks for a one-time password (production)."""
    from django_otp.admin import OTPAdminSite

    class PortalOTPAdminSite(PortalAdminSiteMixin, OTPAdminSite):
        pass

    return PortalOTPAdminSite


# The units money is shown in, by the name the code uses for them.
UNITS = {"元": _("元"), "万元": _("万元")}


def money_text(value, *, unit: str = "元") -> str:
    """Money as admin lists show it: 1,234,567.80 元; — for none."""
    if value is None:
        return "—"
    return f"{value:,.2f} {UNITS[unit]}"


def money_column(model, field_name: str, *, unit: str = "元"):
    """A change-list column showing a money field as 1,234,567.80 元 (or 万元), sortable by the field.

    The header is the field's name without its unit in brackets, since each value carries it.
    """
    field = model._meta.get_field(field_name)
    label = str(field.verbose_name)
    for suffix in (f"（{unit}）", f"({unit})"):
        label = label.removesuffix(suffix)

    def column(obj) -> str:
        return money_text(getattr(obj, field_name), unit=unit)

    column.__name__ = f"{field_name}_money"
    return admin.display(description=label, ordering=field_name)(column)
