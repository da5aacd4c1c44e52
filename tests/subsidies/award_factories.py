"""factory_boy factories for the award side: policies, schemes, runs, awards."""

import datetime as dt
from decimal import Decimal

import factory
import pytest

from policies.models import Policy, PolicyStatus
from subsidies.models import Award, AwardStatus, MatchRun, RunStatus, Scheme, SchemeMode, SchemeStatus
from tests.factories import DepartmentFactory, EnterpriseFactory


class AwardPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Policy

    code = factory.Sequence(lambda n: f"award-policy-{n}")
    title = factory.Sequence(lambda n: f"研发投入后补助政策{n}")
    department = factory.SubFactory(DepartmentFactory)
    status = PolicyStatus.PUBLISHED
    published_on = dt.date(2023, 2, 10)
    guide_phone = "0371-67980001"
    guide_office = "高新区管委会 2 楼 203 室"


class AwardSchemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Scheme

    policy = factory.SubFactory(AwardPolicyFactory)
    code = factory.Sequence(lambda n: f"award-scheme-{n}")
    title = factory.Sequence(lambda n: f"研发费用后补助{n}")
    mode = SchemeMode.AUTOMATIC
    facts_year = 2022
    reference_date = dt.date(2022, 12, 31)
    period = "2023"
    eligibility = {">=": [{"var": "rd_expense"}, 100]}
    amount_rule = 100000
    budget = Decimal("1000000.00")
    status = SchemeStatus.ACTIVE


class MatchRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MatchRun

    status = RunStatus.FINISHED


class AwardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Award

    scheme = factory.SubFactory(AwardSchemeFactory)
    enterprise = factory.SubFactory(EnterpriseFactory)
    period = factory.SelfAttribute("scheme.period")
    status = AwardStatus.CANDIDATE
    computed_amount = Decimal("100000.00")
    amount = factory.SelfAttribute("computed_amount")
    explanation = factory.LazyFunction(
        lambda: {
            "outcome": "eligible",
            "trace": [
                {
                    "path": "",
                    "op": ">=",
                    "variable": "rd_expense",
                    "label": "研发费用",
                    "value": "350",
                    "threshold": "100",
                    "unit": "万元",
                    "status": "pass",
                    "text": "研发费用 350 万元，不低于 100 万元",
                    "negated": False,
                    "kind": "number",
                }
            ],
        }
    )
    facts = factory.LazyFunction(lambda: {"rd_expense": "350"})


class PublicizedAwardFactory(AwardFactory):
    """An award whose publicity ended: its enterprise may confirm it."""

    status = AwardStatus.PUBLICIZED
    publicity_from = dt.date(2023, 3, 1)
    publicity_to = dt.date(2023, 3, 7)


def bank_details(award: Award) -> dict:
    """Bank details an enterprise would enter to confirm this award."""
    return {
        "bank_name": "中国工商银行郑州高新技术开发区支行",
        "bank_account_name": award.enterprise.name,
        "bank_account": "1702 0201 0900 0123 456",
    }


@pytest.fixture
def fast_passwords(settings):
    """A fast password hasher: these tests create many logins and never test hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
