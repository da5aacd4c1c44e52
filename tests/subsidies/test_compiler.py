"""The rule compiler, operator by operator: what the database answers for a known enterprise."""

import datetime as dt
from decimal import Decimal

import pytest

from subsidies import rules
from subsidies.matching import sql_evaluate
from subsidies.rules.compiler import (
    award_amount,
    compile_amount,
    compile_condition,
    sqlite_amount,
    sqlite_cmp,
    sqlite_num,
)
from subsidies.schemes import SchemeError, scheme_validate
from subsidies.variables import Context, facts_for, resolver
from tests.factories import AnnualReportFactory, EnterpriseFactory, QualificationFactory

pytestmark = pytest.mark.django_db

END_2022 = Context(2022, dt.date(2022, 12, 31))


@pytest.fixture
def firm():
    """An enterprise with 2022 revenue 5000, R&D 350 (7%), 120 people; 2021 revenue 4000, no R&D figure."""
    enterprise = EnterpriseFactory(
        park="wutong", industry_code="I6510", credit_rating="A", registered_on=dt.date(2015, 6, 1)
    )
    AnnualReportFactory(
        enterprise=enterprise,
        year=2022,
        revenue=Decimal("5000.00"),
        rd_expense=Decimal("350.00"),
        employees=120,
        tax_paid=Decimal("260.00"),
    )
    AnnualReportFactory(enterprise=enterprise, year=2021, revenue=Decimal("4000.00"), rd_expense=None)
    QualificationFactory(enterprise=enterprise, code="high_tech", year_awarded=2021)
    return enterprise


def sql(rule, enterprise, **kwargs):
    return sql_evaluate(rule=rule, context=END_2022, enterprise_ids=[enterprise.pk], **kwargs)[enterprise.pk]


def python(rule, enterprise):
    facts = facts_for(enterprise=enterprise, facts_year=2022, reference_date=dt.date(2022, 12, 31))
    return rules.apply(rules.normalize(rule), facts)


def agree(rule, enterprise, expected, **kwargs):
    """The database and Python both give `expected` (a condition's truth, or a value)."""
    got_python = python(rule, enterprise)
    if not kwargs:
        got_python = rules.logic.truth(got_python)
    assert sql(rule, enterprise, **kwargs) == expected
    assert got_python == expected


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"==": [{"var": "park"}, "wutong"]}, True),
        ({"===": [{"var": "employees"}, 120]}, True),
        ({"!=": [{"var": "credit_rating"}, "A"]}, False),
        ({"!==": [{"var": "credit_rating"}, "B"]}, True),
        ({">": [{"var": "revenue"}, 5000]}, False),
        ({">=": [{"var": "revenue"}, 5000]}, True),
        ({"<": [{"var": "employees"}, 100]}, False),
        ({"<=": [{"var": "tax_paid"}, Decimal("260.00")]}, True),
        ({"<": [100, {"var": "rd_expense"}, 400]}, True),
        ({"<=": [350, {"var": "rd_expense"}, 350]}, True),
        ({"<": [350, {"var": "rd_expense"}, 400]}, False),
        ({"!": {"==": [{"var": "park"}, "shifo"]}}, True),
        ({"!!": {"var": "employees"}}, True),
        ({"!!": [{"var": "credit_rating"}]}, True),
        ({"and": [{">": [{"var": "revenue"}, 1000]}, {"var": "is_above_scale"}]}, True),
        ({"or": [{">": [{"var": "revenue"}, 9000]}, {"==": [{"var": "park"}, "wutong"]}]}, True),
        ({"in": [{"var": "park"}, ["wutong", "fengyang"]]}, True),
        ({"in": [{"var": "industry_division"}, ["39", "35"]]}, False),
        ({"in": ["65", {"var": "industry_division"}]}, True),
        ({"in": ["high_tech", {"var": "qualifications"}]}, True),
        ({"in": ["srdi", {"var": "qualifications"}]}, False),
        ({"in": [{"var": "credit_rating"}, {"cat": ["A", "B"]}]}, True),
        ({"if": [{">": [{"var": "employees"}, 100]}, True, False]}, True),
        ({"?:": [{">": [{"var": "employees"}, 500]}, True, {"==": [{"var": "park"}, "x"]}]}, False),
        ({"missing": ["revenue", "prev.rd_expense"]}, True),
        ({"missing": ["revenue", "employees"]}, False),
        ({"missing_some": [1, ["prev.rd_expense", "revenue"]]}, False),
        ({"missing_some": [2, ["prev.rd_expense", "revenue"]]}, True),
        ({">=": [{"var": "rd_ratio"}, Decimal("0.07")]}, True),
        ({">": [{"var": "rd_ratio"}, Decimal("0.07")]}, False),
        ({">=": [{"var": "age_years"}, 7]}, True),
        ({"==": [{"var": "qualification_year.high_tech"}, 2021]}, True),
        ({">": [{"var": "prev.revenue"}, 3000]}, True),
        ({"==": [{"cat": [{"var": "industry_section"}, {"var": "industry_division"}]}, "I65"]}, True),
    ],
)
def test_each_operator_gives_the_same_truth_in_sql_and_in_python(firm, rule, expected):
    agree(rule, firm, expected)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"+": [{"var": "revenue"}, {"var": "prev.revenue"}, 1]}, Decimal("9001")),
        ({"-": [{"var": "revenue"}, {"var": "prev.revenue"}]}, Decimal("1000")),
        ({"-": [{"var": "employees"}]}, Decimal("-120")),
        ({"*": [{"var": "rd_expense"}, 10000, Decimal("0.1")]}, Decimal("350000")),
        ({"/": [{"var": "revenue"}, 3]}, Decimal("1666.66666666666666666666")),
        ({"%": [{"var": "employees"}, 50]}, Decimal("20")),
        ({"%": [-7, 3]}, Decimal("-1")),
        ({"min": [{"var": "rd_expense"}, 300, 1000]}, Decimal("300")),
        ({"max": [{"var": "rd_expense"}, 300]}, Decimal("350")),
        ({"var": ["prev.rd_expense", 12]}, Decimal("12")),
        ({"if": [{"var": "is_above_scale"}, 200000, 100000]}, Decimal("200000")),
    ],
)
def test_arithmetic_gives_the_same_exact_decimals_in_sql_and_in_python(firm, rule, expected):
    agree(rule, firm, expected, amount=True)


@pytest.mark.parametrize("op", ["==", ">", "<", ">=", "<=", "!="])
def test_a_comparison_with_a_missing_fact_is_unknown(firm, op):
    agree({op: [{"var": "prev.rd_expense"}, 100]}, firm, None)


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "%", "min", "max"])
def test_arithmetic_with_a_missing_fact_is_unknown(firm, op):
    agree({op: [{"var": "prev.rd_expense"}, 2]}, firm, None, amount=True)


def test_min_and_max_are_unknown_when_any_operand_is_although_sql_greatest_skips_nulls(firm):
    agree({"max": [{"var": "prev.rd_expense"}, {"var": "revenue"}]}, firm, None, amount=True)
    agree({"min": [{"var": "prev.rd_expense"}, 1]}, firm, None, amount=True)


def test_division_and_modulo_by_zero_are_unknown(firm):
    agree({"/": [{"var": "revenue"}, 0]}, firm, None, amount=True)
    agree({"%": [{"var": "revenue"}, Decimal("0.00")]}, firm, None, amount=True)
    agree({">": [{"/": [1, {"-": [{"var": "revenue"}, 5000]}]}, 0]}, firm, None)


def test_kleene_logic_over_unknown(firm):
    unknown = {">": [{"var": "prev.rd_expense"}, 1]}
    agree({"and": [unknown, False]}, firm, False)
    agree({"and": [unknown, True]}, firm, None)
    agree({"or": [unknown, True]}, firm, True)
    agree({"or": [unknown, False]}, firm, None)
    agree({"!": unknown}, firm, None)


def test_if_with_an_unknown_condition_is_unknown_rather_than_the_else_branch(firm):
    agree({"if": [{">": [{"var": "prev.rd_expense"}, 1]}, 1, 2]}, firm, None, amount=True)


def test_between_is_false_when_a_known_bound_fails_even_if_the_other_is_unknown(firm):
    agree({"<": [{"var": "prev.rd_expense"}, 5, 3]}, firm, False)
    agree({"<": [{"var": "prev.rd_expense"}, 5, 9]}, firm, None)


def test_in_a_list_with_an_unknown_item_is_unknown_on_a_miss_and_true_on_a_hit(firm):
    agree({"in": ["B", ["C", {"var": "prev.rd_expense"}]]}, firm, None)
    agree({"in": [{"var": "revenue"}, [1, {"var": "prev.rd_expense"}]]}, firm, None)
    agree({"in": [{"var": "revenue"}, [5000, {"var": "prev.rd_expense"}]]}, firm, True)


def test_dotted_variables_and_defaults(firm):
    agree({">": [{"var": "prev.revenue"}, {"var": ["prev.rd_expense", 0]}]}, firm, True)
    agree({"==": [{"var": ["prev.rd_expense", 7]}, 7]}, firm, True)


def test_values_of_different_types_are_unequal_never_coerced(firm):
    agree({"==": [{"var": "employees"}, "120"]}, firm, False)
    agree({"!=": [{"var": "is_above_scale"}, 1]}, firm, True)
    agree({"==": [{"var": "prev.rd_expense"}, "x"]}, firm, None)


def test_text_is_ordered_by_code_point_as_python_orders_it(firm):
    # Under a linguistic collation "B" < "a"; by code point "a" > "B".
    agree({">": ["a", "B"]}, firm, True)
    agree({"<": [{"var": "credit_rating"}, "a"]}, firm, True)


def test_a_near_tie_that_doubles_get_wrong_is_decided_exactly(firm):
    # 0.1 + 0.2 == 0.3 exactly; in doubles it is not. (1/3)·3 is 0.999… exactly; a double says 1.
    agree({"==": [{"+": [Decimal("0.1"), Decimal("0.2")]}, Decimal("0.3")]}, firm, True)
    agree({"<": [{"*": [{"/": [1, 3]}, 3]}, 1]}, firm, True)
    agree({"==": [{"/": [{"var": "rd_expense"}, {"var": "revenue"}]}, Decimal("0.07")]}, firm, True)
    agree({">=": [{"-": [{"var": "revenue"}, Decimal("4999.99")]}, Decimal("0.01")]}, firm, True)


def test_numbers_beyond_fifteen_digits_are_compared_exactly(firm):
    agree({">": [{"var": "revenue"}, Decimal("4999.9999999999999999")]}, firm, True)
    agree({"<": [{"var": "revenue"}, Decimal("5000.0000000000000001")]}, firm, True)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"cat": [{"var": "revenue"}, "万元"]}, "cat 在数据库比对中只能拼接文本或真/假"),
        ({"==": [{"var": "qualifications"}, ["high_tech"]]}, "列表"),
        ({"in": ["a", {"if": [True, ["a"], ["b"]]}]}, "列表"),
    ],
)
def test_rules_sql_cannot_evaluate_faithfully_are_refused_with_a_reason(rule, message):
    with pytest.raises(rules.RuleError, match=message):
        compile_condition(rule, resolver(END_2022))


def test_an_unsupported_operator_is_refused_when_the_rule_is_saved_with_the_operator_named():
    with pytest.raises(SchemeError, match="不支持的运算符：substr"):
        scheme_validate(eligibility={"substr": ["abc", 1]}, amount_rule=100)


def test_an_amount_rule_must_give_a_number():
    with pytest.raises(rules.RuleError, match="金额规则必须得出数字"):
        compile_amount({"==": [1, 1]}, resolver(END_2022))


def test_the_award_amount_is_capped_rounded_down_to_the_fen_and_less_what_was_received():
    assert award_amount(Decimal("12345.678"), cap=None) == Decimal("12345.67")
    assert award_amount(Decimal("12345.678"), cap=Decimal("10000")) == Decimal("10000.00")
    assert award_amount(Decimal("300000"), cap=None, received=Decimal("100000.00")) == Decimal("200000.00")
    assert award_amount(None, cap=Decimal("1")) is None


def test_the_sqlite_functions_run_the_python_arithmetic_on_decimal_text():
    assert sqlite_num("+", 0.1, 0.2) == "0.3"
    assert sqlite_num("/", 1, 3) == "0.33333333333333333333"
    assert sqlite_num("/", 1, 0) is None
    assert sqlite_num("*", "0.1", None) is None
    assert sqlite_cmp("0.30000000000000000001", 0.3) == 1
    assert sqlite_cmp(None, 1) is None
    assert sqlite_amount("12345.678", None, 0) == "12345.67"
    # What the group already received comes in whole fen (SQLite sums floats; fen sum exactly).
    assert sqlite_amount(300000, "250000", 10_000_000) == "150000.00"
