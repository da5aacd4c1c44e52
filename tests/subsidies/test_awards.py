import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection

from subsidies.models import AwardStatus, SchemeMode
from subsidies.services import (
    AwardError,
    award_approve,
    award_confirm,
    award_create,
    award_decline,
    award_reject,
    award_revoke,
    awards_release,
    awards_review_bulk,
)
from tests.factories import EnterpriseFactory, EnterpriseUserFactory
from tests.subsidies.award_factories import (
    AwardFactory,
    AwardSchemeFactory,
    PublicizedAwardFactory,
    bank_details,
    fast_passwords,  # noqa: F401 - a fixture
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

ALL = ["candidate", "approved", "publicized", "confirmed", "paid", "rejected", "declined", "revoked"]


def owner_of(award, **kwargs):
    return EnterpriseUserFactory(enterprise=award.enterprise, **kwargs)


# — review —


def test_staff_approve_a_candidate_and_the_move_is_audited(staff):
    award = AwardFactory()

    award_approve(award=award, user=staff)

    assert award.status == AwardStatus.APPROVED
    assert award.approved_at is not None
    event = award.events.get()
    assert (event.from_status, event.to_status, event.actor) == ("candidate", "approved", staff)


@pytest.mark.parametrize("status", [s for s in ALL if s != "candidate"])
def test_only_a_candidate_can_be_approved(status, staff):
    award = AwardFactory(status=status)

    with pytest.raises(AwardError, match="不能审核通过"):
        award_approve(award=award, user=staff)

    award.refresh_from_db()
    assert award.status == status


@pytest.mark.parametrize("status", ["candidate", "approved"])
def test_staff_reject_a_candidate_or_an_approved_award_with_a_reason(status, staff):
    award = AwardFactory(status=status)

    award_reject(award=award, user=staff, reason="研发费用未经专项审计")

    assert award.status == AwardStatus.REJECTED
    assert award.reason == "研发费用未经专项审计"


def test_a_rejection_needs_a_reason(staff):
    award = AwardFactory()

    with pytest.raises(AwardError, match="请填写审核不通过的原因"):
        award_reject(award=award, user=staff, reason="  ")

    award.refresh_from_db()
    assert award.status == AwardStatus.CANDIDATE


@pytest.mark.parametrize("status", ["publicized", "confirmed", "paid", "rejected", "declined", "revoked"])
def test_a_published_or_closed_award_cannot_be_rejected(status, staff):
    award = AwardFactory(status=status)

    with pytest.raises(AwardError, match="不能审核不通过"):
        award_reject(award=award, user=staff, reason="原因")


def test_bulk_approval_approves_every_candidate(staff):
    awards = AwardFactory.create_batch(3)

    assert awards_review_bulk(awards=awards, user=staff, approve=True) == 3

    assert {a.status for a in type(awards[0]).objects.all()} == {"approved"}
    assert sum(a.events.count() for a in awards) == 3


def test_bulk_review_changes_nothing_when_one_award_is_not_a_candidate(staff):
    awards = [*AwardFactory.create_batch(2), AwardFactory(status="paid")]

    with pytest.raises(AwardError, match="未做任何修改"):
        awards_review_bulk(awards=awards, user=staff, approve=True)

    assert sorted(type(awards[0]).objects.values_list("status", flat=True)) == [
        "candidate",
        "candidate",
        "paid",
    ]


def test_bulk_rejection_writes_the_reason_on_each(staff):
    awards = AwardFactory.create_batch(2)

    awards_review_bulk(awards=awards, user=staff, approve=False, reason="重复享受")

    for award in awards:
        award.refresh_from_db()
        assert (award.status, award.reason) == ("rejected", "重复享受")


# — release and publicity —


@time_machine.travel(dt.datetime(2023, 9, 28, 10, tzinfo=dt.UTC), tick=False)
def test_release_publicizes_approved_awards_for_the_schemes_working_days(staff):
    award = AwardFactory(status="approved", scheme__publicity_days=5)
    candidate = AwardFactory(scheme=award.scheme)

    assert awards_release(awards=[award, candidate], user=staff) == 1

    award.refresh_from_db()
    assert award.status == AwardStatus.PUBLICIZED
    # 9-29 … 10-6 are the National Day holidays; 10-7 and 10-8 are make-up working days.
    assert (award.publicity_from, award.publicity_to) == (dt.date(2023, 9, 28), dt.date(2023, 10, 11))
    candidate.refresh_from_db()
    assert candidate.status == AwardStatus.CANDIDATE


# — the enterprise's answer —


def test_the_owner_confirms_after_publicity_with_the_bank_account():
    award = PublicizedAwardFactory()
    owner = owner_of(award)

    award = award_confirm(award=award, user=owner, **bank_details(award))

    award.refresh_from_db()
    assert award.status == AwardStatus.CONFIRMED
    assert award.confirmed_by == owner
    assert award.bank_account == "1702020109000123456"
    award.scheme.refresh_from_db()
    assert award.scheme.committed == Decimal("100000.00")


def test_the_bank_account_is_stored_encrypted():
    award = PublicizedAwardFactory()
    award_confirm(award=award, user=owner_of(award), **bank_details(award))

    with connection.cursor() as cursor:
        cursor.execute("SELECT bank_account FROM subsidies_award WHERE id = %s", [award.pk])
        raw = cursor.fetchone()[0]
    assert "1702020109000123456" not in raw
    assert raw.startswith("gAAAA")


@time_machine.travel(dt.datetime(2023, 3, 7, 8, tzinfo=dt.UTC), tick=False)
def test_confirming_is_refused_until_the_publicity_period_is_over():
    award = PublicizedAwardFactory(publicity_to=dt.date(2023, 3, 7))

    with pytest.raises(AwardError, match="公示期至 2023-03-07 结束"):
        award_confirm(award=award, user=owner_of(award), **bank_details(award))

    award.refresh_from_db()
    assert award.status == AwardStatus.PUBLICIZED


def test_an_agent_cannot_confirm():
    award = PublicizedAwardFactory()
    agent = owner_of(award, enterprise_role="agent")

    with pytest.raises(AwardError, match="只有企业法定代表人账号可以确认或放弃兑现"):
        award_confirm(award=award, user=agent, **bank_details(award))


def test_the_owner_of_another_enterprise_cannot_confirm():
    award = PublicizedAwardFactory()
    stranger = EnterpriseUserFactory()

    with pytest.raises(AwardError, match="只能处理本企业的兑现记录"):
        award_confirm(award=award, user=stranger, **bank_details(award))


@pytest.mark.parametrize(
    ("account", "name", "message"),
    [
        ("1234567", None, "银行账号应为 8 至 30 位数字"),
        ("1" * 31, None, "银行账号应为 8 至 30 位数字"),
        ("6222abc0000000", None, "银行账号应为 8 至 30 位数字"),
        ("62220000000000", "张三", "账户名称须与企业名称"),
    ],
)
def test_a_bad_bank_account_is_refused_in_chinese(account, name, message):
    award = PublicizedAwardFactory()
    details = {**bank_details(award), "bank_account": account}
    if name:
        details["bank_account_name"] = name

    with pytest.raises(AwardError, match=message):
        award_confirm(award=award, user=owner_of(award), **details)

    award.refresh_from_db()
    assert award.status == AwardStatus.PUBLICIZED


@pytest.mark.parametrize("status", [s for s in ALL if s != "publicized"])
def test_only_a_publicized_award_can_be_confirmed(status):
    award = PublicizedAwardFactory(status=status)

    with pytest.raises(AwardError, match="不能确认"):
        award_confirm(award=award, user=owner_of(award), **bank_details(award))


def test_staff_record_a_confirmation_handed_in_on_paper(staff):
    award = PublicizedAwardFactory()

    award = award_confirm(award=award, user=staff, offline=True, **bank_details(award))

    assert award.status == AwardStatus.CONFIRMED
    assert award.events.get(to_status="confirmed").note == "线下确认，工作人员代录"


def test_an_enterprise_user_cannot_pretend_to_record_a_paper_confirmation():
    award = PublicizedAwardFactory()

    with pytest.raises(AwardError, match="只有园区工作人员"):
        award_confirm(award=award, user=owner_of(award), offline=True, **bank_details(award))


@pytest.mark.parametrize("status", ["publicized", "confirmed"])
def test_the_owner_declines_an_unpaid_award(status):
    award = PublicizedAwardFactory(status=status)

    award = award_decline(award=award, user=owner_of(award), reason="企业已迁出高新区")

    assert (award.status, award.reason) == ("declined", "企业已迁出高新区")


@pytest.mark.parametrize("status", ["candidate", "approved", "paid", "rejected", "declined", "revoked"])
def test_an_award_not_yet_publicized_or_already_closed_cannot_be_declined(status):
    award = AwardFactory(status=status)

    with pytest.raises(AwardError, match="不能放弃"):
        award_decline(award=award, user=owner_of(award), reason="不再需要")


def test_declining_needs_a_reason_and_is_audited_with_it():
    award = PublicizedAwardFactory()
    owner = owner_of(award)

    with pytest.raises(AwardError, match="请填写放弃兑现的原因。"):
        award_decline(award=award, user=owner, reason="  ")
    award.refresh_from_db()
    assert award.status == AwardStatus.PUBLICIZED

    award_decline(award=award, user=owner, reason="已享受同类市级补助")

    event = award.events.get()
    assert (event.from_status, event.to_status, event.actor, event.note) == (
        "publicized",
        "declined",
        owner,
        "已享受同类市级补助",
    )


# — revocation —


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

    with pytest.raises(AwardError, match="不能撤销"):
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


# — application mode —


def test_a_department_records_an_accepted_application_as_a_candidate(staff):
    scheme = AwardSchemeFactory(mode=SchemeMode.APPLICATION, cap_per_enterprise=Decimal("50000"))
    enterprise = EnterpriseFactory()

    award = award_create(scheme=scheme, enterprise=enterprise, amount=Decimal("12345.678"), user=staff)

    assert (award.status, award.amount, award.computed_amount) == (
        "candidate",
        Decimal("12345.67"),
        Decimal("12345.67"),
    )
    assert award.period == scheme.period
    assert award.events.get().note == "依申请录入"


def test_awards_of_automatic_schemes_are_not_recorded_by_hand(staff):
    with pytest.raises(AwardError, match="由比对产生"):
        award_create(scheme=AwardSchemeFactory(), enterprise=EnterpriseFactory(), amount=1, user=staff)


def test_an_application_award_over_the_cap_or_twice_is_refused(staff):
    scheme = AwardSchemeFactory(mode=SchemeMode.APPLICATION, cap_per_enterprise=Decimal("50000"))
    enterprise = EnterpriseFactory()

    with pytest.raises(AwardError, match="超过单户上限"):
        award_create(scheme=scheme, enterprise=enterprise, amount=Decimal("50000.01"), user=staff)
    award_create(scheme=scheme, enterprise=enterprise, amount=Decimal("50000"), user=staff)
    with pytest.raises(AwardError, match="已有兑现记录"):
        award_create(scheme=scheme, enterprise=enterprise, amount=Decimal("100"), user=staff)
