from celery import shared_task

from portal.residents import services


@shared_task
def resident_data_purge() -> dict:
    """The nightly PIPL purge: paid households' data past the retention period, and old SMS codes."""
    return services.resident_data_purge()
