"""A person's birth date, read from their ID number wherever the number is set, and gone with the person."""

import datetime as dt
import importlib
import json

import pytest
from django.apps import apps

from portal.residents import services
from portal.residents.models import Person, birth_date_of, make_id_number
from tests.residents.factories import PersonFactory, PurchaseBuyerFactory
from tests.residents.test_imports import FILE_ROWS, HEADERS_EN, ID_A, ID_B, ID_C, as_csv

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 6, 30, 12, 0, tzinfo=dt.UTC)


def test_setting_an_id_number_sets_the_birth_date_it_holds():
    person = Person(name="张三明")

    person.set_id_number("11010519491231002x")

    assert person.birth_date == dt.date(1949, 12, 31)
    assert PersonFactory(id_number=make_id_number("410105", dt.date(1988, 2, 29), 5)).birth_date == dt.date(
        1988, 2, 29
    )


def test_a_number_too_short_to_hold_a_date_has_no_birth_date():
    assert birth_date_of("") is None
    assert birth_date_of("41010519881301") is None  # month 13


def test_the_deed_tax_import_stores_each_buyers_birth_date():
    services.deed_tax_import(data=as_csv(HEADERS_EN, FILE_ROWS), filename="deed.csv")

    births = {number: Person.objects.with_id_number(number).get().birth_date for number in (ID_A, ID_B, ID_C)}

    assert births == {ID_A: dt.date(1988, 4, 12), ID_B: dt.date(1990, 7, 3), ID_C: dt.date(1979, 11, 30)}


def test_the_migration_fills_the_birth_dates_of_people_already_on_record_in_batches(monkeypatch):
    migration = importlib.import_module("portal.residents.migrations.0004_person_birth_date")
    monkeypatch.setattr(migration, "BATCH_SIZE", 2)
    people = [
        PersonFactory(id_number=make_id_number("410105", dt.date(1960 + i, 3, 1 + i), i)) for i in range(5)
    ]
    Person.objects.update(birth_date=None)

    migration.fill_birth_dates(apps, None)

    assert [p.birth_date for p in Person.objects.order_by("id")] == [
        dt.date(1960 + i, 3, 1 + i) for i in range(len(people))
    ]


def test_the_persons_own_download_includes_the_birth_date():
    person = PersonFactory(id_number="11010519491231002X")

    document = json.loads(services.person_data_export(person=person))

    assert document["本人信息"]["出生日期"] == "1949-12-31"


def test_the_purge_leaves_no_birth_date_of_a_purged_household():
    old = PurchaseBuyerFactory(purchase__paid_at=NOW - dt.timedelta(days=4 * 365))
    kept = PurchaseBuyerFactory(purchase__paid_at=None)

    services.resident_data_purge(now=NOW)

    assert list(Person.objects.values_list("pk", "birth_date")) == [(kept.person.pk, kept.person.birth_date)]
    assert old.person.birth_date is not None
