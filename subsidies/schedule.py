"""Periodic jobs of the subsidy engine (plain data for portal.celery)."""

from celery.schedules import crontab

BEAT = {
    "subsidies-nightly-match": {
        "task": "subsidies.tasks.match_nightly",
        "schedule": crontab(hour=2, minute=0),
    },
}
