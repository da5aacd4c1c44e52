from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "policies"
    verbose_name = "政策目录"

    def ready(self):
        # Register the Celery tasks in every process, not only in workers (run_periodic_jobs looks them up).
        from policies import tasks  # noqa: F401
