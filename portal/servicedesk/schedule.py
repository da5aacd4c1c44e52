from celery.schedules import crontab

BEAT = {
    "servicedesk-sla-sweep": {
        "task": "portal.servicedesk.tasks.problems_sweep",
        "schedule": crontab(minute=5),
    },
}
