from celery import shared_task

from policies import services


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_policy_subscribers(policy_id: int) -> int:
    """Tell the subscribers of a newly published policy; a repeated delivery tells no one twice."""
    return services.policy_subscribers_notify(policy_id=policy_id)


@shared_task
def expire_policies() -> int:
    """Mark published policies past their end date as expired."""
    return services.policies_expire()
