"""The admin form for loading a year's holiday schedule in one go."""

import datetime as dt
import re

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.workdays import services
from portal.workdays.models import CalendarYear

# "2027-02-10 至 2027-02-16 春节", "2027-02-10~2027-02-16 春节" or "2027-02-07 春节调休上班".
_LINE = re.compile(
    r"^(?P<start>\d{4}-\d{1,2}-\d{1,2})(?:\s*(?:至|到|~|～|—|--)\s*(?P<end>\d{4}-\d{1,2}-\d{1,2}))?"
    r"(?:\s+(?P<name>.+))?$"
)
_LONGEST_HOLIDAY_DAYS = 15


def parse_days(text: str) -> list[tuple[dt.date, str]]:
    """Each line a date or a range with an optional name; every day of a range becomes one entry."""
    days: list[tuple[dt.date, str]] = []
    errors = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        match = _LINE.match(line)
        try:
            if match is None:
                raise ValueError
            start = dt.date.fromisoformat(_pad(match["start"]))
            end = dt.date.fromisoformat(_pad(match["end"])) if match["end"] else start
        except ValueError:
            errors.append(_("第 %(n)d 行无法识别：%(line)s") % {"n": number, "line": line})
            continue
        if end < start or (end - start).days >= _LONGEST_HOLIDAY_DAYS:
            errors.append(_("第 %(n)d 行的日期范围不合理：%(line)s") % {"n": number, "line": line})
            continue
        name = (match["name"] or "").strip()[:64]
        days.extend((start + dt.timedelta(days=i), name) for i in range((end - start).days + 1))
    if errors:
        raise forms.ValidationError(errors)
    return days


def _pad(text: str) -> str:
    year, month, day = text.split("-")
    return f"{year}-{int(month):02d}-{int(day):02d}"


class CalendarYearForm(forms.ModelForm):
    holidays = forms.CharField(
        label=gettext_lazy("放假日期"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 60}),
        help_text=gettext_lazy("每行一项：日期或日期范围，后接名称。如：2027-02-06 至 2027-02-13 春节"),
    )
    workdays = forms.CharField(
        label=gettext_lazy("调休上班日期"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=gettext_lazy("每行一项，如：2027-02-14 春节调休上班"),
    )

    class Meta:
        model = CalendarYear
        fields = ["year", "notice"]

    def clean_holidays(self):
        return parse_days(self.cleaned_data.get("holidays", ""))

    def clean_workdays(self):
        return parse_days(self.cleaned_data.get("workdays", ""))

    def clean(self):
        cleaned = super().clean()
        year = cleaned.get("year") or (self.instance.year if self.instance.pk else None)
        if year is not None and "holidays" in cleaned and "workdays" in cleaned:
            try:
                services.calendar_year_check(
                    year=year, holidays=cleaned["holidays"], workdays=cleaned["workdays"]
                )
            except services.CalendarError as exc:
                raise forms.ValidationError(str(exc)) from exc
        return cleaned
