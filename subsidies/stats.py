"""免申即享 figures for the service-performance page, computed from the award records.

Definitions (a period is ``start``..``end``, both days included, in Asia/Shanghai dates):

- ``auto_subsidy_policies``: policies with an automatic (免申即享) scheme that has at least one granted
  award created in the period. "Granted" = passed review and not dropped: approved, publicized,
  confirmed or paid (not candidates awaiting review, not rejected, declined or revoked).
- ``auto_subsidy_amount``: the money of those granted awards of automatic schemes created in the period,
  as allocated (``Award.amount``: after any pro-rata scaling), in 元.
- ``subsidy_paid_amount``: the money of awards of any mode paid in the period (``Award.paid_at``), in 元.
- ``household_subsidy_amount`` / ``household_subsidy_households``: the money of household awards (契税补贴)
  paid in the period, in 元, and the households (house purchases) they paid.

The first three count the enterprises' schemes only (惠企政策); households have their two figures.
"""

import datetime as dt
from decimal import Decimal

from django.db.models import Count, Max, Sum
from django.utils import timezone

from subsidies.models import Award, AwardStatus, Beneficiary, SchemeMode
from subsidies.selectors import GRANTED


def _moments(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The period as [first moment, moment after the last day) in local time."""
    return (
        timezone.make_aware(dt.datetime.combine(start, dt.time.min)),
        timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min)),
    )


def _money(value) -> str:
    return str((value or Decimal("0")).quantize(Decimal("0.01")))


def figures(*, start: dt.date, end: dt.date) -> dict:
    """The period's automatic-award policies and money, and the money paid in all modes."""
    since, until = _moments(start, end)
    enterprises = Award.objects.filter(scheme__beneficiary=Beneficiary.ENTERPRISES)
    granted = enterprises.filter(
        scheme__mode=SchemeMode.AUTOMATIC, status__in=GRANTED, created_at__gte=since, created_at__lt=until
    )
    paid = Award.objects.filter(status=AwardStatus.PAID, paid_at__gte=since, paid_at__lt=until)
    households = paid.filter(purchase__isnull=False).aggregate(
        total=Sum("amount"), count=Count("purchase", distinct=True)
    )
    return {
        "auto_subsidy_policies": granted.values("scheme__policy_id").distinct().count(),
        "auto_subsidy_amount": _money(granted.aggregate(total=Sum("amount"))["total"]),
        "subsidy_paid_amount": _money(
            paid.filter(enterprise__isnull=False).aggregate(total=Sum("amount"))["total"]
        ),
        "household_subsidy_amount": _money(households["total"]),
        "household_subsidy_households": households["count"],
    }


def latest_day(*, until: dt.date) -> dt.date | None:
    """The last day up to ``until`` an automatic award was granted or any award paid."""
    _since, before = _moments(until, until)
    granted = Award.objects.filter(
        scheme__mode=SchemeMode.AUTOMATIC, status__in=GRANTED, created_at__lt=before
    )
    paid = Award.objects.filter(status=AwardStatus.PAID, paid_at__lt=before)
    moments = [granted.aggregate(at=Max("created_at"))["at"], paid.aggregate(at=Max("paid_at"))["at"]]
    return max((timezone.localdate(m) for m in moments if m), default=None)
