from django.core.checks import Warning, register
from django.db import DatabaseError
from django.utils import timezone

from portal.workdays import selectors


@register()
def next_year_schedule_loaded(app_configs=None, **kwargs):
    """From 1 December on, warn while next year's holiday schedule is missing."""
    today = timezone.localdate()
    if today.month != 12:
        return []
    try:
        known = selectors.year_is_known(today.year + 1)
    except DatabaseError:
        return []
    if known:
        return []
    return [
        Warning(
            f"{today.year + 1} 年的节假日安排尚未录入：请在管理后台“工作日历”录入国务院办公厅的节假日安排。",
            hint="Admin → 工作日历 → 节假日安排年度 / 日历调整",
            id="workdays.W001",
        )
    ]
