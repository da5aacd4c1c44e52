"""Periodic jobs of project tracking (read by portal.celery before Django loads: plain data only)."""

from celery.schedules import crontab

BEAT = {
    "projects-weekly-dispatch": {
        "task": "projects.tasks.build_weekly_dispatch",
        # 每周调度: the lists are ready before the Monday morning meeting (Asia/Shanghai, CELERY_TIMEZONE).
        "schedule": crontab(minute=0, hour=7, day_of_week="mon"),
    },
    "projects-sla-sweep": {
        "task": "projects.tasks.sweep_sla",
        "schedule": crontab(minute=0),
    },
}
