"""The staff home on the admin index: overdue problems, awards to review, permits due today, by department."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.servicedesk.models import Problem, Status
from projects.models import Permit, PermitStatus
from tests.factories import DepartmentFactory, EnterpriseFactory, StaffFactory
from tests.projects.factories import ProjectFactory, permit_type
from tests.subsidies.award_factories import AwardFactory, AwardSchemeFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2023, 6, 7, 2, tzinfo=dt.UTC)  # 10:00 in the zone, a Wednesday


def local(day: str, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour)))


@pytest.fixture
def land():
    return DepartmentFactory(name="自然资源和规划局")


@pytest.fixture
def land_staff(land):
    user = StaffFactory(department=land)
    codenames = ["view_problem", "change_award", "view_award", "view_permit"]
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


def problem(department, title: str, *, answer_due: dt.datetime) -> Problem:
    return Problem.objects.create(
        enterprise=EnterpriseFactory(),
        channel="portal",
        category="land",
        title=title,
        description="说明",
        department=department,
        status=Status.ASSIGNED,
        answer_due=answer_due,
    )


def permit(department, code: str, *, due_at: dt.datetime) -> Permit:
    kind = permit_type(code)
    kind.department = department
    kind.save()
    return Permit.objects.create(
        project=ProjectFactory(name=f"{code} 项目"),
        permit_type=kind,
        status=PermitStatus.UNDER_REVIEW,
        applied_at=due_at - dt.timedelta(days=7),
        due_at=due_at,
    )


def arrange(land, count: int, *, first: int = 0) -> None:
    other = DepartmentFactory()
    for n in range(first, first + count):
        problem(land, f"超期诉求{n}", answer_due=local("2023-06-05", 17))
        scheme = AwardSchemeFactory(policy__department=land, title=f"研发费用后补助{n}")
        AwardFactory.create_batch(2, scheme=scheme, computed_amount=Decimal("1234567.50"))
    problem(land, "未到期诉求", answer_due=local("2023-06-09", 17))
    problem(other, "别的部门的超期诉求", answer_due=local("2023-06-01", 17))
    AwardFactory(scheme=AwardSchemeFactory(policy__department=other, title=f"别的部门的方案{first}"))
    AwardFactory(
        status="approved", scheme=AwardSchemeFactory(policy__department=land, title=f"已审核的方案{first}")
    )


@time_machine.travel(NOW, tick=False)
def test_department_staff_see_what_waits_for_their_department_on_the_admin_index(client, land, land_staff):
    arrange(land, 1)
    permit(land, "land_use_planning", due_at=local("2023-06-07", 17))
    permit(land, "works_planning", due_at=local("2023-06-08", 17))
    client.force_login(land_staff)

    page = client.get("/admin/").content.decode()

    home = page[page.index('id="staff-home"') : page.index('<div class="app-')]
    assert "超期诉求 1 件" in home
    assert "超期诉求0" in home
    assert "未到期诉求" not in home
    assert "别的部门的超期诉求" not in home
    assert "研发费用后补助0" in home
    assert "2 项" in home
    assert "2,469,135.00 元" in home
    assert "别的部门的方案" not in home
    assert "已审核的方案" not in home
    assert "建设用地规划许可证" in home
    assert "建设工程规划许可证" not in home


@time_machine.travel(NOW, tick=False)
def test_the_staff_home_costs_the_same_queries_for_one_item_or_many(client, land, land_staff):
    arrange(land, 1)
    permit(land, "land_use_planning", due_at=local("2023-06-07", 17))
    client.force_login(land_staff)
    client.get("/admin/")
    with CaptureQueriesContext(connection) as few:
        client.get("/admin/")

    arrange(land, 8, first=1)
    permit(land, "construction", due_at=local("2023-06-07", 16))
    with CaptureQueriesContext(connection) as many:
        client.get("/admin/")

    assert len(many.captured_queries) == len(few.captured_queries)


def test_staff_without_the_permissions_see_no_staff_home(client):
    client.force_login(StaffFactory())

    page = client.get("/admin/").content.decode()

    assert 'id="staff-home"' not in page
