from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkdaysConfig(AppConfig):
    name = "portal.workdays"
    label = "workdays"
    verbose_name = _("工作日历")

    def ready(self) -> None:
        from portal.workdays import checks  # noqa: F401  (registers the calendar check)
