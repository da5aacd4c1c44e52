"""Writes to the working-day calendar: staff load a year's State Council holiday schedule.

Changing the calendar moves deadlines. The apps that store deadlines computed on it (filings and permits,
problems, award publicity) register a recomputer here; every change to the calendar runs them all, in the
same transaction, for the open deadlines that reach the changed year. ``workdays`` stands below those apps,
so it knows them only through this registry.
"""

import datetime as dt
import logging
from collections.abc import Callable, Iterable

from auditlog.models import LogEntry
from django.core.cache import cache
from django.db import transaction
from django.utils.translation import gettext as _

from portal.workdays.models import CalendarDay, CalendarYear
from portal.workdays.selectors import LOADED_YEARS_CACHE_KEY, WorkCalendar

logger = logging.getLogger(__name__)

# name -> recompute(*, calendar, since) -> how many deadlines changed
Recomputer = Callable[..., int]
_RECOMPUTERS: dict[str, Recomputer] = {}


class CalendarError(Exception):
    """A calendar entry that is refused, with a message for people."""


def deadlines_recomputer(name: str, recompute: Recomputer) -> None:
    """Register an app's recomputer of the open deadlines it stores (called from its ``ready``)."""
    _RECOMPUTERS[name] = recompute


def _calendar_changed() -> None:
    cache.delete(LOADED_YEARS_CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(LOADED_YEARS_CACHE_KEY))


@transaction.atomic
def deadlines_recompute(*, year: int, user=None, entry: CalendarYear | None = None) -> dict[str, int]:
    """Compute again every open deadline that reaches ``year`` on the calendar as it is now; audited."""
    calendar = WorkCalendar.load()
    since = dt.date(year, 1, 1)
    changed = {name: recompute(calendar=calendar, since=since) for name, recompute in _RECOMPUTERS.items()}
    if entry is not None:
        LogEntry.objects.log_create(
            entry,
            force_log=True,
            action=LogEntry.Action.UPDATE,
            actor=user,
            changes={_("重新计算的时限"): [None, ", ".join(f"{k}: {v}" for k, v in sorted(changed.items()))]},
        )
    logger.info("deadlines recomputed for %s: %s", year, changed)
    return changed


@transaction.atomic
def calendar_year_load(
    *,
    year: int,
    notice: str = "",
    holidays: Iterable[tuple[dt.date, str]] = (),
    workdays: Iterable[tuple[dt.date, str]] = (),
    user=None,
) -> CalendarYear:
    """Record a year's holidays and make-up working days (调休上班), then move the deadlines they change."""
    holidays, workdays = list(holidays), list(workdays)
    calendar_year_check(year=year, holidays=holidays, workdays=workdays)
    entry, _created = CalendarYear.objects.update_or_create(year=year, defaults={"notice": notice})
    for day, name in holidays:
        CalendarDay.objects.update_or_create(date=day, defaults={"is_workday": False, "name": name})
    for day, name in workdays:
        CalendarDay.objects.update_or_create(date=day, defaults={"is_workday": True, "name": name})
    _calendar_changed()
    # A notice may start with the last days of the year before: recompute from there.
    first = min([dt.date(year, 1, 1)] + [day for day, _name in holidays + workdays])
    deadlines_recompute(year=first.year, user=user, entry=entry)
    return entry


@transaction.atomic
def calendar_day_save(*, day: CalendarDay, user=None) -> CalendarDay:
    """Save one day's status (a holiday or a make-up working day) and move the deadlines it changes."""
    day.save()
    _calendar_changed()
    deadlines_recompute(year=day.date.year, user=user)
    return day


@transaction.atomic
def calendar_day_delete(*, day: CalendarDay, user=None) -> None:
    """Remove one day's status (the schedule's default applies again) and move the deadlines it changes."""
    year = day.date.year
    day.delete()
    _calendar_changed()
    deadlines_recompute(year=year, user=user)


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
