"""The rules engine at its edges: the database, Python and the calculator decide alike.

Each case goes through the whole engine: a scheme as staff save it, the nightly match (the compiled SQL),
``explain_for`` (Python on one enterprise) and the policy calculator (Python on a typed-in profile).
They run on SQLite and, in the PostgreSQL pass, on PostgreSQL.
"""

from decimal import Decimal

import factory
import pytest

from subsidies.matching import evaluate_profile, explain_for, match_run_execute
from subsidies.models import Award, Undetermined
from subsidies.rules import RuleError
from subsidies.schemes import SchemeError, scheme_validate
from tests.factories import AnnualReportFactory, EnterpriseFactory, QualificationFactory
from tests.subsidies import factories
from tests.subsidies.award_factories import AwardPolicyFactory

pytestmark = pytest.mark.django_db


class SchemeFactory(factories.SchemeFactory):
    policy = factory.SubFactory(AwardPolicyFactory)


def enterprise_with_report(**report):
    enterprise = EnterpriseFactory(is_above_scale=report.pop("is_above_scale", False))
    AnnualReportFactory(enterprise=enterprise, year=2022, **report)
    return enterprise


def matched(scheme, enterprise) -> str:
    """What the nightly match decided: "eligible" (an award), "undetermined" (listed) or "ineligible"."""
    match_run_execute()
    if Award.objects.filter(scheme=scheme, enterprise=enterprise).exists():
        return "eligible"
    if Undetermined.objects.filter(scheme=scheme, enterprise=enterprise).exists():
        return "undetermined"
    return "ineligible"


def calculated(scheme, facts) -> str:
    ((_, explanation, _),) = evaluate_profile(facts=facts, schemes=[scheme])
    return explanation.outcome


# ---- finding 1: an if without an else -----------------------------------------------------------------


def test_an_if_without_else_that_falls_through_is_ineligible_not_undetermined_everywhere():
    rule = {"if": [{"var": "is_above_scale"}, {">=": [{"var": "revenue"}, 100]}]}
    scheme = SchemeFactory(eligibility=rule)
    enterprise = enterprise_with_report(revenue=Decimal("500"), is_above_scale=False)

    assert matched(scheme, enterprise) == "ineligible"
    assert explain_for(scheme=scheme, enterprise=enterprise).outcome == "ineligible"
    assert calculated(scheme, {"is_above_scale": False, "revenue": Decimal("500")}) == "ineligible"


def test_not_of_an_if_without_else_that_falls_through_is_eligible_everywhere():
    scheme = SchemeFactory(eligibility={"!": {"if": [False, True]}})
    enterprise = enterprise_with_report(revenue=Decimal("1"))

    assert matched(scheme, enterprise) == "eligible"
    assert explain_for(scheme=scheme, enterprise=enterprise).outcome == "eligible"
    assert calculated(scheme, {}) == "eligible"


def test_an_if_without_else_is_still_undetermined_when_its_condition_is_unknown():
    rule = {"if": [{">=": [{"var": "revenue"}, 100]}, True]}
    scheme = SchemeFactory(eligibility=rule)
    enterprise = EnterpriseFactory()  # no annual report: revenue unknown

    assert matched(scheme, enterprise) == "undetermined"
    assert explain_for(scheme=scheme, enterprise=enterprise).outcome == "undetermined"


def test_an_amount_rule_with_an_if_without_else_is_refused_naming_the_missing_branch():
    with pytest.raises(SchemeError) as error:
        scheme_validate(eligibility=True, amount_rule={"if": [{"var": "is_above_scale"}, 100000]})

    assert "if 没有 else 分支，条件都不成立时得出 false 而不是金额" in str(error.value)


# ---- finding 2: tiny quotients ------------------------------------------------------------------------


def test_a_ratio_equal_to_the_threshold_at_the_division_cut_is_eligible_in_the_match_too():
    # 0.01 ÷ 30000 cut after 20 places is 0.00000033333333333333, exactly the threshold.
    scheme = SchemeFactory(eligibility={"<=": [{"var": "rd_ratio"}, Decimal("3.3333333333333E-7")]})
    enterprise = enterprise_with_report(rd_expense=Decimal("0.01"), revenue=Decimal("30000"))

    assert explain_for(scheme=scheme, enterprise=enterprise).outcome == "eligible"
    assert calculated(scheme, {"rd_ratio": Decimal("0.00000033333333333333")}) == "eligible"
    assert matched(scheme, enterprise) == "eligible"


def test_a_quotient_below_the_division_cut_is_zero_in_the_match_too():
    # 0.01 ÷ 10³⁰ is cut to 0 after 20 places: not greater than 0, in SQL as in Python.
    scheme = SchemeFactory(eligibility={">": [{"/": [{"var": "rd_expense"}, Decimal("1E+30")]}, 0]})
    enterprise = enterprise_with_report(rd_expense=Decimal("0.01"), revenue=Decimal("1"))

    assert explain_for(scheme=scheme, enterprise=enterprise).outcome == "ineligible"
    assert matched(scheme, enterprise) == "ineligible"


# ---- finding 4: where Python and SQL read facts or numbers differently ---------------------------------


def test_python_computes_a_product_of_more_than_a_hundred_digits_as_the_database_does():
    big = 123456789012345678901234567891
    scheme = SchemeFactory(eligibility={">": [{"*": [{"var": "revenue"}, big, big, big, big]}, 0]})
    enterprise = enterprise_with_report(revenue=Decimal("12345.67"))

    assert explain_for(scheme=scheme, enterprise=enterprise).outcome == "eligible"
    assert matched(scheme, enterprise) == "eligible"


def test_a_qualification_with_a_code_outside_the_catalogue_is_held_neither_in_python_nor_in_sql():
    scheme = SchemeFactory(eligibility={"!!": {"var": "qualifications"}})
    enterprise = enterprise_with_report(revenue=Decimal("1"))
    QualificationFactory(enterprise=enterprise, code="retired_code")

    assert explain_for(scheme=scheme, enterprise=enterprise).outcome == "ineligible"
    assert matched(scheme, enterprise) == "ineligible"


@pytest.mark.parametrize(
    ("report", "outcome"),
    [
        ({"revenue": Decimal("1"), "rd_expense": None}, "eligible"),  # reported without the figure: null
        (None, "eligible"),  # no report for the year: every figure absent, which is null too
        ({"revenue": Decimal("1"), "rd_expense": Decimal("99.99")}, "ineligible"),  # a figure is not replaced
    ],
)
def test_a_var_default_stands_in_for_a_null_or_absent_fact_in_python_and_in_sql_alike(report, outcome):
    # A documented departure (README, 规则引擎的 JSON Logic 方言): jsonlogic.js keeps a null; here the
    # facts relation cannot tell "not reported" from "absent", so the default covers both.
    scheme = SchemeFactory(eligibility={">=": [{"var": ["rd_expense", 100]}, 100]})
    enterprise = EnterpriseFactory() if report is None else enterprise_with_report(**report)

    assert explain_for(scheme=scheme, enterprise=enterprise).outcome == outcome
    assert matched(scheme, enterprise) == outcome
    facts = {} if report is None else {"rd_expense": report["rd_expense"]}
    assert calculated(scheme, facts) == outcome


# ---- finding 3: numbers beyond what the evaluators can hold ----------------------------------------------


@pytest.mark.parametrize(
    ("literal", "shown"),
    [(Decimal("1E+200"), "1E+200"), (Decimal("1E-200"), "1E-200"), (Decimal("1E+31"), "1E+31")],
)
def test_a_literal_beyond_thirty_digits_is_refused_at_validation_naming_the_number(literal, shown):
    with pytest.raises(SchemeError) as error:
        scheme_validate(eligibility={">": [{"*": [literal, literal]}, {"var": "revenue"}]}, amount_rule=1)

    assert f"数字 {shown} 超出规则可用的范围" in str(error.value)


def test_a_fixed_amount_the_award_column_cannot_hold_is_refused_at_validation():
    with pytest.raises(SchemeError) as error:
        scheme_validate(eligibility=True, amount_rule=Decimal("1000000000000"))

    assert str(error.value) == "金额规则：金额须小于 1,000,000,000,000 元（兑现金额字段的上限）"


def test_award_amount_refuses_an_amount_the_award_column_cannot_hold():
    from subsidies.rules.compiler import award_amount

    assert award_amount(Decimal("999999999999.999"), cap=None) == Decimal("999999999999.99")
    with pytest.raises(RuleError) as error:
        award_amount(Decimal("1000000000000"), cap=None)
    assert "超出可记录的上限" in error.value.reason


# ---- finding 3: a rule never takes the run down ----------------------------------------------------------

# 营业收入 × 研发费用 × 1000, uncapped: 10⁸ 万元 × 10⁵ 万元 gives 10¹⁶ 元, beyond the award column.
OVERFLOWING = {"*": [{"var": "revenue"}, {"var": "rd_expense"}, 1000]}


def test_a_scheme_whose_amount_overflows_is_set_aside_and_the_other_schemes_still_match():
    from portal.accounts.models import Notification
    from subsidies.models import MatchFailure, RunStatus
    from tests.factories import StaffFactory

    staff = StaffFactory(is_superuser=True)
    bad = SchemeFactory(code="bad", eligibility=True, amount_rule=OVERFLOWING)
    SchemeFactory(code="good", eligibility=True, amount_rule=5000)
    huge = enterprise_with_report(revenue=Decimal("100000000"), rd_expense=Decimal("100000"))
    small = enterprise_with_report(revenue=Decimal("10"), rd_expense=Decimal("1"))

    run = match_run_execute()

    assert run.status == RunStatus.COMPLETED_WITH_ERRORS
    assert sorted(Award.objects.values_list("scheme__code", "enterprise_id", "amount")) == [
        ("good", huge.pk, Decimal("5000.00")),
        ("good", small.pk, Decimal("5000.00")),
    ]
    failure = MatchFailure.objects.get()
    assert (failure.run, failure.scheme, failure.enterprise) == (run, bad, huge)
    assert failure.message == (
        "兑现金额 10000000000000000.00 元超出可记录的上限（须小于 1,000,000,000,000 元）："
        "请检查金额规则的单位，或为方案设置每户上限"
    )
    note = Notification.objects.get(recipient=staff)
    assert note.title == f"比对批次 #{run.pk} 有 1 个方案的规则计算出错，未完成比对"
    assert "出错的方案：bad。" in note.body


def test_a_scheme_whose_rule_fails_in_the_database_is_recorded_and_the_run_completes_with_errors():
    from subsidies.models import MatchFailure, RunStatus

    big = 123456789012345678901234567891
    # Exact in both evaluators, but the product of the doubles overflows PostgreSQL's float8, and the
    # amount overflows the award column on both.
    product = {"*": [{"var": "revenue"}, *([big] * 11)]}
    bad = SchemeFactory(code="bad", eligibility={">": [product, 0]}, amount_rule=OVERFLOWING)
    SchemeFactory(code="good", eligibility=True, amount_rule=100)
    enterprise = enterprise_with_report(revenue=Decimal("100000000"), rd_expense=Decimal("100000"))

    run = match_run_execute()

    assert run.status == RunStatus.COMPLETED_WITH_ERRORS
    assert list(Award.objects.values_list("scheme__code", flat=True)) == ["good"]
    assert list(MatchFailure.objects.values_list("scheme", "enterprise")) == [(bad.pk, enterprise.pk)]


def test_explain_for_and_the_calculator_mark_a_scheme_that_cannot_be_computed_instead_of_failing():
    from rest_framework.test import APIClient

    scheme = SchemeFactory(code="bad", eligibility=True, amount_rule=OVERFLOWING)
    enterprise = enterprise_with_report(revenue=Decimal("100000000"), rd_expense=Decimal("100000"))

    explanation = explain_for(scheme=scheme, enterprise=enterprise)
    assert explanation.outcome == "uncomputable"
    assert [clause.status for clause in explanation.trace] == ["error"]
    assert explanation.trace[0].text.startswith("不可计算：兑现金额 10000000000000000.00 元超出可记录的上限")

    response = APIClient().post(
        "/api/v1/calculator/", {"revenue": "100000000", "rd_expense": "100000"}, format="json"
    )
    assert response.status_code == 200
    (result,) = [r for r in response.json()["results"] if r["scheme"] == "bad"]
    assert (result["outcome"], result["amount"]) == ("uncomputable", None)
    assert result["trace"][0]["status"] == "error"


def test_the_calculator_page_says_a_scheme_cannot_be_computed_inside_the_site(client):
    SchemeFactory(code="bad", title="研发后补助（出错）", eligibility=True, amount_rule=OVERFLOWING)

    response = client.post("/calculator/", {"revenue": "100000000", "rd_expense": "100000"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "不可计算" in html
    assert "该方案的规则无法根据所填数据计算，请核对数据或咨询政策主管部门。" in html
