from celery import shared_task
from django.utils import timezone

from projects import services


@shared_task
def build_weekly_dispatch() -> int:
    """Monday 07:00: build this week's dispatch for every coordinator of key projects."""
    week_start = services.monday_of(timezone.localdate())
    return len(services.dispatch_build(week_start=week_start))


@shared_task
def sweep_sla() -> dict:
    """Hourly: flag what passed its deadline and tell coordinator and department, once per item."""
    return services.sla_sweep()
