from celery import shared_task

from portal.servicedesk import services


@shared_task
def problems_sweep() -> dict:
    """The hourly SLA sweep: close unrated answers, escalate missed deadlines once."""
    return services.problems_sweep()
