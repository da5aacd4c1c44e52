from decimal import Decimal

import pytest

from subsidies.rules import RuleError, apply, compile_rule, normalize, operators_used, parse, variables_used

UNKNOWN_TRUTH = [True, False, None]


# ---- var, missing, missing_some ------------------------------------------------------------------------


def test_var_reads_a_key():
    assert apply({"var": "a"}, {"a": 1, "b": 2}) == 1
    assert apply({"var": ["a"]}, {"a": 1, "b": 2}) == 1


def test_var_gives_the_default_for_a_missing_key():
    assert apply({"var": ["z", 26]}, {"a": 1}) == 26


def test_var_gives_the_default_for_a_key_holding_none():
    assert apply({"var": ["z", 26]}, {"z": None}) == 26


def test_var_gives_none_for_a_missing_key_without_default():
    assert apply({"var": "z"}, {"a": 1}) is None


def test_var_keeps_a_present_false_instead_of_the_default():
    assert apply({"var": ["flag", True]}, {"flag": False}) is False


def test_var_follows_a_dotted_path_into_nested_data():
    assert apply({"var": "champ.name"}, {"champ": {"name": "Fezzig", "height": 223}}) == "Fezzig"


def test_var_prefers_an_exact_flat_key_with_dots_over_the_nested_path():
    data = {"prev.revenue": 300, "prev": {"revenue": 999}}
    assert apply({"var": "prev.revenue"}, data) == 300


def test_var_falls_back_to_the_nested_path_when_there_is_no_flat_key():
    assert apply({"var": "prev.revenue"}, {"prev": {"revenue": 999}}) == 999


def test_var_indexes_into_a_list():
    assert apply({"var": 1}, ["zero", "one", "two"]) == "one"


def test_var_of_empty_name_is_the_whole_data():
    assert apply({"cat": ["Hello, ", {"var": ""}]}, "Dolly") == "Hello, Dolly"


def test_var_turns_float_facts_into_decimals():
    assert apply({"var": "rate"}, {"rate": 0.1}) == Decimal("0.1")
    assert isinstance(apply({"var": "rate"}, {"rate": 0.1}), Decimal)


def test_var_turns_dates_into_iso_text():
    from datetime import date

    assert apply({"var": "founded"}, {"founded": date(2020, 5, 1)}) == "2020-05-01"
    assert apply({">=": [{"var": "founded"}, "2020-01-01"]}, {"founded": date(2020, 5, 1)}) is True


def test_missing_lists_the_absent_keys():
    assert apply({"missing": ["a", "b"]}, {"a": "apple", "c": "carrot"}) == ["b"]
    assert apply({"missing": ["a", "b"]}, {"a": "apple", "b": "banana"}) == []


def test_missing_counts_none_and_empty_text_as_missing():
    assert apply({"missing": ["a", "b", "c"]}, {"a": None, "b": "", "c": 0}) == ["a", "b"]


def test_missing_accepts_a_single_list_argument():
    assert apply({"missing": [["a", "b"]]}, {"b": 1}) == ["a"]


def test_missing_some_is_empty_when_enough_are_present():
    assert apply({"missing_some": [1, ["a", "b", "c"]]}, {"a": "apple"}) == []


def test_missing_some_lists_the_absent_keys_when_too_few_are_present():
    assert apply({"missing_some": [2, ["a", "b", "c"]]}, {"a": "apple"}) == ["b", "c"]


# ---- comparison --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"==": [1, 1]}, True),
        ({"==": [1, 2]}, False),
        ({"==": [1, Decimal("1.0")]}, True),
        ({"==": ["a", "a"]}, True),
        ({"==": ["a", "A"]}, False),
        ({"!=": [1, 2]}, True),
        ({"!=": [1, 1]}, False),
        ({"===": [1, 1]}, True),
        ({"===": [1, Decimal("1.00")]}, True),
        ({"===": [1, "1"]}, False),
        ({"!==": [1, "1"]}, True),
        ({"!==": [1, 1]}, False),
        ({">": [2, 1]}, True),
        ({">": [1, 1]}, False),
        ({">=": [1, 1]}, True),
        ({">=": [0, 1]}, False),
        ({"<": [1, 2]}, True),
        ({"<": [2, 2]}, False),
        ({"<=": [1, 1]}, True),
        ({"<=": [2, 1]}, False),
        ({"<": ["apple", "banana"]}, True),
        ({">": [True, False]}, True),
    ],
)
def test_comparisons_of_present_values(rule, expected):
    assert apply(rule) is expected


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"<": [1, 2, 3]}, True),
        ({"<": [1, 1, 3]}, False),
        ({"<": [1, 4, 3]}, False),
        ({"<=": [1, 1, 3]}, True),
        ({"<=": [1, 4, 3]}, False),
    ],
)
def test_between_form_checks_both_bounds(rule, expected):
    assert apply(rule) is expected


def test_between_form_reads_a_variable_in_the_middle():
    assert apply({"<=": [100, {"var": "x"}, 500]}, {"x": 350}) is True


def test_loose_equality_does_not_coerce_text_to_numbers_unlike_jsonlogic():
    assert apply({"==": [1, "1"]}) is False


def test_booleans_are_not_numbers_in_equality():
    assert apply({"==": [True, 1]}) is False
    assert apply({"==": [False, 0]}) is False


def test_ordering_values_of_different_types_is_a_rule_error():
    with pytest.raises(RuleError, match="无法比较大小"):
        apply({">": [1, "a"]})


# ---- logic -------------------------------------------------------------------------------------------


def test_not_negates_and_accepts_a_bare_argument():
    assert apply({"!": [True]}) is False
    assert apply({"!": True}) is False
    assert apply({"!": [False]}) is True


def test_double_not_casts_to_boolean_with_jsonlogic_truthiness():
    assert apply({"!!": [[]]}) is False
    assert apply({"!!": ["0"]}) is True
    assert apply({"!!": [0]}) is False
    assert apply({"!!": [Decimal("0.00")]}) is False
    assert apply({"!!": [""]}) is False
    assert apply({"!!": [["a"]]}) is True


def test_and_or_return_booleans_not_operand_values_unlike_jsonlogic():
    assert apply({"or": [False, "apple"]}) is True
    assert apply({"and": [True, "apple"]}) is True
    assert apply({"and": [True, 0]}) is False


def test_and_or_with_present_booleans():
    assert apply({"and": [True, True, True]}) is True
    assert apply({"and": [True, False, True]}) is False
    assert apply({"or": [False, False, True]}) is True
    assert apply({"or": [False, False]}) is False


def test_if_picks_the_then_or_else_branch():
    assert apply({"if": [True, "yes", "no"]}) == "yes"
    assert apply({"if": [False, "yes", "no"]}) == "no"


def test_if_without_else_gives_false_not_unknown_when_every_condition_is_false():
    assert apply({"if": [False, "yes"]}) is False
    assert apply({"!": {"if": [False, True]}}) is True
    assert compile_rule({"!": {"if": [False, True]}})({}) is True
    assert apply({"if": [False, "a", False, "b"]}, {}) is False


def test_if_without_else_is_unknown_only_when_a_condition_is_unknown():
    assert apply({"if": [{"var": "x"}, "yes"]}, {}) is None
    assert apply({"if": [{"var": "x"}, "yes"]}, {"x": False}) is False


@pytest.mark.parametrize(("temp", "expected"), [(-5, "freezing"), (55, "liquid"), (120, "gas")])
def test_if_chains_else_if_pairs(temp, expected):
    rule = {
        "if": [
            {"<": [{"var": "temp"}, 0]},
            "freezing",
            {"<": [{"var": "temp"}, 100]},
            "liquid",
            "gas",
        ]
    }
    assert apply(rule, {"temp": temp}) == expected


def test_question_colon_is_an_alias_of_if():
    assert apply({"?:": [{"<": [1, 2]}, "small", "large"]}) == "small"
    assert apply({"?:": [False, 1, False, 2, 3]}) == 3


@pytest.mark.parametrize(("i", "expected"), [(15, "fizzbuzz"), (9, "fizz"), (10, "buzz"), (7, 7)])
def test_fizzbuzz_from_jsonlogic_documentation(i, expected):
    rule = {
        "if": [
            {"==": [{"%": [{"var": "i"}, 15]}, 0]},
            "fizzbuzz",
            {"==": [{"%": [{"var": "i"}, 3]}, 0]},
            "fizz",
            {"==": [{"%": [{"var": "i"}, 5]}, 0]},
            "buzz",
            {"var": "i"},
        ]
    }
    assert apply(rule, {"i": i}) == expected


def test_the_pie_example_from_jsonlogic_documentation():
    rule = {"and": [{"<": [{"var": "temp"}, 110]}, {"==": [{"var": "pie.filling"}, "apple"]}]}
    assert apply(rule, {"temp": 100, "pie": {"filling": "apple"}}) is True


# ---- in, cat -----------------------------------------------------------------------------------------


def test_in_finds_a_value_in_a_list():
    assert apply({"in": ["Ringo", ["John", "Paul", "George", "Ringo"]]}) is True
    assert apply({"in": ["Yoko", ["John", "Paul", "George", "Ringo"]]}) is False


def test_in_finds_a_substring():
    assert apply({"in": ["Spring", "Springfield"]}) is True
    assert apply({"in": ["Autumn", "Springfield"]}) is False


def test_in_matches_numbers_across_int_and_decimal():
    assert apply({"in": [{"var": "grade"}, [1, 2]]}, {"grade": Decimal("2.0")}) is True


def test_in_finds_a_code_among_the_qualifications_held():
    data = {"qualifications": ["high_tech", "sme"]}
    assert apply({"in": ["high_tech", {"var": "qualifications"}]}, data) is True
    assert apply({"in": ["specialised", {"var": "qualifications"}]}, data) is False


def test_cat_joins_text():
    assert apply({"cat": ["I love", " pie"]}) == "I love pie"
    assert apply({"cat": ["I love ", {"var": "filling"}, " pie"]}, {"filling": "apple"}) == "I love apple pie"


def test_cat_writes_numbers_and_booleans_as_json_does():
    assert apply({"cat": [Decimal("1.50"), "/", 2, "/", True]}) == "1.50/2/true"


# ---- arithmetic --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"+": [4, 2]}, Decimal(6)),
        ({"+": [2, 2, 2, 2, 2]}, Decimal(10)),
        ({"+": "3.14"}, Decimal("3.14")),
        ({"-": [4, 2]}, Decimal(2)),
        ({"-": 2}, Decimal(-2)),
        ({"-": -2}, Decimal(2)),
        ({"*": [4, 2]}, Decimal(8)),
        ({"*": [2, 2, 2, 2, 2]}, Decimal(32)),
        ({"/": [4, 2]}, Decimal(2)),
        ({"/": [1, 4]}, Decimal("0.25")),
        ({"%": [101, 2]}, Decimal(1)),
        ({"%": [-7, 3]}, Decimal(-1)),
        ({"min": [1, 2, 3]}, Decimal(1)),
        ({"max": [1, 2, 3]}, Decimal(3)),
    ],
)
def test_arithmetic_gives_decimals(rule, expected):
    result = apply(rule)
    assert result == expected
    assert type(result) is Decimal


def test_arithmetic_on_text_that_is_not_a_number_is_a_rule_error():
    with pytest.raises(RuleError, match="算术运算需要数字"):
        apply({"+": [1, "abc"]})


def test_arithmetic_on_a_boolean_is_a_rule_error():
    with pytest.raises(RuleError, match="算术运算需要数字"):
        apply({"*": [True, 2]})


# ---- unknowns ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("op", ["==", "!=", "===", "!==", ">", ">=", "<", "<="])
def test_comparison_with_an_unknown_operand_is_unknown(op):
    assert apply({op: [{"var": "x"}, 1]}, {}) is None
    assert apply({op: [1, {"var": "x"}]}, {"x": None}) is None


def test_none_does_not_equal_none():
    assert apply({"==": [{"var": "x"}, {"var": "y"}]}, {}) is None


def test_between_form_is_false_when_a_known_bound_already_fails():
    assert apply({"<": [{"var": "x"}, 5, 3]}, {}) is False
    assert apply({"<": [{"var": "x"}, 2, 3]}, {}) is None


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "%", "min", "max"])
def test_arithmetic_with_an_unknown_operand_is_unknown(op):
    assert apply({op: [{"var": "x"}, 2]}, {}) is None
    assert apply({op: [2, {"var": "x"}]}, {}) is None


def test_unary_minus_of_unknown_is_unknown():
    assert apply({"-": [{"var": "x"}]}, {}) is None


def test_division_by_zero_is_unknown():
    assert apply({"/": [1, 0]}) is None
    assert apply({"/": [1, Decimal("0.00")]}) is None


def test_modulo_by_zero_is_unknown():
    assert apply({"%": [1, 0]}) is None


def test_in_with_an_unknown_needle_or_haystack_is_unknown():
    assert apply({"in": [{"var": "x"}, ["A", "B"]]}, {}) is None
    assert apply({"in": ["A", {"var": "x"}]}, {}) is None
    assert apply({"in": ["Spring", {"var": "x"}]}, {}) is None


def test_in_a_list_holding_an_unknown_is_unknown_on_a_miss_and_true_on_a_hit():
    assert apply({"in": ["C", ["A", {"var": "x"}]]}, {}) is None
    assert apply({"in": ["A", ["A", {"var": "x"}]]}, {}) is True


def test_cat_with_an_unknown_part_is_unknown():
    assert apply({"cat": ["a", {"var": "x"}]}, {}) is None


def test_not_and_double_not_of_unknown_are_unknown():
    assert apply({"!": [{"var": "x"}]}, {}) is None
    assert apply({"!!": [{"var": "x"}]}, {}) is None


def test_if_with_an_unknown_condition_is_unknown():
    assert apply({"if": [{"var": "x"}, "yes", "no"]}, {}) is None


def test_if_with_an_unknown_later_condition_is_decided_by_an_earlier_true_one():
    assert apply({"if": [True, "first", {"var": "x"}, "second", "else"]}, {}) == "first"
    assert apply({"if": [False, "first", {"var": "x"}, "second", "else"]}, {}) is None


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (True, True, True),
        (True, False, False),
        (True, None, None),
        (False, True, False),
        (False, False, False),
        (False, None, False),
        (None, True, None),
        (None, False, False),
        (None, None, None),
    ],
)
def test_and_follows_kleene_logic(a, b, expected):
    assert apply({"and": [{"var": "a"}, {"var": "b"}]}, {"a": a, "b": b}) is expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (True, True, True),
        (True, False, True),
        (True, None, True),
        (False, True, True),
        (False, False, False),
        (False, None, None),
        (None, True, True),
        (None, False, None),
        (None, None, None),
    ],
)
def test_or_follows_kleene_logic(a, b, expected):
    assert apply({"or": [{"var": "a"}, {"var": "b"}]}, {"a": a, "b": b}) is expected


@pytest.mark.parametrize(("a", "expected"), [(True, False), (False, True), (None, None)])
def test_not_follows_kleene_logic(a, expected):
    assert apply({"!": {"var": "a"}}, {"a": a}) is expected


def test_missing_never_gives_none():
    assert apply({"missing": ["x"]}, {}) == ["x"]
    assert apply({"missing_some": [1, ["x"]]}, {}) == ["x"]


# ---- decimals ----------------------------------------------------------------------------------------


def test_parse_reads_fractions_as_decimals_so_point_one_times_three_is_exactly_point_three():
    assert apply(parse('{"*": [0.1, 3]}')) == Decimal("0.3")


def test_parse_keeps_integers_as_int():
    assert parse('{">=": [{"var": "x"}, 100]}') == {">=": [{"var": "x"}, 100]}
    assert type(parse("100")) is int


def test_parse_rejects_nan_and_invalid_json_with_a_rule_error():
    with pytest.raises(RuleError, match="NaN"):
        parse('{"+": [NaN, 1]}')
    with pytest.raises(RuleError, match="不是合法的 JSON"):
        parse('{"+": [1, ')


def test_normalize_turns_floats_into_the_decimals_they_print_as():
    assert normalize({"*": [0.1, 3, {"var": ["x", 2.5]}]}) == {
        "*": [Decimal("0.1"), 3, {"var": ["x", Decimal("2.5")]}]
    }


def test_float_literals_in_an_unnormalized_rule_still_evaluate_as_decimals():
    assert apply({"*": [0.1, 3]}) == Decimal("0.3")
    assert apply({"if": [True, 0.1, 0]}) == Decimal("0.1")


def test_no_float_appears_in_a_whole_data_result():
    result = apply({"var": ""}, {"a": 0.5, "b": [0.25]})
    assert result == {"a": Decimal("0.5"), "b": [Decimal("0.25")]}


# ---- errors and helpers ------------------------------------------------------------------------------


def test_unknown_operator_is_a_rule_error_naming_it():
    with pytest.raises(RuleError, match="不支持的运算符：foo"):
        apply({"foo": [1]})


def test_unsupported_jsonlogic_operators_are_rule_errors():
    with pytest.raises(RuleError, match="不支持的运算符：merge"):
        apply({"merge": [[1], [2]]})


def test_wrong_number_of_arguments_is_a_rule_error():
    with pytest.raises(RuleError, match="运算符 > 的参数个数应为 2，实际 1 个"):
        apply({">": [1]})


def test_an_object_with_two_operators_is_a_rule_error():
    with pytest.raises(RuleError, match="只能有一个运算符"):
        apply({"==": [1, 1], "!=": [1, 2]})


def test_variables_used_lists_var_missing_and_missing_some_names():
    rule = {
        "and": [
            {">=": [{"var": "revenue"}, 100]},
            {"!": {"missing": ["prev.revenue"]}},
            {"!": {"missing_some": [1, ["a", "b"]]}},
            {"==": [{"var": ["credit", "C"]}, "A"]},
        ]
    }
    assert variables_used(rule) == {"revenue", "prev.revenue", "a", "b", "credit"}


def test_operators_used_lists_every_operator():
    rule = {"and": [{">=": [{"var": "x"}, 1]}, {"!": {"in": ["a", {"var": "y"}]}}]}
    assert operators_used(rule) == {"and", ">=", "var", "!", "in"}
