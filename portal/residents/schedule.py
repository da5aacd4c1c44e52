from celery.schedules import crontab

BEAT = {
    "residents-data-purge": {
        "task": "portal.residents.tasks.resident_data_purge",
        "schedule": crontab(hour=3, minute=30),
    },
}
