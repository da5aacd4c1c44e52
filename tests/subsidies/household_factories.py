"""Household schemes and purchases for the engine's tests: the 契税补贴 shape, a buyer per purchase."""

import datetime as dt
from decimal import Decimal

from subsidies.models import Beneficiary
from tests.residents.factories import HousePurchaseFactory, PersonFactory, PurchaseBuyerFactory
from tests.subsidies.factories import SchemeFactory

# New commercial housing signed in H1 2023 with its deed tax paid: half the deed tax.
DEED_TAX_SUBSIDY = {
    "and": [
        {"var": "is_new_build"},
        {"<=": ["2023-01-01", {"var": "contract_date"}, "2023-06-30"]},
        {"<=": [{"var": "deed_tax_paid_on"}, "2023-12-31"]},
    ]
}
HALF_THE_DEED_TAX = {"*": [{"var": "deed_tax"}, Decimal("0.5")]}


def household_scheme(**fields):
    values = {
        "beneficiary": Beneficiary.HOUSEHOLDS,
        "title": "新建商品住房契税补贴",
        "facts_year": 2023,
        "reference_date": dt.date(2023, 12, 31),
        "eligibility": DEED_TAX_SUBSIDY,
        "amount_rule": HALF_THE_DEED_TAX,
        "cap_per_enterprise": Decimal("3000.00"),
        **fields,
    }
    return SchemeFactory(**values)


def purchase(*, buyers=None, **fields):
    """A purchase and its buyers (one new person unless given), 主购房人 first."""
    bought = HousePurchaseFactory(**fields)
    for position, person in enumerate(buyers or [PersonFactory()], start=1):
        PurchaseBuyerFactory(purchase=bought, person=person, position=position)
    return bought
