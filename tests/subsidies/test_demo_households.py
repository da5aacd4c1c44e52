"""The household half of the demo: the 契税补贴 of H1 2023 comes out of the records, through the services."""

import datetime as dt
import io
from decimal import Decimal

import pytest

from portal.accounts.models import Department
from portal.residents import demo as residents_demo
from portal.residents.models import HousePurchase
from subsidies import demo_households
from subsidies.models import Award, AwardStatus, PaymentBatch
from subsidies.stats import figures
from tests.subsidies.award_factories import AwardPolicyFactory

pytestmark = pytest.mark.django_db


def test_the_deed_tax_subsidy_of_h1_2023_is_paid_to_about_ten_thousand_households_once():
    from portal.accounts import demo as accounts_demo

    accounts_demo.load(io.StringIO())
    # The policy of the 财政金融局, whose clerk reviews and pays it.
    AwardPolicyFactory(code=demo_households.POLICY, department=Department.objects.get(code="czjr"))
    residents_demo.load(io.StringIO())

    out = io.StringIO()
    demo_households.load(out)

    h1 = figures(start=dt.date(2023, 1, 1), end=dt.date(2023, 6, 30))
    assert h1["household_subsidy_amount"] == "26140000.00"
    assert 10_350 <= h1["household_subsidy_households"] <= 10_449
    paid = Award.objects.filter(scheme__code=demo_households.CODE, status=AwardStatus.PAID)
    assert paid.count() == h1["household_subsidy_households"]
    assert not paid.filter(purchase__isnull=True).exists()
    assert max(paid.values_list("amount", flat=True)) == Decimal("2600.00")
    # Every paid household's purchase records the payment, and every payment went through a batch.
    assert HousePurchase.objects.filter(paid_at__isnull=False).count() == paid.count()
    assert set(PaymentBatch.objects.values_list("status", flat=True)) == {"paid"}
    # Each was confirmed by one of its own buyers, with a card in that buyer's name.
    award = paid.select_related("purchase").first()
    assert award.bank_account_name in {link.person.name for link in award.purchase.buyer_links.all()}
    assert out.getvalue() == f"2023 年上半年发放契税补贴 26140000.00 元，惠及 {paid.count()} 户"

    count = Award.objects.count()
    again = io.StringIO()
    demo_households.load(again)
    assert Award.objects.count() == count
    assert again.getvalue() == out.getvalue()
