from celery import shared_task

from portal.accounts import services


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_notification_emails(key: str) -> int:
    """Email the inbox messages of one key that have not been emailed."""
    return services.notification_emails_send(key=key)
