import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from portal import stats as portal_stats
from subsidies import stats
from subsidies.models import Award, SchemeMode
from subsidies.services import award_revoke
from tests.subsidies.award_factories import AwardFactory, AwardSchemeFactory

pytestmark = pytest.mark.django_db

H1 = {"start": dt.date(2023, 1, 1), "end": dt.date(2023, 6, 30)}


def at(day: str, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour)))


def award(created: str, paid: str | None = None, **kwargs) -> Award:
    made = AwardFactory(**kwargs)
    Award.objects.filter(pk=made.pk).update(created_at=at(created), paid_at=at(paid) if paid else None)
    return made


def test_figures_count_granted_automatic_awards_created_and_awards_paid_in_the_period():
    rd = AwardSchemeFactory()
    award("2023-03-01", status="approved", scheme=rd, amount=Decimal("100000.50"))
    award("2023-03-01", status="paid", paid="2023-06-30", scheme=rd, amount=Decimal("200000.00"))
    award("2023-04-01", status="publicized", amount=Decimal("300000.00"))  # a second policy
    award("2023-04-01", status="candidate", amount=Decimal("1.00"))  # not reviewed: not granted
    award("2023-04-01", status="rejected", amount=Decimal("2.00"))
    award("2022-12-31", status="paid", paid="2023-01-01", amount=Decimal("50.00"))  # created before
    award("2023-05-01", status="paid", paid="2023-07-01", amount=Decimal("70.00"))  # paid after
    application = AwardSchemeFactory(mode=SchemeMode.APPLICATION)
    award("2023-05-01", status="paid", paid="2023-05-02", scheme=application, amount=Decimal("1000.00"))

    assert stats.figures(**H1) == {
        "auto_subsidy_policies": 3,
        "auto_subsidy_amount": "600070.50",
        "subsidy_paid_amount": "201050.00",
        "household_subsidy_amount": "0.00",
        "household_subsidy_households": 0,
    }


def test_an_empty_period_gives_zeros():
    assert stats.figures(**H1) == {
        "auto_subsidy_policies": 0,
        "auto_subsidy_amount": "0.00",
        "subsidy_paid_amount": "0.00",
        "household_subsidy_amount": "0.00",
        "household_subsidy_households": 0,
    }


def test_the_period_ends_at_midnight_shanghai_time():
    award("2023-06-30", status="paid", paid="2023-06-30", amount=Decimal("10.00"))
    late = AwardFactory(status="paid", amount=Decimal("20.00"))
    # 23:30 on 30 June in Shanghai is 15:30 UTC: still in the first half-year.
    Award.objects.filter(pk=late.pk).update(paid_at=dt.datetime(2023, 6, 30, 15, 30, tzinfo=dt.UTC))

    assert stats.figures(**H1)["subsidy_paid_amount"] == "30.00"


def test_a_revocation_refreshes_the_cached_figures():
    granted = award("2023-03-01", status="approved", amount=Decimal("500.00"))
    assert portal_stats.figures(**H1)["auto_subsidy_amount"] == "500.00"

    award_revoke(award=granted, reason="数据更正")

    assert portal_stats.figures(**H1)["auto_subsidy_amount"] == "0.00"


def test_household_awards_paid_in_the_period_are_counted_apart_from_the_enterprises():
    from tests.subsidies.household_factories import household_scheme, purchase

    scheme = household_scheme()
    homes = [purchase(), purchase(), purchase()]

    def paid(home, day, amount):
        made = Award.objects.create(
            scheme=scheme, purchase=home, period=day, status="paid", computed_amount=amount, amount=amount
        )
        Award.objects.filter(pk=made.pk).update(created_at=at(day), paid_at=at(day))

    paid(homes[0], "2023-06-30", Decimal("2600.00"))
    paid(homes[1], "2023-03-01", Decimal("1234.56"))
    paid(homes[2], "2023-07-01", Decimal("2000.00"))  # paid after the period
    award("2023-03-01", status="paid", paid="2023-03-02", amount=Decimal("100.00"))  # an enterprise's

    figures = stats.figures(**H1)

    assert (figures["household_subsidy_amount"], figures["household_subsidy_households"]) == ("3834.56", 2)
    assert (figures["subsidy_paid_amount"], figures["auto_subsidy_policies"]) == ("100.00", 1)
    assert portal_stats.figures(**H1)["household_subsidy_households"] == 2
