import pytest
from django.core import mail

from portal.accounts.models import Notification
from subsidies.models import AwardStatus
from subsidies.services import AwardError, run_release
from tests.factories import EnterpriseUserFactory
from tests.subsidies.award_factories import (
    AwardFactory,
    MatchRunFactory,
    fast_passwords,  # noqa: F401 - a fixture
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


def members(enterprise):
    owner = EnterpriseUserFactory(enterprise=enterprise, email="owner@example.com")
    agent = EnterpriseUserFactory(enterprise=enterprise, enterprise_role="agent", email="agent@example.com")
    return owner, agent


def test_release_notifies_each_member_of_the_enterprise_once_in_portal_and_by_email(
    staff, django_capture_on_commit_callbacks
):
    run = MatchRunFactory()
    award = AwardFactory(run=run, status="approved", scheme__title="研发费用后补助")
    owner, agent = members(award.enterprise)

    with django_capture_on_commit_callbacks(execute=True):
        assert run_release(run=run, user=staff) == 1

    notes = Notification.objects.order_by("recipient_id")
    assert [n.recipient for n in notes] == [owner, agent]
    assert {n.title for n in notes} == {"免申即享：您可获得“研发费用后补助”兑现 100000.00 元"}
    assert {n.url for n in notes} == {f"/me/awards/{award.pk}/"}
    assert sorted(m.to[0] for m in mail.outbox) == ["agent@example.com", "owner@example.com"]
    award.refresh_from_db()
    assert award.status == AwardStatus.PUBLICIZED
    assert award.notified_at is not None
    run.refresh_from_db()
    assert (run.released_by, run.released_at is not None) == (staff, True)


def test_releasing_a_run_again_notifies_nobody_twice(staff, django_capture_on_commit_callbacks):
    run = MatchRunFactory()
    award = AwardFactory(run=run, status="approved")
    members(award.enterprise)
    with django_capture_on_commit_callbacks(execute=True):
        run_release(run=run, user=staff)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert run_release(run=run, user=staff) == 0

    assert Notification.objects.count() == 2
    assert mail.outbox == []


def test_a_second_release_tells_only_the_enterprises_approved_since(
    staff, django_capture_on_commit_callbacks
):
    run = MatchRunFactory()
    first = AwardFactory(run=run, status="approved")
    later = AwardFactory(run=run, status="candidate")
    members(first.enterprise)
    late_owner, _agent = members(later.enterprise)
    with django_capture_on_commit_callbacks(execute=True):
        run_release(run=run, user=staff)
    later.status = AwardStatus.APPROVED
    later.save()

    with django_capture_on_commit_callbacks(execute=True):
        assert run_release(run=run, user=staff) == 1

    assert Notification.objects.count() == 4
    assert Notification.objects.filter(recipient=late_owner).count() == 1


def test_candidates_and_rejected_awards_are_not_released_nor_notified(staff):
    run = MatchRunFactory()
    candidate = AwardFactory(run=run)
    rejected = AwardFactory(run=run, status="rejected")
    members(candidate.enterprise)
    members(rejected.enterprise)

    assert run_release(run=run, user=staff) == 0

    assert Notification.objects.count() == 0
    candidate.refresh_from_db()
    assert candidate.status == AwardStatus.CANDIDATE


@pytest.mark.parametrize(
    ("fields", "message"), [({"dry_run": True}, "试运行"), ({"status": "running"}, "尚未完成")]
)
def test_a_dry_or_unfinished_run_cannot_be_released(fields, message, staff):
    run = MatchRunFactory(**fields)
    AwardFactory(run=run, status="approved")

    with pytest.raises(AwardError, match=message):
        run_release(run=run, user=staff)
