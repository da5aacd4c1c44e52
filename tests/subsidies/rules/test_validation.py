from decimal import Decimal

import pytest

from subsidies.rules import RuleError, VariableSpec, validate, validate_amount

CATALOGUE = [
    VariableSpec("revenue", "营业收入", "number", "万元"),
    VariableSpec("prev.revenue", "上年营业收入", "number", "万元"),
    VariableSpec("rd_expense", "研发费用", "number", "万元"),
    VariableSpec("credit_grade", "纳税信用等级", "string"),
    VariableSpec("high_tech", "高新技术企业", "boolean"),
    VariableSpec("founded_on", "成立日期", "date"),
    VariableSpec("qualifications", "已获资质", "list"),
    VariableSpec("qualification_year.high_tech", "高新技术企业认定年度", "number"),
]
VARIABLES = {variable.name: variable for variable in CATALOGUE}


def rejection(rule, *, amount=False):
    with pytest.raises(RuleError) as caught:
        (validate_amount if amount else validate)(rule, VARIABLES)
    return str(caught.value)


# ---- valid rules -------------------------------------------------------------------------------------


def test_a_typical_eligibility_rule_is_valid():
    rule = {
        "and": [
            {">=": [{"var": "revenue"}, 500]},
            {">=": [{"/": [{"var": "rd_expense"}, {"var": "revenue"}]}, Decimal("0.05")]},
            {"in": [{"var": "credit_grade"}, ["A", "B"]]},
            {"in": ["high_tech", {"var": "qualifications"}]},
            {"or": [{"var": "high_tech"}, {">": [{"var": "revenue"}, {"var": "prev.revenue"}]}]},
            {">=": [{"var": "founded_on"}, "2020-01-01"]},
            {"<=": [2018, {"var": "qualification_year.high_tech"}, 2023]},
            {"!": {"missing": ["revenue"]}},
        ]
    }
    assert validate(rule, VARIABLES) is None


def test_a_catalogue_may_be_given_as_a_list_of_specs():
    assert validate({">=": [{"var": "revenue"}, 100]}, CATALOGUE) is None


def test_a_name_with_dots_is_looked_up_whole_not_split():
    assert validate({">": [{"var": "qualification_year.high_tech"}, 2020]}, VARIABLES) is None
    assert (
        rejection({">": [{"var": "qualification_year"}, 2020]})
        == "未知变量：qualification_year（位置：>[0]）"
    )


def test_true_alone_is_a_valid_eligibility_rule():
    assert validate(True, VARIABLES) is None


def test_an_if_of_conditions_is_a_valid_eligibility_rule():
    rule = {
        "if": [{"var": "high_tech"}, {">=": [{"var": "revenue"}, 100]}, {">=": [{"var": "revenue"}, 500]}]
    }
    assert validate(rule, VARIABLES) is None


def test_a_bare_number_is_a_valid_amount_rule():
    assert validate_amount(50, VARIABLES) is None
    assert validate_amount(Decimal("12.5"), VARIABLES) is None


def test_a_tiered_formula_is_a_valid_amount_rule():
    rule = {
        "if": [
            {">=": [{"var": "revenue"}, 1000]},
            {"min": [{"*": [{"var": "rd_expense"}, Decimal("0.1")]}, 50]},
            20,
        ]
    }
    assert validate_amount(rule, VARIABLES) is None


# ---- what is rejected --------------------------------------------------------------------------------


def test_an_unknown_operator_is_named_with_its_place():
    rule = {"and": [{">=": [{"var": "revenue"}, 100]}, {"foo": [1]}]}
    assert rejection(rule) == "不支持的运算符：foo（位置：and[1]）"


def test_an_unknown_variable_is_named_with_its_place():
    rule = {"and": [{">=": [{"var": "revenue"}, 100]}, {">=": [{"var": "employees"}, 10]}]}
    assert rejection(rule) == "未知变量：employees（位置：and[1].>=[0]）"


def test_an_unknown_variable_in_missing_is_named():
    assert rejection({"!": {"missing": ["employees"]}}) == "未知变量：employees（位置：![0].missing[0]）"


def test_a_computed_variable_name_is_rejected():
    assert rejection({"var": {"cat": ["rev", "enue"]}}) == "变量名必须是文本"


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({">": [{"var": "revenue"}]}, "运算符 > 的参数个数应为 2，实际 1 个"),
        ({">": [1, 2, 3, 4]}, "运算符 > 的参数个数应为 2，实际 4 个"),
        ({">": [1, {"var": "revenue"}, 3]}, "运算符 > 的参数个数应为 2，实际 3 个"),
        ({"<": [1, 2, 3, 4]}, "运算符 < 的参数个数应为 2 到 3，实际 4 个"),
        ({"!": [True, False]}, "运算符 ! 的参数个数应为 1，实际 2 个"),
        ({"and": []}, "运算符 and 的参数个数应为 至少 1，实际 0 个"),
    ],
)
def test_a_wrong_number_of_arguments_is_rejected(rule, message):
    assert rejection(rule) == message


def test_a_wrong_number_of_arguments_deep_in_the_rule_gives_its_place():
    assert (
        rejection({"or": [True, {"!": [True, False]}]})
        == "运算符 ! 的参数个数应为 1，实际 2 个（位置：or[1]）"
    )


def test_a_number_variable_compared_with_text_is_rejected():
    assert rejection({">=": [{"var": "revenue"}, "100"]}) == (
        '类型不匹配：变量 revenue（营业收入）是数字，"100" 是文本，无法比较（位置：>=[1]）'
    )


def test_a_text_variable_compared_with_a_number_is_rejected_at_the_literal():
    assert rejection({"==": [1, {"var": "credit_grade"}]}) == (
        "类型不匹配：1 是数字，变量 credit_grade（纳税信用等级）是文本，无法比较（位置：==[0]）"
    )


def test_a_date_variable_compared_with_a_number_is_rejected():
    assert rejection({">=": [{"var": "founded_on"}, 2020]}) == (
        "类型不匹配：变量 founded_on（成立日期）是日期，2020 是数字，无法比较（位置：>=[1]）"
    )


def test_a_date_variable_compared_with_badly_written_date_text_is_rejected():
    assert rejection({">=": [{"var": "founded_on"}, "2020/01/01"]}) == (
        "日期应写作 YYYY-MM-DD，实际是 '2020/01/01'（位置：>=[1]）"
    )


def test_booleans_cannot_be_ordered():
    assert rejection({">": [{"var": "high_tech"}, False]}) == "真/假不能比较大小（位置：>[1]）"


def test_comparing_with_null_is_rejected_because_it_is_always_unknown():
    assert rejection({"==": [{"var": "revenue"}, None]}) == (
        "与 null 比较的结果总是未知；要判断数据是否缺失，请用 missing（位置：==[1]）"
    )


def test_arithmetic_on_a_text_variable_is_rejected():
    assert rejection({">": [{"+": [{"var": "credit_grade"}, 1]}, 2]}) == (
        "此处需要数字，变量 credit_grade（纳税信用等级）是文本（位置：>[0].+[0]）"
    )


def test_arithmetic_on_a_boolean_variable_is_rejected():
    assert rejection({">": [{"*": [{"var": "high_tech"}, 2]}, 1]}) == (
        "此处需要数字，变量 high_tech（高新技术企业）是真/假（位置：>[0].*[0]）"
    )


def test_in_with_a_list_of_the_wrong_element_type_is_rejected():
    assert rejection({"in": [{"var": "credit_grade"}, ["A", 1]]}) == (
        "类型不匹配：变量 credit_grade（纳税信用等级）是文本，1 是数字，无法比较（位置：in[1][1]）"
    )


def test_in_looking_for_a_number_among_qualification_codes_is_rejected():
    assert rejection({"in": [1, {"var": "qualifications"}]}) == (
        "变量 qualifications（已获资质）是列表，只能在其中查找文本，1 却是数字"
    )


def test_in_a_number_variable_is_rejected():
    assert rejection({"in": ["A", {"var": "revenue"}]}) == (
        "in 的第二个参数必须是列表或文本，变量 revenue（营业收入）是数字（位置：in[1]）"
    )


def test_a_bare_number_where_a_condition_belongs_is_rejected():
    assert rejection({"and": [{"var": "high_tech"}, 100]}) == "此处需要真/假条件，100 是数字（位置：and[1]）"


def test_a_number_as_the_condition_of_if_is_rejected():
    assert rejection({"if": [1, True, False]}) == "此处需要真/假条件，1 是数字（位置：if[0]）"


def test_a_number_variable_under_not_is_rejected():
    assert (
        rejection({"!": {"var": "revenue"}})
        == "此处需要真/假条件，变量 revenue（营业收入）是数字（位置：![0]）"
    )


def test_an_eligibility_rule_must_yield_true_or_false():
    assert rejection(100) == "资格规则必须得出真/假，100 是数字"
    assert rejection({"+": [{"var": "revenue"}, 1]}) == "资格规则必须得出真/假，+ 运算的结果是数字"


def test_an_amount_rule_must_yield_a_number():
    assert (
        rejection({">=": [{"var": "revenue"}, 1]}, amount=True)
        == "金额规则必须得出数字，>= 运算的结果是真/假"
    )
    assert rejection({"var": "credit_grade"}, amount=True) == (
        "金额规则必须得出数字，变量 credit_grade（纳税信用等级）是文本"
    )


def test_every_branch_of_an_amount_if_must_be_a_number():
    rule = {"if": [{"var": "high_tech"}, 50, "fifty"]}
    assert rejection(rule, amount=True) == '此处需要数字，"fifty" 是文本（位置：if[2]）'


def test_a_default_of_the_wrong_type_is_rejected():
    assert rejection({">=": [{"var": ["revenue", "zero"]}, 1]}) == (
        '变量 revenue（营业收入）是数字，默认值 "zero" 却是文本（位置：>=[0]）'
    )


def test_an_object_with_two_operators_is_rejected_with_its_place():
    assert (
        rejection({"and": [{"==": [1, 1], "!=": [1, 2]}]})
        == "一个规则对象只能有一个运算符，实际有：==、!=（位置：and[0]）"
    )
