from django.core.checks import Warning, register
from django.db import DatabaseError
from django.utils import timezone
from django.utils.translation import gettext

from portal.workdays import selectors


def missing_year_message(year: int) -> str:
    """What staff read while a year's schedule is missing, in the check and in admin."""
    return gettext(
        "%(year)s 年的节假日安排尚未录入：该年的工作日暂按周一至周五计算，相关时限标为“暂定”。"
        "请在管理后台“工作日历”录入国务院办公厅的节假日安排，录入后未结束的时限将自动重新计算。"
    ) % {"year": year}


def _missing_now() -> list[int]:
    try:
        return selectors.missing_years(timezone.localdate())
    except DatabaseError:
        return []


@register()
def holiday_schedule_loaded(app_configs=None, **kwargs):
    """Warn while this year's schedule, or from 1 December next year's, is missing."""
    return [
        Warning(
            missing_year_message(year),
            hint="Admin → 工作日历 → 节假日安排年度 / 日历调整",
            id="workdays.W001",
        )
        for year in _missing_now()
    ]


def warn_in_admin(request) -> None:
    """Show the missing-year warning at the top of an admin page (the clocks depend on it)."""
    from django.contrib import messages

    for year in _missing_now():
        messages.warning(request, missing_year_message(year))
