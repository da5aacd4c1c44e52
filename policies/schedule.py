from celery.schedules import crontab

BEAT = {
    "policies-expire": {"task": "policies.tasks.expire_policies", "schedule": crontab(hour=0, minute=5)},
}
