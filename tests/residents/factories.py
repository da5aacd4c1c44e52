import datetime as dt
from decimal import Decimal

import factory

from portal.residents.models import HousePurchase, Person, PurchaseBuyer, make_id_number


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"张{'三李四王五赵六'[n % 7]}明")
    id_number = factory.Sequence(
        lambda n: make_id_number("410105", dt.date(1985, 1, 1) + dt.timedelta(days=n), n)
    )
    mobile = factory.Sequence(lambda n: f"139{n:08d}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        person = model_class(name=kwargs["name"])
        person.set_id_number(kwargs["id_number"])
        person.set_mobile(kwargs["mobile"])
        person.save()
        return person


class HousePurchaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HousePurchase

    contract_no = factory.Sequence(lambda n: f"ZZ2023{n:06d}")
    address = factory.Sequence(lambda n: f"郑州高新区梧桐街{n}号")
    floor_area = Decimal("98.50")
    price = Decimal("1200000.00")
    is_new_build = True
    contract_date = dt.date(2023, 3, 15)
    deed_tax = Decimal("12000.00")
    deed_tax_paid_on = dt.date(2023, 3, 20)


class PurchaseBuyerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PurchaseBuyer

    purchase = factory.SubFactory(HousePurchaseFactory)
    person = factory.SubFactory(PersonFactory)
    position = 1
