"""Households as a second kind of beneficiary: the same match, the same awards, their own variables."""

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.apps import apps

from portal.residents.models import Person, make_id_number
from subsidies import matching
from subsidies.household_variables import Record, facts_from_record, variable_specs
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
from subsidies.rules import explain
from subsidies.schemes import SchemeError, scheme_validate
from subsidies.variables import Context
from tests.factories import AnnualReportFactory, EnterpriseFactory
from tests.residents.factories import PersonFactory
from tests.subsidies.award_factories import AwardFactory
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


def test_a_young_buyers_rule_reads_the_main_buyers_whole_years_at_the_reference_date():
    # 主购房人 under 35 on 2023-12-31: a 35th birthday on the reference date itself is 35 already.
    scheme = household_scheme(eligibility={"<": [{"var": "main_buyer_age"}, 35]}, amount_rule=1000)
    turns_35_that_day = PersonFactory(id_number=make_id_number("410105", dt.date(1988, 12, 31), 11))
    turns_35_next_day = PersonFactory(id_number=make_id_number("410105", dt.date(1989, 1, 1), 13))
    older_spouse = PersonFactory(id_number=make_id_number("410105", dt.date(1970, 5, 1), 14))
    unknown = PersonFactory()
    Person.objects.filter(pk=unknown.pk).update(birth_date=None)
    on_the_day = purchase(buyers=[turns_35_that_day])
    young = purchase(buyers=[turns_35_next_day, older_spouse])
    older_main = purchase(buyers=[older_spouse, turns_35_next_day])
    not_known = purchase(buyers=[unknown])

    run = matching.match_run_execute()

    assert list(Award.objects.values_list("purchase_id", flat=True)) == [young.pk]
    assert Award.objects.get().facts["main_buyer_age"] == 34
    # Unknown is undetermined, listed for staff, not ineligible.
    assert list(Undetermined.objects.filter(run=run).values_list("purchase_id", flat=True)) == [not_known.pk]
    context = Context(2023, scheme.reference_date)
    ages = [facts_from_record(Record.load(p), context)["main_buyer_age"] for p in (on_the_day, older_main)]
    assert ages == [35, 53]
    assert facts_from_record(Record.load(not_known), context)["main_buyer_age"] is None


def test_the_explanation_of_a_household_award_is_replayed_from_its_facts_in_household_words():
    household_scheme()
    purchase()
    matching.match_run_execute()
    award = Award.objects.get()

    explanation = award_explanation(award)

    assert explanation.outcome == "eligible"
    # Told to the household where the sentences are made: the house bought, not an enterprise.
    assert [clause.text for clause in explanation.trace] == [
        "该套住房是新建商品房",
        "购房合同签订日期 2023年3月15日，介于 2023年1月1日与 2023年6月30日之间（含）",
        "该套住房契税完税日期 2023年3月20日，不晚于 2023年12月31日",
    ]


def test_household_facts_are_told_as_your_household_and_the_house_in_every_kind_of_sentence():
    rule = {
        "and": [
            {"!": {"var": "is_new_build"}},
            {">=": [{"var": "buyer_count"}, 2]},
            {"==": [{"var": "other_purchases"}, 0]},
            {"<": [{"var": "main_buyer_age"}, 35]},
        ]
    }
    facts = {"is_new_build": None, "buyer_count": 1, "other_purchases": 0, "main_buyer_age": 40}

    texts = [clause.text for clause in explain(rule, facts, variable_specs()).trace]

    assert texts == [
        "尚不清楚该套住房是否为新建商品房（数据缺失，无法判断）",
        "您家购房人数 1 人，要求不少于 2 人",
        "您家名下其他购房记录为 0 套",
        "主购房人年龄 40 岁，要求低于 35 岁",
    ]


def test_stored_household_explanations_are_told_to_households_after_the_upgrade():
    migration = importlib.import_module(
        "subsidies.migrations.0011_household_explanations_speak_to_households"
    )
    household_scheme()
    purchase()
    matching.match_run_execute()
    household = Award.objects.get()
    # As a run before the upgrade stored it.
    stored = award_explanation(household).as_dict()
    stored["trace"][0]["text"] = "贵企业是新建商品房"
    Award.objects.filter(pk=household.pk).update(explanation=stored)
    told = [{"path": "", "status": "pass", "text": "贵企业是规上企业"}]
    enterprise = AwardFactory(explanation={"outcome": "eligible", "trace": told})

    migration.speak_to_households(apps, None)

    household.refresh_from_db()
    enterprise.refresh_from_db()
    assert household.explanation["trace"][0]["text"] == "该套住房是新建商品房"
    assert household.explanation["trace"][1]["text"].startswith("购房合同签订日期")
    assert enterprise.explanation["trace"][0]["text"] == "贵企业是规上企业"


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
