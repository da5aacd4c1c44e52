import threading
from decimal import Decimal

import pytest
from django.db import connection

from subsidies.models import Allocation, Award, AwardStatus
from subsidies.services import (
    AwardError,
    award_confirm,
    award_decline,
    awards_release,
    payment_batch_create,
    scheme_allocate,
)
from tests.factories import EnterpriseUserFactory
from tests.subsidies.award_factories import (
    AwardFactory,
    AwardSchemeFactory,
    PublicizedAwardFactory,
    bank_details,
    fast_passwords,  # noqa: F401 - a fixture
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


def confirm(award):
    owner = EnterpriseUserFactory(enterprise=award.enterprise)
    return award_confirm(award=award, user=owner, **bank_details(award))


# — pro rata —


def test_an_over_subscribed_scheme_scales_every_approved_award_rounded_down_to_the_fen():
    scheme = AwardSchemeFactory(budget=Decimal("100000.00"))
    amounts = [Decimal("100000.00"), Decimal("33333.33"), Decimal("12345.67")]
    awards = [AwardFactory(scheme=scheme, status="approved", computed_amount=a) for a in amounts]

    result = scheme_allocate(scheme=scheme)

    # 100,000 / 145,679 of each, rounded down: 99,999.99 in all, never a fen over the budget.
    assert [Award.objects.get(pk=a.pk).amount for a in awards] == [
        Decimal("68644.07"),
        Decimal("22881.35"),
        Decimal("8474.57"),
    ]
    assert result["scaled"] is True
    assert result["allocated"] == Decimal("99999.99")
    assert [Award.objects.get(pk=a.pk).computed_amount for a in awards] == amounts


def test_equal_awards_over_budget_get_equal_shares():
    scheme = AwardSchemeFactory(budget=Decimal("200000.00"))
    AwardFactory.create_batch(3, scheme=scheme, status="approved", computed_amount=Decimal("100000.00"))

    scheme_allocate(scheme=scheme)

    assert list(Award.objects.values_list("amount", flat=True)) == [Decimal("66666.66")] * 3


def test_a_scheme_within_budget_pays_the_computed_amounts():
    scheme = AwardSchemeFactory(budget=Decimal("300000.00"))
    award = AwardFactory(scheme=scheme, status="approved", computed_amount=Decimal("100000.00"))
    AwardFactory(scheme=scheme, status="approved", computed_amount=Decimal("200000.00"))

    result = scheme_allocate(scheme=scheme)

    assert result["scaled"] is False
    assert Award.objects.get(pk=award.pk).amount == Decimal("100000.00")
    assert award.events.count() == 0


def test_allocation_spares_confirmed_awards_and_shares_what_is_left():
    scheme = AwardSchemeFactory(budget=Decimal("150000.00"), committed=Decimal("100000.00"))
    confirmed = AwardFactory(scheme=scheme, status="confirmed", computed_amount=Decimal("100000.00"))
    waiting = AwardFactory.create_batch(
        2, scheme=scheme, status="publicized", computed_amount=Decimal("100000.00")
    )
    candidate = AwardFactory(scheme=scheme, status="candidate", computed_amount=Decimal("100000.00"))

    scheme_allocate(scheme=scheme)

    assert Award.objects.get(pk=confirmed.pk).amount == Decimal("100000.00")
    assert [Award.objects.get(pk=a.pk).amount for a in waiting] == [Decimal("25000.00")] * 2
    assert Award.objects.get(pk=candidate.pk).amount == Decimal("100000.00")


def test_a_later_allocation_under_budget_restores_the_computed_amount():
    scheme = AwardSchemeFactory(budget=Decimal("100000.00"))
    award = AwardFactory(scheme=scheme, status="approved", computed_amount=Decimal("100000.00"))
    other = AwardFactory(scheme=scheme, status="approved", computed_amount=Decimal("100000.00"))
    scheme_allocate(scheme=scheme)
    other.status = AwardStatus.REJECTED
    other.save()

    scheme_allocate(scheme=scheme)

    assert Award.objects.get(pk=award.pk).amount == Decimal("100000.00")
    assert [e.note for e in award.events.all()] == [
        "预算超额，按比例核减（可分配 100000.00 元 / 核定合计 200000.00 元）。",
        "预算充足，按核定金额兑现。",
    ]


def test_release_allocates_a_pro_rata_scheme_so_the_publicity_shows_the_amount_paid(staff):
    scheme = AwardSchemeFactory(budget=Decimal("150000.00"))
    awards = AwardFactory.create_batch(
        2, scheme=scheme, status="approved", computed_amount=Decimal("100000.00")
    )

    awards_release(awards=awards, user=staff)

    assert list(Award.objects.values_list("status", "amount")) == [("publicized", Decimal("75000.00"))] * 2


def test_a_first_confirmed_scheme_is_not_allocated_pro_rata():
    scheme = AwardSchemeFactory(allocation=Allocation.FIRST_CONFIRMED)

    with pytest.raises(AwardError, match="按确认先后拨付"):
        scheme_allocate(scheme=scheme)


def test_a_pro_rata_confirmation_that_would_overrun_the_budget_is_refused():
    scheme = AwardSchemeFactory(budget=Decimal("150000.00"), committed=Decimal("100000.00"))
    award = PublicizedAwardFactory(scheme=scheme, amount=Decimal("60000.00"))

    with pytest.raises(AwardError, match="预算余额不足"):
        confirm(award)

    scheme.refresh_from_db()
    assert scheme.committed == Decimal("100000.00")


# — first confirmed —


def test_first_confirmed_pays_in_order_of_confirmation_and_waitlists_the_rest():
    scheme = AwardSchemeFactory(allocation=Allocation.FIRST_CONFIRMED, budget=Decimal("250000.00"))
    awards = PublicizedAwardFactory.create_batch(3, scheme=scheme, amount=Decimal("100000.00"))

    results = [confirm(a) for a in awards]

    assert [a.waitlisted for a in results] == [False, False, True]
    assert {a.status for a in results} == {"confirmed"}
    scheme.refresh_from_db()
    assert scheme.committed == Decimal("200000.00")
    assert results[2].events.get(to_status="confirmed").note == "企业确认接受兑现；预算已用尽，列入候补"


def test_a_later_smaller_award_does_not_overtake_the_waitlist():
    scheme = AwardSchemeFactory(allocation=Allocation.FIRST_CONFIRMED, budget=Decimal("250000.00"))
    big = PublicizedAwardFactory.create_batch(3, scheme=scheme, amount=Decimal("100000.00"))
    small = PublicizedAwardFactory(scheme=scheme, amount=Decimal("50000.00"))
    for award in big:
        confirm(award)

    assert confirm(small).waitlisted is True
    scheme.refresh_from_db()
    assert scheme.committed == Decimal("200000.00")


def test_money_freed_by_a_decline_goes_to_the_waitlist_in_order():
    scheme = AwardSchemeFactory(allocation=Allocation.FIRST_CONFIRMED, budget=Decimal("250000.00"))
    first, second, third = PublicizedAwardFactory.create_batch(3, scheme=scheme, amount=Decimal("100000.00"))
    fourth = PublicizedAwardFactory(scheme=scheme, amount=Decimal("50000.00"))
    for award in (first, second, third, fourth):
        confirm(award)

    award_decline(award=first, user=EnterpriseUserFactory(enterprise=first.enterprise), reason="放弃")

    assert [Award.objects.get(pk=a.pk).waitlisted for a in (second, third, fourth)] == [False, False, False]
    scheme.refresh_from_db()
    assert scheme.committed == Decimal("250000.00")
    assert third.events.last().note == "预算已释放，由候补转为拨付。"


def test_a_waitlisted_award_cannot_be_paid(staff):
    scheme = AwardSchemeFactory(allocation=Allocation.FIRST_CONFIRMED, budget=Decimal("50000.00"))
    award = confirm(PublicizedAwardFactory(scheme=scheme, amount=Decimal("60000.00")))
    assert award.waitlisted is True

    with pytest.raises(AwardError, match="尚在候补"):
        payment_batch_create(awards=[award], user=staff, title="第一批")


def test_the_database_refuses_a_committed_total_over_the_budget():
    from django.db import IntegrityError, transaction

    scheme = AwardSchemeFactory(budget=Decimal("100.00"))
    scheme.committed = Decimal("100.01")

    with pytest.raises(IntegrityError), transaction.atomic():
        scheme.save()


# — concurrency —


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("allocation", [Allocation.FIRST_CONFIRMED, Allocation.PRO_RATA])
def test_concurrent_confirmations_never_commit_more_than_the_budget(allocation):
    scheme = AwardSchemeFactory(allocation=allocation, budget=Decimal("500000.00"))
    awards = PublicizedAwardFactory.create_batch(12, scheme=scheme, amount=Decimal("100000.00"))
    owners = [EnterpriseUserFactory(enterprise=a.enterprise) for a in awards]
    barrier = threading.Barrier(len(awards))
    outcomes: list[str] = []

    def confirm_at_once(award, owner):
        try:
            barrier.wait()
            result = award_confirm(award=award, user=owner, **bank_details(award))
            outcomes.append("waitlisted" if result.waitlisted else "committed")
        except AwardError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=confirm_at_once, args=pair) for pair in zip(awards, owners, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    scheme.refresh_from_db()
    assert scheme.committed == Decimal("500000.00")
    assert outcomes.count("committed") == 5
    rest = "waitlisted" if allocation == Allocation.FIRST_CONFIRMED else "refused"
    assert outcomes.count(rest) == 7
    held = Award.objects.filter(scheme=scheme, status="confirmed", waitlisted=False)
    assert sum(a.amount for a in held) == Decimal("500000.00")
