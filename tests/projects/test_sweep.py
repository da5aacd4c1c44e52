import datetime as dt

import pytest

from portal.accounts.models import Notification
from projects import services, tasks
from projects.models import Filing, Permit, PermitCommitment, PermitType
from tests.factories import DepartmentFactory, EnterpriseUserFactory, StaffFactory
from tests.projects.factories import ProjectFactory, at, permit_type

pytestmark = pytest.mark.django_db


@pytest.fixture
def department():
    head = StaffFactory(username="gtgh-head")
    department = DepartmentFactory(code="gtgh", name="国土规划住建局", head=head)
    head.department = department
    head.save()
    permit_type("construction")
    PermitType.objects.filter(code="construction").update(department=department)
    return department


@pytest.fixture
def coordinator():
    return StaffFactory(username="coordinator")


@pytest.fixture
def late_permit(department, coordinator):
    """A construction permit (3 working days) applied on 1 March 2023: due by the end of 6 March."""
    project = ProjectFactory(is_key=True, coordinator=coordinator, name="光电显示模组项目")
    return services.permit_apply(
        project=project, permit_type=permit_type("construction"), applied_at=at("2023-03-01")
    )


def recipients(key: str) -> list[str]:
    return sorted(Notification.objects.filter(key=key).values_list("recipient__username", flat=True))


def test_an_overdue_permit_is_flagged_and_its_coordinator_and_department_told_once(late_permit):
    assert services.sla_sweep(now=at("2023-03-06", 20)) == {"filings": 0, "permits": 0, "commitments": 0}

    counts = services.sla_sweep(now=at("2023-03-07", 9))

    assert counts == {"filings": 0, "permits": 1, "commitments": 0}
    late_permit.refresh_from_db()
    assert late_permit.overdue_flagged_at == at("2023-03-07", 9)
    key = f"projects:permit-overdue:{late_permit.pk}"
    assert recipients(key) == ["coordinator", "gtgh-head"]
    assert Notification.objects.get(key=key, recipient__username="coordinator").title == (
        "【超时】光电显示模组项目 建筑工程施工许可证已超过办理时限"
    )

    assert services.sla_sweep(now=at("2023-03-07", 10)) == {"filings": 0, "permits": 0, "commitments": 0}
    assert Notification.objects.filter(key=key).count() == 2


def test_a_paused_permit_is_not_swept(late_permit, coordinator):
    late_permit = services.permit_accept(permit=late_permit, user=coordinator, at=at("2023-03-01", 10))
    services.permit_pause(permit=late_permit, user=coordinator, reason="等待补正", at=at("2023-03-02", 10))

    assert services.sla_sweep(now=at("2023-03-20", 9))["permits"] == 0
    assert Permit.objects.get(pk=late_permit.pk).overdue_flagged_at is None


def test_an_overdue_filing_is_flagged_and_its_department_told(coordinator):
    jjfz = DepartmentFactory(code="jjfz", name="经济发展局")
    StaffFactory(username="jjfz-1", department=jjfz)
    StaffFactory(username="jjfz-2", department=jjfz)
    project = ProjectFactory(coordinator=coordinator)
    filing = services.filing_submit(project=project, submitted_at=at("2023-03-10", 9), department=jjfz)

    assert services.sla_sweep(now=at("2023-03-14", 9))["filings"] == 1

    assert Filing.objects.get(pk=filing.pk).overdue_flagged_at is not None
    assert recipients(f"projects:filing-overdue:{filing.pk}") == ["coordinator", "jjfz-1", "jjfz-2"]


def test_an_overdue_commitment_is_flagged_and_the_enterprise_told_too(department, coordinator):
    member = EnterpriseUserFactory(username="member")
    project = ProjectFactory(coordinator=coordinator, enterprise=member.enterprise)
    permit = services.permit_apply(
        project=project,
        permit_type=permit_type("construction"),
        applied_at=at("2023-03-01"),
        is_commitment=True,
        commitments=[("施工图审查合格书", dt.date(2023, 3, 31))],
    )
    commitment = permit.commitments.get()
    Permit.objects.filter(pk=permit.pk).update(overdue_flagged_at=at("2023-03-07"))  # the permit was swept

    assert services.sla_sweep(now=at("2023-04-01", 9))["commitments"] == 1
    assert services.sla_sweep(now=at("2023-04-02", 9))["commitments"] == 0

    assert PermitCommitment.objects.get(pk=commitment.pk).overdue_flagged_at == at("2023-04-01", 9)
    key = f"projects:commitment-overdue:{commitment.pk}"
    assert recipients(key) == ["coordinator", "gtgh-head", "member"]
    assert Notification.objects.get(key=key, recipient=member).url == f"/me/projects/{project.pk}/"


def test_the_hourly_task_runs_the_sweep(late_permit):
    result = tasks.sweep_sla.delay().get()

    assert result == {"filings": 0, "permits": 1, "commitments": 0}


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_hourly_task_runs_on_a_real_worker(celery_worker, late_permit):
    result = tasks.sweep_sla.delay().get(timeout=30)

    assert result == {"filings": 0, "permits": 1, "commitments": 0}
    assert Notification.objects.filter(key=f"projects:permit-overdue:{late_permit.pk}").count() == 2
