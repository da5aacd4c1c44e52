"""The Celery app and its beat schedule, declared here and synced to django-celery-beat for admin."""

import os
from importlib import import_module
from importlib.util import find_spec

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_soft_time_limit=30 * 60,
    task_time_limit=35 * 60,
    broker_connection_retry_on_startup=True,
    result_expires=24 * 3600,
)
app.autodiscover_tasks()

# Every periodic job of the portal, declared in each part's ``schedule.py`` (plain data, no models), so
# beat knows them before Django loads. django-celery-beat copies them into its tables, where staff can
# see and pause them in admin.
SCHEDULE_MODULES = (
    "portal.accounts.schedule",
    "portal.servicedesk.schedule",
    "portal.content.schedule",
    "policies.schedule",
    "subsidies.schedule",
    "projects.schedule",
    "portal.residents.schedule",
)


def beat_schedule() -> dict:
    schedule = {}
    for name in SCHEDULE_MODULES:
        if find_spec(name) is not None:
            schedule.update(import_module(name).BEAT)
    return schedule


app.conf.beat_schedule = beat_schedule()
