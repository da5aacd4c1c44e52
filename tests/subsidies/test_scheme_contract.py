"""Scheme validation and import through the services staff tools call."""

import datetime as dt
from decimal import Decimal

import pytest

from subsidies.models import Scheme, SchemeStatus
from subsidies.schemes import SchemeError, scheme_upsert, scheme_validate, schemes_import
from tests.subsidies.award_factories import AwardPolicyFactory

RD_AT_LEAST_100 = {">=": [{"var": "rd_expense"}, 100]}


def entry(**fields):
    """One import entry of a valid automatic scheme of the policy ``rd-policy``."""
    return {
        "code": "rd-2023",
        "policy": "rd-policy",
        "title": "研发费用后补助",
        "mode": "automatic",
        "facts_year": 2022,
        "period": "2023",
        "eligibility": RD_AT_LEAST_100,
        "amount": 100000,
        "budget": "5000000.00",
        "allocation": "pro_rata",
        "status": "active",
        **fields,
    }


# ---- scheme_validate -----------------------------------------------------------------------------


def test_a_valid_pair_of_rules_passes_validation():
    assert (
        scheme_validate(eligibility=RD_AT_LEAST_100, amount_rule={"*": [{"var": "rd_expense"}, 100]}) is None
    )


def test_validation_names_an_unknown_variable():
    with pytest.raises(SchemeError) as raised:
        scheme_validate(eligibility={">=": [{"var": "rd_spend"}, 100]}, amount_rule=100000)

    assert str(raised.value) == "资格规则：未知变量：rd_spend（位置：>=[0]）"


def test_validation_names_an_unknown_operator():
    with pytest.raises(SchemeError) as raised:
        scheme_validate(eligibility={"~~": [{"var": "rd_expense"}, 100]}, amount_rule=100000)

    assert str(raised.value) == "资格规则：不支持的运算符：~~"


def test_validation_refuses_comparing_text_with_a_number():
    with pytest.raises(SchemeError, match="类型不匹配：变量 park"):
        scheme_validate(eligibility={">=": [{"var": "park"}, 1]}, amount_rule=100000)


def test_validation_refuses_a_negative_amount():
    with pytest.raises(SchemeError) as raised:
        scheme_validate(eligibility=RD_AT_LEAST_100, amount_rule=-5)

    assert str(raised.value) == "金额规则：金额不能为负数"


def test_validation_refuses_a_condition_as_the_amount():
    with pytest.raises(SchemeError, match="金额规则"):
        scheme_validate(eligibility=RD_AT_LEAST_100, amount_rule=True)


# ---- scheme_upsert -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_upsert_creates_a_scheme_with_the_reference_date_at_the_end_of_the_facts_year():
    policy = AwardPolicyFactory(code="rd-policy")

    scheme = scheme_upsert(data=entry())

    assert scheme.pk is not None
    assert (scheme.policy, scheme.code, scheme.facts_year) == (policy, "rd-2023", 2022)
    assert scheme.reference_date == dt.date(2022, 12, 31)
    assert scheme.budget == Decimal("5000000.00")
    assert scheme.status == SchemeStatus.ACTIVE


@pytest.mark.django_db
def test_upsert_updates_the_scheme_with_the_same_code():
    AwardPolicyFactory(code="rd-policy")
    first = scheme_upsert(data=entry())

    second = scheme_upsert(data=entry(title="研发费用后补助（修订）", reference_date="2023-03-31"))

    assert second.pk == first.pk
    assert Scheme.objects.count() == 1
    first.refresh_from_db()
    assert (first.title, first.reference_date) == ("研发费用后补助（修订）", dt.date(2023, 3, 31))


@pytest.mark.django_db
def test_upsert_does_not_move_a_closed_scheme_back_to_active():
    AwardPolicyFactory(code="rd-policy")
    scheme_upsert(data=entry(status="closed"))

    with pytest.raises(SchemeError, match="方案状态只能按 草稿→执行中→已结束 推进"):
        scheme_upsert(data=entry(status="active"))

    assert Scheme.objects.get().status == SchemeStatus.CLOSED


@pytest.mark.django_db
def test_upsert_refuses_an_invalid_rule_and_saves_nothing():
    AwardPolicyFactory(code="rd-policy")

    with pytest.raises(SchemeError, match="未知变量：rd_spend"):
        scheme_upsert(data=entry(eligibility={">=": [{"var": "rd_spend"}, 1]}))

    assert Scheme.objects.count() == 0


@pytest.mark.django_db
def test_upsert_refuses_top_up_without_an_exclusive_group():
    AwardPolicyFactory(code="rd-policy")

    with pytest.raises(SchemeError, match="级差兑现须同时设置从高不重复组"):
        scheme_upsert(data=entry(top_up=True))


# ---- schemes_import ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_import_lists_every_bad_entry_by_index_and_code_and_writes_nothing():
    AwardPolicyFactory(code="rd-policy")
    entries = [
        entry(code="fine"),
        entry(code="bad-var", eligibility={">=": [{"var": "rd_spend"}, 1]}),
        entry(code="bad-op", eligibility={"~~": [1, 1]}),
        entry(code="bad-policy", policy="nope"),
    ]

    report = schemes_import(entries=entries, dry_run=False)

    assert not report.ok
    assert report.errors == [
        "第 2 条（bad-var）：资格规则：未知变量：rd_spend（位置：>=[0]）",
        "第 3 条（bad-op）：资格规则：不支持的运算符：~~",
        "第 4 条（bad-policy）：未知政策：nope",
    ]
    assert report.created == []
    assert Scheme.objects.count() == 0


@pytest.mark.django_db
def test_import_refuses_a_code_given_twice():
    AwardPolicyFactory(code="rd-policy")

    report = schemes_import(entries=[entry(), entry()], dry_run=False)

    assert report.errors == ["第 2 条（rd-2023）：与第 1 条代码重复"]
    assert Scheme.objects.count() == 0


@pytest.mark.django_db
def test_import_reports_created_updated_and_unchanged_codes():
    AwardPolicyFactory(code="rd-policy")
    schemes_import(entries=[entry(code="same"), entry(code="changed")], dry_run=False)

    report = schemes_import(
        entries=[entry(code="same"), entry(code="changed", title="新名称"), entry(code="fresh")],
        dry_run=False,
    )

    assert (report.created, report.updated, report.unchanged) == (["fresh"], ["changed"], ["same"])
    assert Scheme.objects.get(code="changed").title == "新名称"


@pytest.mark.django_db
def test_import_dry_run_reports_what_it_would_do_and_writes_nothing():
    AwardPolicyFactory(code="rd-policy")

    report = schemes_import(entries=[entry()], dry_run=True)

    assert report.ok
    assert report.created == ["rd-2023"]
    assert Scheme.objects.count() == 0


@pytest.mark.django_db
def test_import_stores_decimal_numbers_that_read_back_exactly():
    AwardPolicyFactory(code="rd-policy")

    schemes_import(entries=[entry(amount={"*": [{"var": "rd_expense"}, Decimal("0.1")]})], dry_run=False)

    scheme = Scheme.objects.get()
    assert scheme.amount_rule == {"*": [{"var": "rd_expense"}, 0.1]}
