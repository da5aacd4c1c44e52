"""factory_boy factories of the subsidy engine: policies and schemes (the award side may add its own)."""

import datetime as dt
from decimal import Decimal

import factory

from policies.models import Policy, PolicyStatus
from subsidies.models import Allocation, Scheme, SchemeMode, SchemeStatus
from subsidies.schemes import storable
from tests.factories import DepartmentFactory


class PolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Policy
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"policy-{n}")
    title = factory.Sequence(lambda n: f"高新区科技创新扶持政策{n}")
    department = factory.SubFactory(DepartmentFactory, code="cxfz", name="创新发展局")
    status = PolicyStatus.PUBLISHED
    published_on = dt.date(2023, 1, 10)
    effective_from = dt.date(2023, 1, 1)


class SchemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Scheme

    policy = factory.SubFactory(PolicyFactory)
    code = factory.Sequence(lambda n: f"scheme-{n:03d}")
    title = factory.Sequence(lambda n: f"研发费用后补助{n}")
    mode = SchemeMode.AUTOMATIC
    facts_year = 2022
    reference_date = factory.LazyAttribute(lambda scheme: dt.date(scheme.facts_year, 12, 31))
    period = "2023"
    eligibility = factory.LazyFunction(lambda: {">=": [{"var": "rd_expense"}, 100]})
    amount_rule = 100000
    budget = Decimal("100000000.00")
    allocation = Allocation.PRO_RATA
    status = SchemeStatus.ACTIVE

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Rules may be written with Decimals, as imports read them; stored as the import stores them.
        for name in ("eligibility", "amount_rule"):
            kwargs[name] = storable(kwargs[name])
        return super()._create(model_class, *args, **kwargs)
