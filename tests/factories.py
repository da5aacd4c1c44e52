"""factory_boy factories for the core models every part of the portal reads."""

import datetime as dt
from decimal import Decimal

import factory

from portal.accounts.models import Department, EnterpriseRole, User
from portal.enterprises.models import AnnualReport, Enterprise, Park, Qualification, make_uscc

PASSWORD = "Zone-portal-2023!"


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    name = factory.Sequence(lambda n: f"部门{n}")
    code = factory.Sequence(lambda n: f"dept{n}")


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    uscc = factory.Sequence(lambda n: make_uscc(100000 + n))
    name = factory.Sequence(lambda n: f"测试科技有限公司{n}")
    park = Park.WUTONG
    industry_code = "I6510"
    registered_on = dt.date(2015, 6, 1)
    registered_capital = Decimal("1000.00")
    is_above_scale = True
    credit_rating = "A"


class AnnualReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AnnualReport

    enterprise = factory.SubFactory(EnterpriseFactory)
    year = 2022
    revenue = Decimal("5000.00")
    rd_expense = Decimal("350.00")
    employees = 120
    tax_paid = Decimal("260.00")


class QualificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Qualification

    enterprise = factory.SubFactory(EnterpriseFactory)
    code = "high_tech"
    year_awarded = 2022
    valid_until = dt.date(2024, 12, 31)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class StaffFactory(UserFactory):
    is_staff = True
    department = factory.SubFactory(DepartmentFactory)


class EnterpriseUserFactory(UserFactory):
    enterprise = factory.SubFactory(EnterpriseFactory)
    enterprise_role = EnterpriseRole.OWNER


def staff_in_roles(*role_names, **fields):
    """A staff user holding exactly these roles' permissions (the roles synced from their definitions)."""
    import io

    from django.contrib.auth.models import Group
    from django.core.management import call_command

    call_command("sync_roles", stdout=io.StringIO())
    user = StaffFactory(**fields)
    user.groups.set(Group.objects.filter(name__in=role_names))
    return user
