from django.core.checks import Warning, register
from django.db import DatabaseError
from django.utils import timezone
from django.utils.translation import gettext

from portal.workdays import selectors


def missing_year_message(year: int) -> str:
    """What staff read when next year's schedule is missing, in the check and in admin."""
    return gettext(
        "%(year)s 年的节假日安排尚未录入：请在管理后台“工作日历”录入国务院办公厅的节假日安排。"
    ) % {"year": year}


@register()
def next_year_schedule_loaded(app_configs=None, **kwargs):
    """From 1 December on, warn while next year's holiday schedule is missing."""
    try:
        missing = selectors.next_year_missing(timezone.localdate())
    except DatabaseError:
        return []
    if missing is None:
        return []
    return [
        Warning(
            missing_year_message(missing),
            hint="Admin → 工作日历 → 节假日安排年度 / 日历调整",
            id="workdays.W001",
        )
    ]


def warn_in_admin(request) -> None:
    """Show the missing-year warning at the top of an admin page (the clocks depend on it)."""
    from django.contrib import messages

    try:
        missing = selectors.next_year_missing(timezone.localdate())
    except DatabaseError:
        return
    if missing is not None:
        messages.warning(request, missing_year_message(missing))
