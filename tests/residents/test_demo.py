import datetime as dt
import io
import itertools
import time
from collections import Counter
from decimal import Decimal

import pytest
from django.db.models import Count, Sum

from portal.residents import demo
from portal.residents.models import HousePurchase, Person, PurchaseBuyer, normalize_id_number

pytestmark = pytest.mark.django_db


def test_the_generator_draws_the_same_purchases_and_buyers_every_time():
    def sample():
        return [
            (p.contract_no, p.price, p.contract_date, [b.id_number for b in buyers])
            for p, buyers in itertools.islice(demo.generate(), 200)
        ]

    assert sample() == sample()


def test_the_demo_writes_ten_thousand_four_hundred_purchases_in_the_first_half_of_2023_once():
    out = io.StringIO()
    started = time.monotonic()
    demo.load(out)
    elapsed = time.monotonic() - started

    assert HousePurchase.objects.count() == 10_400
    assert not HousePurchase.objects.exclude(
        contract_date__range=(dt.date(2023, 1, 1), dt.date(2023, 6, 30))
    ).exists()
    assert elapsed < 60  # bulk inserts: a few seconds on SQLite
    persons = Person.objects.count()
    assert out.getvalue() == f"购房记录 10400 条（2023 年上半年），购房人 {persons} 人"

    demo.load(io.StringIO())
    assert (HousePurchase.objects.count(), Person.objects.count()) == (10_400, persons)


def test_the_demo_households_look_like_the_tax_bureaus_file():
    demo.load(io.StringIO())

    sizes = Counter(HousePurchase.objects.annotate(n=Count("buyer_links")).values_list("n", flat=True))
    assert set(sizes) == {1, 2, 3}
    assert 0.45 < sizes[2] / 10_400 < 0.6
    new_builds = HousePurchase.objects.filter(is_new_build=True).count()
    # Nearly all new commercial housing (the zone's deed-tax subsidy pays 1.04 万 of them).
    assert 0.99 < new_builds / 10_400 < 1
    # Some buyers bought twice in the half-year, and a few have filed but not yet paid their deed tax.
    assert Person.objects.annotate(n=Count("purchase_links")).filter(n=2).exists()
    assert 0 < HousePurchase.objects.filter(deed_tax_paid_on__isnull=True).count() < 400
    assert HousePurchase.objects.filter(deed_tax__isnull=True).count() == 0
    total_tax = HousePurchase.objects.aggregate(t=Sum("deed_tax"))["t"]
    assert Decimal("100000000") < total_tax < Decimal("400000000")
    # Every number is a well-formed 居民身份证号, and positions start at 1 in each household.
    for person in Person.objects.all()[:500]:
        assert normalize_id_number(person.id_number) == person.id_number
    assert not PurchaseBuyer.objects.filter(position=0).exists()
