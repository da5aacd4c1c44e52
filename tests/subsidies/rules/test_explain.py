import json
from decimal import Decimal

from subsidies.rules import Clause, Explanation, VariableSpec, almost_eligible, explain
from subsidies.rules.explain import shortfall

VARIABLES = {
    spec.name: spec
    for spec in [
        VariableSpec("revenue", "营业收入", "number", "万元"),
        VariableSpec("prev.revenue", "上年营业收入", "number", "万元"),
        VariableSpec("rd_expense", "研发费用", "number", "万元"),
        VariableSpec("credit_grade", "纳税信用等级", "string"),
        VariableSpec("blacklisted", "失信企业", "boolean"),
        VariableSpec("high_tech", "高新技术企业", "boolean"),
        VariableSpec("qualifications", "已获资质", "list"),
    ]
}
RD_AT_LEAST_100 = {">=": [{"var": "rd_expense"}, 100]}
CREDIT_A_OR_B = {"in": [{"var": "credit_grade"}, ["A", "B"]]}
REVENUE_AT_LEAST_500 = {">=": [{"var": "revenue"}, 500]}
SCHEME = {"and": [RD_AT_LEAST_100, CREDIT_A_OR_B, REVENUE_AT_LEAST_500]}


def texts(explanation):
    return [clause.text for clause in explanation.trace]


# ---- outcome -----------------------------------------------------------------------------------------


def test_outcome_is_eligible_when_every_clause_passes():
    data = {"rd_expense": 350, "credit_grade": "B", "revenue": 600}
    assert explain(SCHEME, data, VARIABLES).outcome == "eligible"


def test_outcome_is_ineligible_when_a_clause_fails():
    data = {"rd_expense": 50, "credit_grade": "B", "revenue": 600}
    assert explain(SCHEME, data, VARIABLES).outcome == "ineligible"


def test_outcome_is_undetermined_when_a_fact_is_missing_and_nothing_fails():
    data = {"rd_expense": 350, "credit_grade": "B"}
    assert explain(SCHEME, data, VARIABLES).outcome == "undetermined"


def test_outcome_of_a_non_boolean_rule_follows_truthiness():
    assert explain({"+": [1, 2]}, {}).outcome == "eligible"
    assert explain({"-": [2, 2]}, {}).outcome == "ineligible"
    assert explain({"/": [1, 0]}, {}).outcome == "undetermined"


# ---- trace -------------------------------------------------------------------------------------------


def test_a_passing_threshold_clause_reads_with_its_unit():
    explanation = explain(RD_AT_LEAST_100, {"rd_expense": 350}, VARIABLES)
    assert explanation.trace == [
        Clause(
            path="",
            op=">=",
            variable="rd_expense",
            label="研发费用",
            value=350,
            threshold=100,
            unit="万元",
            status="pass",
            text="研发费用 350 万元，不低于 100 万元",
            kind="number",
        )
    ]


def test_a_failing_clause_says_what_is_required():
    explanation = explain(RD_AT_LEAST_100, {"rd_expense": Decimal("80.50")}, VARIABLES)
    assert texts(explanation) == ["研发费用 80.5 万元，要求不低于 100 万元"]
    assert explanation.trace[0].status == "fail"


def test_a_membership_clause_lists_the_allowed_values():
    assert texts(explain(CREDIT_A_OR_B, {"credit_grade": "B"}, VARIABLES)) == ["纳税信用等级为 B，属于 A、B"]


def test_an_unknown_clause_says_the_data_is_missing():
    explanation = explain(REVENUE_AT_LEAST_500, {}, VARIABLES)
    assert texts(explanation) == ["营业收入未知，要求不低于 500 万元（数据缺失，无法判断）"]
    assert explanation.trace[0].status == "unknown"
    assert explanation.trace[0].value is None


def test_a_clause_unknown_by_division_by_zero_says_it_cannot_be_computed():
    rule = {">=": [{"/": [{"var": "rd_expense"}, {"var": "revenue"}]}, Decimal("0.05")]}
    explanation = explain(rule, {"rd_expense": 10, "revenue": 0}, VARIABLES)
    assert texts(explanation) == ["研发费用 ÷ 营业收入未知，要求不低于 0.05（无法计算，无法判断）"]
    assert explanation.trace[0].variable is None


def test_a_ratio_clause_shows_the_computed_ratio():
    rule = {">=": [{"/": [{"var": "rd_expense"}, {"var": "revenue"}]}, Decimal("0.05")]}
    explanation = explain(rule, {"rd_expense": 60, "revenue": 1000}, VARIABLES)
    assert texts(explanation) == ["研发费用 ÷ 营业收入 0.06，不低于 0.05"]
    assert explanation.trace[0].value == Decimal("0.06")


def test_every_clause_is_traced_even_after_one_fails():
    data = {"rd_expense": 50, "credit_grade": "C"}
    assert texts(explain(SCHEME, data, VARIABLES)) == [
        "研发费用 50 万元，要求不低于 100 万元",
        "纳税信用等级为 C，不属于 A、B，要求属于其中",
        "营业收入未知，要求不低于 500 万元（数据缺失，无法判断）",
    ]


def test_every_clause_of_an_or_is_traced_even_after_one_passes():
    rule = {"or": [RD_AT_LEAST_100, REVENUE_AT_LEAST_500]}
    explanation = explain(rule, {"rd_expense": 350, "revenue": 100}, VARIABLES)
    assert explanation.outcome == "eligible"
    assert [clause.status for clause in explanation.trace] == ["pass", "fail"]
    assert [clause.path for clause in explanation.trace] == ["or[0]", "or[1]"]


def test_clauses_record_where_they_sit_in_the_rule():
    explanation = explain(SCHEME, {}, VARIABLES)
    assert [clause.path for clause in explanation.trace] == ["and[0]", "and[1]", "and[2]"]


def test_a_negated_boolean_fact_reads_as_a_requirement_of_not_being_it():
    rule = {"!": {"var": "blacklisted"}}
    on_list = explain(rule, {"blacklisted": True}, VARIABLES)
    assert on_list.outcome == "ineligible"
    assert texts(on_list) == ["贵企业是失信企业，本项要求不是失信企业"]
    assert on_list.trace[0].negated is True
    assert texts(explain(rule, {"blacklisted": False}, VARIABLES)) == ["贵企业不是失信企业"]


def test_a_negated_comparison_asks_for_the_opposite_and_flips_the_status():
    rule = {"!": REVENUE_AT_LEAST_500}
    explanation = explain(rule, {"revenue": 600}, VARIABLES)
    assert texts(explanation) == ["营业收入 600 万元，要求低于 500 万元"]
    assert explanation.trace[0].status == "fail"


def test_negation_over_an_and_flips_each_clause_inside():
    rule = {"!": {"and": [RD_AT_LEAST_100, CREDIT_A_OR_B]}}
    explanation = explain(rule, {"rd_expense": 350, "credit_grade": "C"}, VARIABLES)
    assert explanation.outcome == "eligible"
    assert texts(explanation) == ["研发费用 350 万元，要求低于 100 万元", "纳税信用等级为 C，不属于 A、B"]


def test_double_negation_cancels():
    rule = {"!": {"!": RD_AT_LEAST_100}}
    assert texts(explain(rule, {"rd_expense": 350}, VARIABLES)) == ["研发费用 350 万元，不低于 100 万元"]


def test_double_not_around_a_comparison_traces_the_comparison():
    rule = {"!!": RD_AT_LEAST_100}
    explanation = explain(rule, {"rd_expense": 350}, VARIABLES)
    assert [(clause.op, clause.text) for clause in explanation.trace] == [
        (">=", "研发费用 350 万元，不低于 100 万元")
    ]


def test_a_qualification_held_reads_as_the_enterprise_having_it():
    rule = {"in": ["high_tech", {"var": "qualifications"}]}
    explanation = explain(rule, {"qualifications": ["high_tech", "sme"]}, VARIABLES)
    assert texts(explanation) == ["贵企业已获得high_tech资质"]
    assert (explanation.trace[0].value, explanation.trace[0].threshold) == (["high_tech", "sme"], "high_tech")


def test_a_between_clause_shows_both_bounds():
    rule = {"<=": [100, {"var": "rd_expense"}, 500]}
    explanation = explain(rule, {"rd_expense": 350}, VARIABLES)
    assert texts(explanation) == ["研发费用 350 万元，介于 100 万元与 500 万元之间（含）"]
    assert explanation.trace[0].threshold == [100, 500]


def test_a_clause_comparing_two_variables_names_both():
    rule = {">": [{"var": "revenue"}, {"var": "prev.revenue"}]}
    explanation = explain(rule, {"revenue": 600, "prev.revenue": 500}, VARIABLES)
    assert texts(explanation) == ["营业收入 600 万元，高于上年营业收入 500 万元"]
    assert explanation.trace[0].threshold == 500


def test_without_a_catalogue_the_variable_name_is_the_label():
    explanation = explain({">=": [{"var": "employees"}, 10]}, {"employees": 12})
    assert texts(explanation) == ["employees 12，不低于 10"]


def test_every_condition_and_branch_of_an_if_is_traced():
    rule = {"if": [{"var": "high_tech"}, RD_AT_LEAST_100, REVENUE_AT_LEAST_500]}
    explanation = explain(rule, {"high_tech": True, "rd_expense": 350, "revenue": 100}, VARIABLES)
    assert explanation.outcome == "eligible"
    assert texts(explanation) == [
        "贵企业是高新技术企业",
        "研发费用 350 万元，不低于 100 万元",
        "营业收入 100 万元，要求不低于 500 万元",
    ]


def test_the_else_branch_decides_when_the_if_condition_is_false():
    rule = {"if": [{"var": "high_tech"}, RD_AT_LEAST_100, REVENUE_AT_LEAST_500]}
    explanation = explain(rule, {"high_tech": False, "rd_expense": 350, "revenue": 100}, VARIABLES)
    assert explanation.outcome == "ineligible"
    assert len(explanation.trace) == 3


# ---- serialisation -----------------------------------------------------------------------------------


def test_an_explanation_serialises_to_json_with_decimals_as_text():
    rule = {"and": [{">=": [{"var": "rd_expense"}, Decimal("99.5")]}, CREDIT_A_OR_B]}
    explanation = explain(rule, {"rd_expense": Decimal("350.25"), "credit_grade": "A"}, VARIABLES)
    data = json.loads(json.dumps(explanation.as_dict()))
    assert data["outcome"] == "eligible"
    assert data["trace"][0]["value"] == "350.25"
    assert data["trace"][0]["threshold"] == "99.5"
    assert data["trace"][1]["threshold"] == ["A", "B"]


def test_an_explanation_comes_back_from_its_dict_unchanged():
    rule = {
        "and": [{"<=": [Decimal("0.5"), {"var": "rd_expense"}, 500]}, CREDIT_A_OR_B, REVENUE_AT_LEAST_500]
    }
    explanation = explain(rule, {"rd_expense": Decimal("350.25"), "credit_grade": "A"}, VARIABLES)
    restored = Explanation.from_dict(json.loads(json.dumps(explanation.as_dict())))
    assert restored == explanation
    assert restored.trace[0].value == Decimal("350.25")
    assert restored.trace[0].threshold == [Decimal("0.5"), 500]
    assert type(restored.trace[0].threshold[0]) is Decimal


def test_text_that_looks_like_a_number_stays_text_after_the_round_trip():
    rule = {"==": [{"var": "industry"}, "3911"]}
    explanation = explain(
        rule, {"industry": "3911"}, {"industry": VariableSpec("industry", "行业代码", "string")}
    )
    assert Explanation.from_dict(explanation.as_dict()).trace[0].value == "3911"


# ---- shortfall and almost eligible -------------------------------------------------------------------


def test_shortfall_lists_the_failed_and_unknown_clauses():
    data = {"rd_expense": 50, "credit_grade": "A"}
    assert [clause.path for clause in shortfall(SCHEME, data, VARIABLES)] == ["and[0]", "and[2]"]


def test_almost_eligible_gives_the_one_clause_short():
    data = {"rd_expense": 50, "credit_grade": "A", "revenue": 600}
    short = almost_eligible(SCHEME, data, VARIABLES)
    assert [clause.text for clause in short] == ["研发费用 50 万元，要求不低于 100 万元"]


def test_almost_eligible_is_none_when_two_clauses_short():
    data = {"rd_expense": 50, "credit_grade": "C", "revenue": 600}
    assert almost_eligible(SCHEME, data, VARIABLES) is None


def test_almost_eligible_is_none_when_already_eligible():
    data = {"rd_expense": 350, "credit_grade": "A", "revenue": 600}
    assert almost_eligible(SCHEME, data, VARIABLES) is None


def test_almost_eligible_is_none_when_the_other_clauses_are_unknown():
    data = {"rd_expense": 50, "credit_grade": "A"}
    assert almost_eligible(SCHEME, data, VARIABLES) is None


def test_almost_eligible_does_not_count_a_missing_fact_as_a_failure():
    data = {"rd_expense": 350, "credit_grade": "A"}
    assert almost_eligible(SCHEME, data, VARIABLES) is None


def test_almost_eligible_gives_each_clause_that_would_suffice_alone():
    rule = {"or": [RD_AT_LEAST_100, REVENUE_AT_LEAST_500]}
    short = almost_eligible(rule, {"rd_expense": 50, "revenue": 100}, VARIABLES)
    assert [clause.path for clause in short] == ["or[0]", "or[1]"]


def test_almost_eligible_flips_a_negated_clause_to_its_passing_side():
    rule = {"and": [{"!": {"var": "blacklisted"}}, RD_AT_LEAST_100]}
    short = almost_eligible(rule, {"blacklisted": True, "rd_expense": 350}, VARIABLES)
    assert [clause.text for clause in short] == ["贵企业是失信企业，本项要求不是失信企业"]
