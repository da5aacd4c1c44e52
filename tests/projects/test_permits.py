import datetime as dt

import pytest
from django.utils import timezone

from portal.workdays.selectors import WorkCalendar
from projects import selectors, services
from projects.models import Permit, PermitCommitment, PermitStatus
from projects.services import ProjectError
from tests.factories import StaffFactory
from tests.projects.factories import ProjectFactory, at, permit_type

pytestmark = pytest.mark.django_db


@pytest.fixture
def handler():
    return StaffFactory()


@pytest.fixture
def permit(handler):
    """建设用地规划许可证 (5 working days) applied and accepted on Monday 6 March 2023."""
    applied = services.permit_apply(
        project=ProjectFactory(),
        permit_type=permit_type("land_use_planning"),
        applied_at=at("2023-03-06", 10),
    )
    return services.permit_accept(permit=applied, user=handler, at=at("2023-03-06", 11))


def clock(permit, now):
    permit = Permit.objects.prefetch_related("pauses").get(pk=permit.pk)
    return selectors.permit_workdays(permit, calendar=WorkCalendar.load(), now=now)


def test_an_application_opens_the_acceptance_step_and_sets_the_deadline_in_working_days():
    permit = services.permit_apply(
        project=ProjectFactory(), permit_type=permit_type("construction"), applied_at=at("2023-09-27", 10)
    )

    assert permit.status == PermitStatus.APPLIED
    assert list(permit.steps.values_list("kind", "closed_at")) == [("acceptance", None)]
    # Three working days on: 28 September, then the make-up Saturday 7 October and Sunday 8 October.
    assert timezone.localdate(permit.due_at) == dt.date(2023, 10, 8)


def test_accepting_closes_the_acceptance_step_and_opens_review(permit):
    assert permit.status == PermitStatus.UNDER_REVIEW
    assert list(permit.steps.order_by("id").values_list("kind", flat=True)) == ["acceptance", "review"]
    assert permit.steps.get(kind="acceptance").closed_at == at("2023-03-06", 11)
    assert permit.steps.get(kind="review").closed_at is None


def test_a_permit_cannot_be_issued_while_a_review_step_is_open(permit, handler):
    with pytest.raises(ProjectError, match="尚有未办结的环节：审查，不能发证"):
        services.permit_issue(permit=permit, user=handler, certificate_number="地字001", at=at("2023-03-07"))

    services.permit_step_close(step=permit.steps.get(kind="review"), user=handler, at=at("2023-03-07", 10))
    with pytest.raises(ProjectError, match="尚有未办结的环节：审批，不能发证"):
        services.permit_issue(
            permit=permit, user=handler, certificate_number="地字001", at=at("2023-03-07", 11)
        )

    services.permit_step_close(step=permit.steps.get(kind="approval"), user=handler, at=at("2023-03-07", 11))
    issued = services.permit_issue(
        permit=permit, user=handler, certificate_number="地字001", at=at("2023-03-07", 12)
    )

    assert issued.status == PermitStatus.ISSUED
    assert issued.certificate_number == "地字001"
    assert clock(issued, timezone.now()) == 1


def test_another_review_round_blocks_issue_until_it_closes(permit, handler):
    services.permit_step_close(step=permit.steps.get(kind="review"), user=handler, at=at("2023-03-07", 10))
    services.permit_step_close(step=permit.steps.get(kind="approval"), user=handler, at=at("2023-03-07", 11))
    services.permit_step_open(permit=permit, kind="review", user=handler, at=at("2023-03-07", 12))

    with pytest.raises(ProjectError, match="审查"):
        services.permit_issue(
            permit=permit, user=handler, certificate_number="地字002", at=at("2023-03-07", 13)
        )


def test_an_application_cannot_be_issued_before_it_is_accepted(handler):
    permit = services.permit_apply(
        project=ProjectFactory(), permit_type=permit_type("works_planning"), applied_at=at("2023-03-06", 10)
    )

    with pytest.raises(ProjectError, match="受理并审查后才能发证"):
        services.permit_issue(
            permit=permit, user=handler, certificate_number="建字001", at=at("2023-03-06", 11)
        )


def test_pausing_stops_the_clock_and_resuming_moves_the_deadline_by_the_days_paused(permit, handler):
    assert timezone.localdate(permit.due_at) == dt.date(2023, 3, 13)

    services.permit_pause(permit=permit, user=handler, reason="等待补正设计方案", at=at("2023-03-07", 10))
    # While paused, the clock stands where it stopped: one working day (Tuesday), however long the wait.
    assert clock(permit, at("2023-03-10", 17)) == 1
    assert Permit.objects.overdue(at("2023-03-20")).count() == 0

    permit = services.permit_resume(permit=permit, user=handler, at=at("2023-03-10", 9))
    pause = permit.pauses.get()
    assert pause.workdays == 3
    assert timezone.localdate(permit.due_at) == dt.date(2023, 3, 16)
    assert clock(permit, at("2023-03-15", 17)) == 4
    assert Permit.objects.overdue(at("2023-03-16", 20)).count() == 0
    assert Permit.objects.overdue(at("2023-03-17", 9)).count() == 1


def test_a_paused_permit_cannot_move_on_until_it_resumes(permit, handler):
    services.permit_pause(permit=permit, user=handler, reason="等待补正", at=at("2023-03-07", 10))

    with pytest.raises(ProjectError, match="正在暂停计时"):
        services.permit_step_close(
            step=permit.steps.get(kind="review"), user=handler, at=at("2023-03-07", 11)
        )
    with pytest.raises(ProjectError, match="正在暂停计时"):
        services.permit_pause(permit=permit, user=handler, reason="再次暂停", at=at("2023-03-07", 12))


def test_resuming_a_permit_that_is_not_paused_is_refused(permit, handler):
    with pytest.raises(ProjectError, match="没有暂停计时"):
        services.permit_resume(permit=permit, user=handler, at=at("2023-03-07", 10))


def test_a_pause_needs_a_reason(permit, handler):
    with pytest.raises(ProjectError, match="请写明暂停计时的原因"):
        services.permit_pause(permit=permit, user=handler, reason="  ", at=at("2023-03-07", 10))


def test_a_permit_past_its_deadline_is_overdue_until_it_is_issued(permit, handler):
    assert list(Permit.objects.overdue(at("2023-03-13", 23))) == []
    assert list(Permit.objects.overdue(at("2023-03-14", 9))) == [permit]
    assert [p.pk for p in selectors.permits_overdue(now=at("2023-03-14", 9))] == [permit.pk]

    services.permit_step_close(step=permit.steps.get(kind="review"), user=handler, at=at("2023-03-14", 10))
    services.permit_step_close(step=permit.steps.get(kind="approval"), user=handler, at=at("2023-03-14", 11))
    services.permit_issue(permit=permit, user=handler, certificate_number="地字003", at=at("2023-03-14", 12))

    assert list(Permit.objects.overdue(at("2023-03-15"))) == []


def test_rejecting_closes_open_steps_and_pauses_and_allows_a_new_application(permit, handler):
    services.permit_pause(permit=permit, user=handler, reason="等待补正", at=at("2023-03-07", 10))

    rejected = services.permit_reject(
        permit=permit, user=handler, reason="用地性质不符", at=at("2023-03-09", 10)
    )

    assert rejected.status == PermitStatus.REJECTED
    assert rejected.steps.filter(closed_at__isnull=True).count() == 0
    assert rejected.pauses.get().workdays == 2
    again = services.permit_apply(
        project=permit.project, permit_type=permit.permit_type, applied_at=at("2023-03-10", 10)
    )
    assert again.status == PermitStatus.APPLIED


def test_the_same_permit_cannot_be_applied_for_twice(permit):
    with pytest.raises(ProjectError, match="已申请过建设用地规划许可证"):
        services.permit_apply(
            project=permit.project, permit_type=permit.permit_type, applied_at=at("2023-03-07")
        )


def test_a_certificate_number_is_used_once_per_permit_type(permit, handler):
    other = services.permit_apply(
        project=ProjectFactory(), permit_type=permit.permit_type, applied_at=at("2023-03-06", 10)
    )
    for p in (permit, other):
        p = services.permit_accept(permit=p, user=handler, at=at("2023-03-06", 11)) if p is other else p
        services.permit_step_close(step=p.steps.get(kind="review"), user=handler, at=at("2023-03-07", 10))
        services.permit_step_close(step=p.steps.get(kind="approval"), user=handler, at=at("2023-03-07", 11))
    services.permit_issue(permit=permit, user=handler, certificate_number="地字100", at=at("2023-03-07", 12))

    with pytest.raises(ProjectError, match="证书编号 地字100 已被使用"):
        services.permit_issue(
            permit=other, user=handler, certificate_number="地字100", at=at("2023-03-07", 12)
        )


def test_a_commitment_not_fulfilled_by_its_date_is_overdue():
    permit = services.permit_apply(
        project=ProjectFactory(),
        permit_type=permit_type("construction"),
        applied_at=at("2023-03-01", 9),
        is_commitment=True,
        commitments=[("消防设计审查合格意见书", dt.date(2023, 3, 31))],
    )
    commitment = permit.commitments.get()

    assert list(PermitCommitment.objects.overdue(at("2023-03-31", 18))) == []
    assert list(PermitCommitment.objects.overdue(at("2023-04-01", 8))) == [commitment]
    assert commitment.is_overdue_at(at("2023-04-01", 8)) is True

    services.permit_commitment_fulfil(commitment=commitment, on=dt.date(2023, 4, 3))
    assert list(PermitCommitment.objects.overdue(at("2023-04-04"))) == []


def test_commitments_belong_only_to_permits_issued_on_commitment():
    with pytest.raises(ProjectError, match="只有告知承诺制办理的证照才有承诺事项"):
        services.permit_apply(
            project=ProjectFactory(),
            permit_type=permit_type("construction"),
            applied_at=at("2023-03-01", 9),
            commitments=[("施工图审查合格书", dt.date(2023, 3, 31))],
        )
    assert Permit.objects.count() == 0
