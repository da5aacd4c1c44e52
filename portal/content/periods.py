"""Reporting periods: the half years the zone reports in, and the period codes of the indicators."""

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from django.utils.translation import gettext, gettext_lazy

PERIOD_PATTERN = r"^\d{4}(H[12]|Q[1-4])?$"
_PERIOD = re.compile(PERIOD_PATTERN)
_QUARTERS = {
    1: gettext_lazy("%(year)s年第一季度"),
    2: gettext_lazy("%(year)s年第二季度"),
    3: gettext_lazy("%(year)s年第三季度"),
    4: gettext_lazy("%(year)s年第四季度"),
}


@dataclass(frozen=True)
class Period:
    """A span of whole months: a year (2023), a half year (2023H1) or a quarter (2023Q1)."""

    code: str
    start: dt.date
    end: dt.date
    label: str

    @property
    def sort_key(self) -> tuple:
        # Later end first sorts newest; a year after its second half, as it covers more.
        return (self.end, self.end - self.start)

    def same_period_a_year_before(self) -> "Period":
        return parse_period(f"{self.start.year - 1}{self.code[4:]}")


def parse_period(code: str) -> Period:
    """The period a code names; ``ValueError`` with a Chinese message for anything else."""
    code = (code or "").strip().upper()
    if not _PERIOD.match(code):
        raise ValueError(
            gettext("期间“%(code)s”格式不对，应为 2023、2023H1、2023H2 或 2023Q1 至 2023Q4") % {"code": code}
        )
    year = int(code[:4])
    if len(code) == 4:
        return Period(
            code, dt.date(year, 1, 1), dt.date(year, 12, 31), gettext("%(year)s年") % {"year": year}
        )
    kind, number = code[4], int(code[5])
    if kind == "H":
        first_month, months = (1, 6) if number == 1 else (7, 6)
        label = (gettext("%(year)s年上半年") if number == 1 else gettext("%(year)s年下半年")) % {"year": year}
    else:
        first_month, months = 3 * (number - 1) + 1, 3
        label = str(_QUARTERS[number]) % {"year": year}
    last_month = first_month + months - 1
    end = dt.date(year, last_month, calendar.monthrange(year, last_month)[1])
    return Period(code, dt.date(year, first_month, 1), end, label)


def half_year(year: int, half: int) -> Period:
    return parse_period(f"{year}H{half}")


def last_complete_half_year(today: dt.date) -> Period:
    """The latest half year that ended before ``today``: H1 is January–June, H2 July–December."""
    if today.month >= 7:
        return half_year(today.year, 1)
    return half_year(today.year - 1, 2)


def recent_half_years(today: dt.date, count: int = 4) -> list[Period]:
    """The ``count`` latest complete half years, newest first."""
    periods = [last_complete_half_year(today)]
    while len(periods) < count:
        latest = periods[-1]
        periods.append(
            half_year(latest.start.year, 1)
            if latest.code.endswith("H2")
            else half_year(latest.start.year - 1, 2)
        )
    return periods


def span_label(start: dt.date, end: dt.date) -> str:
    """The period's name when it is a whole half year or year, else its dates."""
    for code in (f"{start.year}H1", f"{start.year}H2", f"{start.year}"):
        period = parse_period(code)
        if (period.start, period.end) == (start, end):
            return period.label
    return gettext("%(start)s 至 %(end)s") % {"start": f"{start:%Y-%m-%d}", "end": f"{end:%Y-%m-%d}"}
