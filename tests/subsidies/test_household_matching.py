"""Households as a second kind of beneficiary: the same match, the same awards, their own variables."""

import datetime as dt
from decimal import Decimal

import pytest

from subsidies import matching
from subsidies.household_variables import Record, facts_from_record
from subsidies.matching import award_explanation
from subsidies.models import (
    Award,
    AwardStatus,
    Beneficiary,
    MatchChunk,
    MatchFailure,
    RunStatus,
    Undetermined,
)
from subsidies.schemes import SchemeError, scheme_validate
from subsidies.variables import Context
from tests.factories import AnnualReportFactory, EnterpriseFactory
from tests.residents.factories import PersonFactory
from tests.subsidies.factories import SchemeFactory
from tests.subsidies.household_factories import (
    DEED_TAX_SUBSIDY,
    HALF_THE_DEED_TAX,
    household_scheme,
    purchase,
)

pytestmark = pytest.mark.django_db


def test_a_household_scheme_awards_each_eligible_purchase_half_its_deed_tax_capped():
    scheme = household_scheme()
    small = purchase(deed_tax=Decimal("4000.00"))
    large = purchase(deed_tax=Decimal("22500.00"))
    resale = purchase(is_new_build=False)
    too_late = purchase(contract_date=dt.date(2023, 7, 1))

    run = matching.match_run_execute()

    assert run.status == RunStatus.FINISHED
    awards = {a.purchase_id: a for a in Award.objects.filter(scheme=scheme)}
    assert set(awards) == {small.pk, large.pk}
    assert awards[small.pk].amount == Decimal("2000.00")
    assert awards[large.pk].amount == Decimal("3000.00")  # capped
    assert all(a.enterprise_id is None and a.status == AwardStatus.CANDIDATE for a in awards.values())
    assert Decimal(awards[small.pk].facts["deed_tax"]) == Decimal("4000.00")
    assert awards[small.pk].facts["contract_date"] == "2023-03-15"
    assert awards[small.pk].facts["is_new_build"] is True
    assert run.totals[scheme.code]["eligible"] == 2
    assert run.totals[scheme.code]["amount"] == "5000.00"
    assert resale.pk not in awards and too_late.pk not in awards
    assert list(MatchChunk.objects.filter(run=run).values_list("beneficiary", flat=True)) == [
        Beneficiary.HOUSEHOLDS
    ]


def test_a_purchase_whose_deed_tax_is_not_paid_yet_is_undetermined_not_ineligible():
    scheme = household_scheme()
    unpaid = purchase(deed_tax_paid_on=None)

    run = matching.match_run_execute()

    assert not Award.objects.exists()
    (pending,) = Undetermined.objects.filter(run=run, scheme=scheme)
    assert (pending.purchase_id, pending.enterprise_id, pending.missing) == (
        unpaid.pk,
        None,
        ["deed_tax_paid_on"],
    )
    assert run.totals[scheme.code]["undetermined"] == 1


def test_enterprise_and_household_schemes_are_matched_by_one_run_into_the_same_awards():
    enterprise_scheme = SchemeFactory(eligibility={">=": [{"var": "rd_expense"}, 100]}, amount_rule=50000)
    firm = EnterpriseFactory()
    AnnualReportFactory(enterprise=firm, year=2022, rd_expense=Decimal("350.00"))
    scheme = household_scheme()
    home = purchase()

    run = matching.match_run_execute()

    assert set(Award.objects.filter(run=run).values_list("scheme_id", "enterprise_id", "purchase_id")) == {
        (enterprise_scheme.pk, firm.pk, None),
        (scheme.pk, None, home.pk),
    }


def test_running_twice_writes_nothing_the_second_time():
    household_scheme()
    purchase()
    purchase(deed_tax_paid_on=None)
    matching.match_run_execute()
    before = list(Award.objects.values_list("id", "amount", "status"))

    second = matching.match_run_execute()

    assert list(Award.objects.values_list("id", "amount", "status")) == before
    assert not Award.objects.filter(run=second).exists()
    assert Undetermined.objects.filter(run=second).count() == 1


def test_an_unchanged_household_chunk_is_taken_over_and_a_changed_one_matched_again(monkeypatch):
    scheme = household_scheme()
    home = purchase(deed_tax_paid_on=None)
    first = matching.match_run_execute()
    chunk = MatchChunk.objects.get(run=first, beneficiary=Beneficiary.HOUSEHOLDS)

    second = matching.match_run_execute()
    taken = MatchChunk.objects.get(run=second, beneficiary=Beneficiary.HOUSEHOLDS)
    assert taken.fingerprint == chunk.fingerprint
    assert Undetermined.objects.filter(run=second, purchase=home).exists()

    type(home).objects.filter(pk=home.pk).update(deed_tax_paid_on=dt.date(2023, 4, 1))
    third = matching.match_run_execute()

    assert (
        MatchChunk.objects.get(run=third, beneficiary=Beneficiary.HOUSEHOLDS).fingerprint != chunk.fingerprint
    )
    assert Award.objects.get(run=third).purchase_id == home.pk
    assert third.totals[scheme.code]["new"] == 1


def test_a_first_home_rule_counts_the_other_purchases_of_any_buyer():
    household_scheme(eligibility={"==": [{"var": "other_purchases"}, 0]}, amount_rule=1000)
    husband, wife = PersonFactory(), PersonFactory()
    first = purchase(buyers=[husband, wife])
    second = purchase(buyers=[wife])
    alone = purchase()

    matching.match_run_execute()

    assert list(Award.objects.values_list("purchase_id", flat=True)) == [alone.pk]
    facts = facts_from_record(Record.load(first), Context(2023, dt.date(2023, 12, 31)))
    assert (facts["other_purchases"], facts["buyer_count"]) == (1, 2)
    assert facts_from_record(Record.load(second), Context(2023, dt.date(2023, 12, 31)))["buyer_count"] == 1


def test_the_explanation_of_a_household_award_is_replayed_from_its_facts_in_household_words():
    household_scheme()
    purchase()
    matching.match_run_execute()
    award = Award.objects.get()

    explanation = award_explanation(award)

    assert explanation.outcome == "eligible"
    texts = " ".join(clause.text for clause in explanation.trace)
    assert "新建商品房" in texts and "合同签订日期" in texts and "契税完税日期" in texts


def test_a_household_rule_failing_on_a_purchase_is_set_aside_and_the_other_schemes_still_match():
    # An amount beyond what the award column holds fails the statement on this purchase only.
    broken = household_scheme(amount_rule={"*": [{"var": "price"}, 10**9]}, cap_per_enterprise=None)
    fine = household_scheme()
    home = purchase()

    run = matching.match_run_execute()

    assert run.status == RunStatus.COMPLETED_WITH_ERRORS
    failure = MatchFailure.objects.get(run=run)
    assert (failure.scheme_id, failure.purchase_id, failure.enterprise_id) == (broken.pk, home.pk, None)
    assert Award.objects.get().scheme_id == fine.pk


def test_a_household_scheme_refuses_an_enterprise_variable_naming_it_in_chinese():
    with pytest.raises(SchemeError) as refused:
        scheme_validate(
            eligibility={">=": [{"var": "revenue"}, 100]},
            amount_rule=1000,
            beneficiary=Beneficiary.HOUSEHOLDS,
        )
    assert str(refused.value) == "资格规则：变量 revenue（营业收入）属于“企业”，“购房家庭”方案不能使用"


def test_an_enterprise_scheme_refuses_a_purchase_variable_naming_it_in_chinese():
    with pytest.raises(SchemeError) as refused:
        scheme_validate(eligibility=True, amount_rule={"*": [{"var": "deed_tax"}, 0.5]})
    assert str(refused.value) == "金额规则：变量 deed_tax（契税税额）属于“购房家庭”，“企业”方案不能使用"


def test_a_household_scheme_accepts_its_own_variables():
    scheme_validate(
        eligibility=DEED_TAX_SUBSIDY, amount_rule=HALF_THE_DEED_TAX, beneficiary=Beneficiary.HOUSEHOLDS
    )
