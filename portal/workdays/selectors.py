"""The Chinese working-day calendar every clock of the portal counts on.

A day's status comes from, in order: a ``CalendarDay`` staff entered; the ``chinesecalendar`` package for
the years it knows; for a year staff loaded (``CalendarYear``) and the package does not know, weekends
off and weekdays on, with the loaded ``CalendarDay`` rows as the holidays and make-up days.

A year that neither knows gets a *provisional* Monday–Friday schedule: no business stops because nobody has
published next year's holidays yet, but nothing computed on it is passed off as certain. Every date in such a
year is ``is_provisional`` (pages mark it 暂定 through the ``provisional`` template filter), ``manage.py
check`` and the admin warn staff, and when staff load the official schedule
(``services.calendar_year_load``) every open deadline reaching that year is computed again.
"""

import datetime as dt
import functools
from collections.abc import Iterable

import chinese_calendar
from django.core.cache import cache
from django.utils import timezone

from portal.workdays.models import CalendarDay, CalendarYear

_PACKAGE_YEARS = range(2004, max(chinese_calendar.constants.holidays).year + 1)


@functools.cache
def _package_is_workday(day: dt.date) -> bool:
    # The package's data never changes in a process, and each of its lookups scans its whole table:
    # remembered per day (at most ~8,000 days for the years it knows).
    return chinese_calendar.is_workday(day)


def package_knows(year: int) -> bool:
    """Whether the chinesecalendar package has this year's schedule."""
    return year in _PACKAGE_YEARS


class WorkCalendar:
    """The calendar for a span of years, loaded once, for many computations (metrics, sweeps)."""

    def __init__(self, overrides: dict[dt.date, bool], loaded_years: Iterable[int]):
        self._overrides = overrides
        self._loaded_years = set(loaded_years)
        self.provisional_years: set[int] = set()

    @classmethod
    def load(cls) -> "WorkCalendar":
        overrides = dict(CalendarDay.objects.values_list("date", "is_workday"))
        return cls(overrides, CalendarYear.objects.values_list("year", flat=True))

    def knows(self, year: int) -> bool:
        return package_knows(year) or year in self._loaded_years

    def is_provisional(self, day: dt.date) -> bool:
        """Whether ``day`` lies in a year counted on the provisional Monday–Friday schedule (暂定)."""
        return not self.knows(day.year)

    def is_workday(self, day: dt.date) -> bool:
        if day in self._overrides:
            return self._overrides[day]
        if package_knows(day.year):
            return _package_is_workday(day)
        if day.year not in self._loaded_years:
            # Nobody has published this year's holidays: weekdays on, weekends off, and remembered, so
            # the caller can say the result is provisional.
            self.provisional_years.add(day.year)
        return day.weekday() < 5

    def add_workdays(self, day: dt.date, n: int) -> dt.date:
        """The n-th working day after ``day`` (n = 0: ``day`` itself if it is one, else the next)."""
        if n < 0:
            raise ValueError("n must not be negative")
        current = day
        if n == 0:
            while not self.is_workday(current):
                current += dt.timedelta(days=1)
            return current
        remaining = n
        while remaining:
            current += dt.timedelta(days=1)
            if self.is_workday(current):
                remaining -= 1
        return current

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` through ``end``: Friday to Monday is 1, a day to itself 0."""
        if end < start:
            return -self.workdays_between(end, start)
        count = 0
        current = start
        while current < end:
            current += dt.timedelta(days=1)
            if self.is_workday(current):
                count += 1
        return count

    def deadline(self, moment: dt.datetime, n: int) -> dt.datetime:
        """The end of the n-th working day after ``moment`` (local time), as an aware datetime."""
        day = self.add_workdays(timezone.localdate(moment), n)
        return timezone.make_aware(
            dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min)
        ) - dt.timedelta(microseconds=1)

    def elapsed(self, start: dt.datetime, end: dt.datetime) -> int:
        """Working days on the clock from one moment to another (local dates)."""
        return self.workdays_between(timezone.localdate(start), timezone.localdate(end))


def calendar() -> WorkCalendar:
    """The calendar as staff and the package know it now."""
    return WorkCalendar.load()


def is_workday(day: dt.date) -> bool:
    """Whether ``day`` is a working day on the Chinese calendar."""
    return calendar().is_workday(day)


def add_workdays(day: dt.date, n: int) -> dt.date:
    """The n-th working day after ``day``."""
    return calendar().add_workdays(day, n)


def workdays_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end``."""
    return calendar().workdays_between(start, end)


def deadline(moment: dt.datetime, n: int) -> dt.datetime:
    """The end of the n-th working day after ``moment``."""
    return calendar().deadline(moment, n)


def elapsed(start: dt.datetime, end: dt.datetime) -> int:
    """Working days on the clock from one moment to another."""
    return calendar().elapsed(start, end)


LOADED_YEARS_CACHE_KEY = "workdays:loaded-years"


def loaded_years() -> frozenset[int]:
    """The years staff loaded, cached briefly: pages ask once per date they mark (暂定 or not)."""
    years = cache.get(LOADED_YEARS_CACHE_KEY)
    if years is None:
        years = frozenset(CalendarYear.objects.values_list("year", flat=True))
        cache.set(LOADED_YEARS_CACHE_KEY, years, 300)
    return years


def year_is_known(year: int) -> bool:
    """Whether this year's official holiday schedule is known (the package's or one staff loaded)."""
    return package_knows(year) or year in loaded_years()


def is_provisional(day: dt.date | dt.datetime | None) -> bool:
    """Whether a date (or a moment's local date) was computed on a provisional schedule (暂定)."""
    if day is None:
        return False
    if isinstance(day, dt.datetime):
        day = timezone.localdate(day)
    return not year_is_known(day.year)


def missing_years(today: dt.date) -> list[int]:
    """The years the clocks run on now without an official schedule: this year, and next from 1 December."""
    years = [today.year] + ([today.year + 1] if today.month == 12 else [])
    return [year for year in years if not year_is_known(year)]
