from decimal import Decimal

import pytest

from subsidies.models import AwardStatus
from subsidies.services import AwardError, award_revoke
from tests.subsidies.award_factories import AwardFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("status", ["candidate", "approved", "publicized", "confirmed"])
def test_an_unpaid_award_is_revoked_with_its_reason_and_an_event(status, staff):
    award = AwardFactory(status=status)

    award_revoke(award=award, reason="2022 年研发费用更正为 80 万元", user=staff)

    award.refresh_from_db()
    assert award.status == AwardStatus.REVOKED
    assert award.reason == "2022 年研发费用更正为 80 万元"
    event = award.events.get()
    assert (event.from_status, event.to_status, event.actor) == (status, "revoked", staff)


@pytest.mark.parametrize("status", ["paid", "rejected", "declined", "revoked"])
def test_a_paid_or_closed_award_cannot_be_revoked(status):
    award = AwardFactory(status=status)

    with pytest.raises(AwardError):
        award_revoke(award=award, reason="数据变化")

    award.refresh_from_db()
    assert award.status == status
    assert award.events.count() == 0


def test_revoking_a_confirmed_award_gives_its_money_back_to_the_budget():
    award = AwardFactory(
        status="confirmed", amount=Decimal("30000.00"), scheme__committed=Decimal("50000.00")
    )

    award_revoke(award=award, reason="数据变化")

    award.scheme.refresh_from_db()
    assert award.scheme.committed == Decimal("20000.00")
