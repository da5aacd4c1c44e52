from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from subsidies.rules import (
    VariableSpec,
    almost_eligible,
    apply,
    compile_rule,
    explain,
    validate,
    validate_amount,
)
from subsidies.rules.logic import truth

NUMBER_NAMES = ["revenue", "rd_expense", "prev.revenue", "group.size"]
VARIABLES = {
    **{name: VariableSpec(name, name, "number", "万元") for name in NUMBER_NAMES},
    "high_tech": VariableSpec("high_tech", "高新技术企业", "boolean"),
}
OUTCOMES = {True: "eligible", False: "ineligible", None: "undetermined"}

# Small numbers and few leaves keep every product inside Decimal's 28 digits.
numbers = st.one_of(
    st.integers(-1000, 1000),
    st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False, allow_infinity=False),
)
maybe_numbers = st.none() | numbers
number_vars = st.sampled_from(NUMBER_NAMES).map(lambda name: {"var": name})
defaulted_vars = st.tuples(st.sampled_from(NUMBER_NAMES), numbers).map(lambda pair: {"var": list(pair)})
simple_comparisons = st.tuples(st.sampled_from([">", ">=", "<", "<=", "=="]), number_vars, numbers).map(
    lambda parts: {parts[0]: [parts[1], parts[2]]}
)


def _numeric_operations(inner):
    pairs = st.tuples(inner, inner).map(list)
    few = st.lists(inner, min_size=1, max_size=3)
    return st.one_of(
        few.map(lambda args: {"+": args}),
        pairs.map(lambda args: {"-": args}),
        inner.map(lambda arg: {"-": [arg]}),
        few.map(lambda args: {"*": args}),
        pairs.map(lambda args: {"/": args}),
        pairs.map(lambda args: {"%": args}),
        few.map(lambda args: {"min": args}),
        few.map(lambda args: {"max": args}),
        st.tuples(simple_comparisons, inner, inner).map(lambda args: {"if": list(args)}),
    )


expressions = st.recursive(numbers | number_vars | defaulted_vars, _numeric_operations, max_leaves=6)

comparisons = st.tuples(
    st.sampled_from(["==", "!=", "===", "!==", ">", ">=", "<", "<="]), expressions, expressions
).map(lambda parts: {parts[0]: [parts[1], parts[2]]})
betweens = st.tuples(st.sampled_from(["<", "<="]), expressions, expressions, expressions).map(
    lambda parts: {parts[0]: list(parts[1:])}
)
memberships = st.tuples(expressions, st.lists(numbers, min_size=1, max_size=3)).map(
    lambda parts: {"in": list(parts)}
)
truthy = st.just({"var": "high_tech"}) | expressions.map(lambda arg: {"!!": arg})


def _logical_operations(inner):
    few = st.lists(inner, min_size=1, max_size=3)
    return st.one_of(
        few.map(lambda args: {"and": args}),
        few.map(lambda args: {"or": args}),
        inner.map(lambda arg: {"!": arg}),
        inner.map(lambda arg: {"!!": [arg]}),
        st.tuples(inner, inner, inner).map(lambda args: {"if": list(args)}),
        st.lists(inner, min_size=2, max_size=5).map(lambda args: {"?:": args}),
    )


conditions = st.recursive(comparisons | betweens | memberships | truthy, _logical_operations, max_leaves=8)

facts = st.fixed_dictionaries(
    {},
    optional={
        "revenue": maybe_numbers,
        "rd_expense": maybe_numbers,
        "prev.revenue": maybe_numbers,
        "group": st.fixed_dictionaries({}, optional={"size": maybe_numbers}),
        "high_tech": st.none() | st.booleans(),
    },
)


@settings(max_examples=400, deadline=None)
@given(rule=conditions, data=facts)
def test_a_well_formed_condition_evaluates_to_true_false_or_unknown_without_raising(rule, data):
    assert apply(rule, data) in (True, False, None)


@settings(max_examples=400, deadline=None)
@given(rule=expressions, data=facts)
def test_a_well_formed_expression_evaluates_to_a_number_or_unknown_and_never_a_float(rule, data):
    result = apply(rule, data)
    assert result is None or isinstance(result, int | Decimal)
    assert not isinstance(result, bool | float)


@settings(max_examples=400, deadline=None)
@given(rule=conditions, data=facts)
def test_the_explained_outcome_matches_apply(rule, data):
    assert explain(rule, data, VARIABLES).outcome == OUTCOMES[truth(apply(rule, data))]


@settings(max_examples=200, deadline=None)
@given(rule=expressions, data=facts)
def test_the_explained_outcome_of_an_expression_follows_its_truthiness(rule, data):
    assert explain(rule, data, VARIABLES).outcome == OUTCOMES[truth(apply(rule, data))]


@settings(max_examples=200, deadline=None)
@given(rule=conditions, data=facts)
def test_every_traced_clause_has_a_status_and_a_sentence(rule, data):
    for clause in explain(rule, data, VARIABLES).trace:
        assert clause.status in ("pass", "fail", "unknown")
        assert clause.text


@settings(max_examples=200, deadline=None)
@given(rule=conditions, data=facts)
def test_generated_conditions_pass_validation(rule, data):
    assert validate(rule, VARIABLES) is None


@settings(max_examples=200, deadline=None)
@given(rule=expressions)
def test_generated_expressions_pass_amount_validation(rule):
    assert validate_amount(rule, VARIABLES) is None


@settings(max_examples=200, deadline=None)
@given(rule=conditions, data=facts)
def test_almost_eligible_only_names_failed_clauses_of_a_rule_not_yet_eligible(rule, data):
    short = almost_eligible(rule, data, VARIABLES)
    if short is not None:
        assert explain(rule, data, VARIABLES).outcome != "eligible"
        assert short
        assert {clause.status for clause in short} == {"fail"}


@settings(max_examples=400, deadline=None)
@given(rule=conditions | expressions, data=facts)
def test_a_compiled_rule_gives_what_apply_gives_of_the_same_type(rule, data):
    assert exactly(compile_rule(rule)(data), apply(rule, data))


def exactly(a, b) -> bool:
    """Equal and of the same type all the way down: True is not 1, Decimal("1") is not 1."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(exactly(x, y) for x, y in zip(a, b, strict=True))
    return a == b
