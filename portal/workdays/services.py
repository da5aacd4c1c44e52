"""Writes to the working-day calendar: staff load a year's State Council holiday schedule."""

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from portal.workdays.models import CalendarDay, CalendarYear


class CalendarError(Exception):
    """A calendar entry that is refused, with a message for people."""


@transaction.atomic
def calendar_year_load(
    *,
    year: int,
    notice: str = "",
    holidays: Iterable[tuple[dt.date, str]] = (),
    workdays: Iterable[tuple[dt.date, str]] = (),
) -> CalendarYear:
    """Record a year's holidays and make-up working days (调休上班); days already entered are updated."""
    holidays, workdays = list(holidays), list(workdays)
    calendar_year_check(year=year, holidays=holidays, workdays=workdays)
    entry, _created = CalendarYear.objects.update_or_create(year=year, defaults={"notice": notice})
    for day, name in holidays:
        CalendarDay.objects.update_or_create(date=day, defaults={"is_workday": False, "name": name})
    for day, name in workdays:
        CalendarDay.objects.update_or_create(date=day, defaults={"is_workday": True, "name": name})
    return entry


def calendar_year_check(
    *, year: int, holidays: list[tuple[dt.date, str]], workdays: list[tuple[dt.date, str]]
) -> None:
    """Refuse days outside the year's notice and a day entered both as holiday and as working day."""
    for day, _name in holidays + workdays:
        # A notice may start the New Year holiday in the December before (2023's began on 2022-12-31).
        if day.year not in (year - 1, year):
            raise CalendarError(
                _("%(day)s 不在 %(year)d 年的节假日安排内。") % {"day": day.isoformat(), "year": year}
            )
    both = {d for d, _n in holidays} & {d for d, _n in workdays}
    if both:
        raise CalendarError(
            _("同一天不能既是假日又是调休上班日：%(days)s")
            % {"days": "、".join(d.isoformat() for d in sorted(both))}
        )
