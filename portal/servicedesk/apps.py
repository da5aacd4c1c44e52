from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicedeskConfig(AppConfig):
    name = "portal.servicedesk"
    label = "servicedesk"
    verbose_name = _("万人助万企")

    def ready(self) -> None:
        from portal.servicedesk.services import problem_deadlines_recompute
        from portal.workdays.services import deadlines_recomputer

        deadlines_recomputer("servicedesk", problem_deadlines_recompute)
