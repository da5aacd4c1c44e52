from django.apps import AppConfig


class WorkdaysConfig(AppConfig):
    name = "portal.workdays"
    label = "workdays"
    verbose_name = "工作日历"

    def ready(self) -> None:
        from portal.workdays import checks  # noqa: F401  (registers the calendar check)
