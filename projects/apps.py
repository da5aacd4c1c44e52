from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("项目审批跟踪")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from projects import models

        # Who changed a project's records and when: the approval trail staff are asked about.
        for model in (models.Project, models.Filing, models.Permit, models.PermitStep, models.Acceptance):
            auditlog.register(model)

        from portal.workdays.services import deadlines_recomputer
        from projects.services import deadlines_recompute

        deadlines_recomputer("projects", deadlines_recompute)
