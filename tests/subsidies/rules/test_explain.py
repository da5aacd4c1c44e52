import json
from decimal import Decimal

from subsidies.rules import Clause, Explanation, VariableSpec, almost_eligible, explain, folded
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


# ---- wording a business owner reads ------------------------------------------------------------------

CATALOGUE = {
    spec.name: spec
    for spec in [
        VariableSpec("revenue", "营业收入", "number", "万元"),
        VariableSpec("employees", "从业人数", "number", "人"),
        VariableSpec("rd_ratio", "研发投入强度", "number", shown_as="percent"),
        VariableSpec("industry_section", "行业门类", "string", changeable=False),
        VariableSpec(
            "park", "所属园区", "string", values=(("wutong", "梧桐"), ("shifo", "石佛")), changeable=False
        ),
        VariableSpec("qualifications", "所获资质", "list", values=(("high_tech", "高新技术企业"),)),
        VariableSpec("high_tech_year", "高新技术企业认定年度", "number", shown_as="year", changeable=False),
        VariableSpec("is_above_scale", "规上企业", "boolean"),
        VariableSpec("blacklisted", "失信企业", "boolean"),
        VariableSpec("registered_on", "成立日期", "date", changeable=False),
    ]
}


def wording(rule, data):
    return [(clause.status, clause.text) for clause in explain(rule, data, CATALOGUE).trace]


def test_money_reads_in_wan_yuan_with_thousands_separators():
    rule = {">=": [{"var": "revenue"}, 100]}
    assert wording(rule, {"revenue": Decimal("12350.50")}) == [
        ("pass", "营业收入 12,350.5 万元，不低于 100 万元")
    ]
    assert wording(rule, {"revenue": Decimal("80")}) == [("fail", "营业收入 80 万元，要求不低于 100 万元")]


def test_a_count_reads_as_more_or_fewer():
    rule = {">=": [{"var": "employees"}, 10]}
    assert wording(rule, {"employees": 1200}) == [("pass", "从业人数 1,200 人，不少于 10 人")]
    assert wording({"<": [{"var": "employees"}, 10]}, {"employees": 12}) == [
        ("fail", "从业人数 12 人，要求少于 10 人")
    ]


def test_a_ratio_reads_as_a_percentage_cut_to_two_decimals():
    rule = {">=": [{"var": "rd_ratio"}, Decimal("0.03")]}
    assert wording(rule, {"rd_ratio": Decimal("0.075")}) == [("pass", "研发投入强度 7.5%，不低于 3%")]
    assert wording(rule, {"rd_ratio": Decimal("0.0066666666666")}) == [
        ("fail", "研发投入强度 0.67%，要求不低于 3%")
    ]


def test_text_equality_reads_as_what_it_is_and_what_is_required():
    rule = {"==": [{"var": "industry_section"}, "C"]}
    assert wording(rule, {"industry_section": "C"}) == [("pass", "行业门类为 C")]
    assert wording(rule, {"industry_section": "I"}) == [("fail", "行业门类为 I，要求为 C")]
    assert wording({"!=": [{"var": "industry_section"}, "K"]}, {"industry_section": "C"}) == [
        ("pass", "行业门类为 C，不是 K")
    ]


def test_membership_names_the_allowed_values_by_their_labels():
    rule = {"in": [{"var": "park"}, ["wutong", "shifo"]]}
    assert wording(rule, {"park": "wutong"}) == [("pass", "所属园区为 梧桐，属于 梧桐、石佛")]
    assert wording(rule, {"park": "other"}) == [("fail", "所属园区为 other，不属于 梧桐、石佛，要求属于其中")]


def test_a_qualification_reads_as_the_enterprise_holding_it_or_not():
    rule = {"in": ["high_tech", {"var": "qualifications"}]}
    assert wording(rule, {"qualifications": ["high_tech"]}) == [("pass", "贵企业已获得高新技术企业资质")]
    assert wording(rule, {"qualifications": []}) == [("fail", "贵企业尚未获得高新技术企业资质，本项要求持有")]
    assert wording({"!": rule}, {"qualifications": []}) == [("pass", "贵企业尚未获得高新技术企业资质")]


def test_a_year_reads_as_earlier_or_later_without_a_thousands_separator():
    assert wording({">=": [{"var": "high_tech_year"}, 2020]}, {"high_tech_year": 2021}) == [
        ("pass", "高新技术企业认定年度 2021 年，不早于 2020 年")
    ]
    assert wording({"==": [{"var": "high_tech_year"}, 2022]}, {"high_tech_year": 2021}) == [
        ("fail", "高新技术企业认定年度为 2021 年，要求为 2022 年")
    ]


def test_a_date_reads_as_year_month_day():
    rule = {"<=": [{"var": "registered_on"}, "2020-01-01"]}
    assert wording(rule, {"registered_on": "2019-03-01"}) == [
        ("pass", "成立日期 2019年3月1日，不晚于 2020年1月1日")
    ]
    assert wording(rule, {"registered_on": "2021-10-15"}) == [
        ("fail", "成立日期 2021年10月15日，要求不晚于 2020年1月1日")
    ]


def test_a_boolean_fact_reads_as_the_enterprise_being_it_or_not():
    rule = {"var": "is_above_scale"}
    assert wording(rule, {"is_above_scale": True}) == [("pass", "贵企业是规上企业")]
    assert wording(rule, {"is_above_scale": False}) == [("fail", "贵企业不是规上企业，本项要求是规上企业")]
    assert wording({"==": [{"var": "is_above_scale"}, True]}, {"is_above_scale": True}) == [
        ("pass", "贵企业是规上企业")
    ]


def test_a_negated_fact_reads_as_the_requirement_of_not_being_it():
    rule = {"!": {"var": "blacklisted"}}
    assert wording(rule, {"blacklisted": False}) == [("pass", "贵企业不是失信企业")]
    assert wording(rule, {"blacklisted": True}) == [("fail", "贵企业是失信企业，本项要求不是失信企业")]
    assert wording({"!": {">=": [{"var": "revenue"}, 100]}}, {"revenue": 50}) == [
        ("pass", "营业收入 50 万元，低于 100 万元")
    ]


def test_an_unknown_fact_says_what_is_required_and_that_data_is_missing():
    assert wording({">=": [{"var": "rd_ratio"}, Decimal("0.03")]}, {}) == [
        ("unknown", "研发投入强度未知，要求不低于 3%（数据缺失，无法判断）")
    ]
    assert wording({"var": "is_above_scale"}, {}) == [
        ("unknown", "尚不清楚贵企业是否为规上企业（数据缺失，无法判断）")
    ]
    assert wording({"in": ["high_tech", {"var": "qualifications"}]}, {}) == [
        ("unknown", "尚不清楚贵企业是否持有高新技术企业资质（数据缺失，无法判断）")
    ]


def test_the_words_change_but_the_trace_keeps_its_structure():
    [clause] = explain(
        {">=": [{"var": "rd_ratio"}, Decimal("0.03")]}, {"rd_ratio": Decimal("0.075")}, CATALOGUE
    ).trace
    assert (clause.status, clause.variable, clause.value, clause.threshold, clause.kind) == (
        "pass",
        "rd_ratio",
        Decimal("0.075"),
        Decimal("0.03"),
        "number",
    )


# ---- an or that passes: the other branches are folded -------------------------------------------------

QUALIFIED = {
    "or": [
        {"in": ["high_tech", {"var": "qualifications"}]},
        {"and": [{">=": [{"var": "revenue"}, 1000]}, {">=": [{"var": "employees"}, 50]}]},
    ]
}


def test_an_or_that_passes_folds_the_branches_after_the_one_that_passed():
    explanation = explain(
        QUALIFIED, {"qualifications": ["high_tech"], "revenue": 200, "employees": 60}, CATALOGUE
    )
    assert explanation.outcome == "eligible"
    assert folded(explanation.trace) == {"or[1].and[0]", "or[1].and[1]"}


def test_an_or_that_passes_by_its_second_branch_folds_the_first():
    data = {"qualifications": [], "revenue": 2000, "employees": 60}
    assert folded(explain(QUALIFIED, data, CATALOGUE).trace) == {"or[0]"}


def test_an_or_that_fails_folds_nothing_so_every_shortfall_shows():
    data = {"qualifications": [], "revenue": 200, "employees": 60}
    assert folded(explain(QUALIFIED, data, CATALOGUE).trace) == set()


def test_a_negated_or_is_not_folded():
    rule = {"!": QUALIFIED}
    data = {"qualifications": [], "revenue": 200, "employees": 10}
    assert folded(explain(rule, data, CATALOGUE).trace) == set()


def test_a_stored_explanation_folds_as_the_fresh_one_does():
    explanation = explain(
        QUALIFIED, {"qualifications": ["high_tech"], "revenue": 200, "employees": 60}, CATALOGUE
    )
    restored = Explanation.from_dict(json.loads(json.dumps(explanation.as_dict())))
    assert folded(restored.trace) == {"or[1].and[0]", "or[1].and[1]"}


# ---- 差一点符合: only what an enterprise can change ------------------------------------------------------


def test_almost_eligible_never_suggests_changing_the_industry():
    rule = {"and": [{"==": [{"var": "industry_section"}, "C"]}, {">=": [{"var": "revenue"}, 100]}]}
    assert almost_eligible(rule, {"industry_section": "I", "revenue": 500}, CATALOGUE) is None


def test_almost_eligible_suggests_a_figure_the_enterprise_can_change():
    rule = {"and": [{"==": [{"var": "industry_section"}, "C"]}, {">=": [{"var": "revenue"}, 100]}]}
    short = almost_eligible(rule, {"industry_section": "C", "revenue": 80}, CATALOGUE)
    assert [clause.text for clause in short] == ["营业收入 80 万元，要求不低于 100 万元"]


def test_almost_eligible_leaves_out_an_unchangeable_branch_of_an_or_and_keeps_the_changeable_one():
    rule = {"or": [{"in": [{"var": "park"}, ["wutong"]]}, {">=": [{"var": "revenue"}, 100]}]}
    short = almost_eligible(rule, {"park": "shifo", "revenue": 80}, CATALOGUE)
    assert [clause.path for clause in short] == ["or[1]"]
