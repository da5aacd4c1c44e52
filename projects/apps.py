from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "项目审批跟踪"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        # Registered with Celery at start-up, so `run_periodic_jobs` and beat find them outside a worker too.
        from projects import models, tasks  # noqa: F401

        # Who changed a project's records and when: the approval trail staff are asked about.
        for model in (models.Project, models.Filing, models.Permit, models.PermitStep, models.Acceptance):
            auditlog.register(model)
