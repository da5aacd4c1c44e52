"""The rules engine against an independent JSON Logic implementation, and Kleene soundness.

The oracle is panzi-json-logic, a port of jsonlogic.js that shares no code with ``subsidies.rules``.
The engine's documented departures from jsonlogic.com (README, 规则引擎的 JSON Logic 方言) are applied to
the oracle explicitly, each in one small function below; everything else must agree. The generators aim
at the boundaries: thresholds equal to a fact, one fen either side, large magnitudes, mixed types.
"""

from decimal import ROUND_DOWN, Context, Decimal, localcontext

import json_logic
import json_logic.apply as json_logic_apply
import json_logic.builtins as json_logic_builtins
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from json_logic.builtins import BUILTINS

from subsidies.rules import VariableSpec, apply, compile_rule, explain
from subsidies.rules.logic import truth

# ---- the oracle: jsonlogic.js semantics with the documented departures, written out here ---------------

EXACT = Context(prec=2000)
FEN = Decimal("0.01")


def _numbers(*values):
    return [Decimal(value) for value in values]


def _unknown(*values) -> bool:
    return any(value is None for value in values)


def exact_sum(_data, *values):
    """Departure: numbers are exact decimals (jsonlogic.js adds doubles)."""
    if _unknown(*values):
        return None
    with localcontext(EXACT):
        return sum(_numbers(*values), Decimal(0))


def exact_difference(_data, *values):
    if _unknown(*values):
        return None
    with localcontext(EXACT):
        numbers = _numbers(*values)
        return -numbers[0] if len(numbers) == 1 else numbers[0] - numbers[1]


def exact_product(_data, *values):
    if _unknown(*values):
        return None
    result = Decimal(1)
    with localcontext(EXACT):
        for number in _numbers(*values):
            result *= number
    return result


def cut_quotient(_data, a, b):
    """Departures: the quotient is cut after 20 places towards zero; dividing by zero is unknown."""
    if _unknown(a, b) or Decimal(b) == 0:
        return None
    with localcontext(EXACT):
        return (Decimal(a) / Decimal(b)).quantize(Decimal(10) ** -20, rounding=ROUND_DOWN)


def exact_remainder(_data, a, b):
    if _unknown(a, b) or Decimal(b) == 0:
        return None
    with localcontext(EXACT):
        return Decimal(a) % Decimal(b)  # sign of the dividend, as JavaScript's %


def exact_min(_data, *values):
    return None if _unknown(*values) else min(_numbers(*values))


def exact_max(_data, *values):
    return None if _unknown(*values) else max(_numbers(*values))


def _kind(value) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float | Decimal):
        return "number"
    return type(value).__name__


def strict_equal(_data, a, b):
    """Departure: == does not coerce; values of different types are unequal (jsonlogic.js: 1 == "1")."""
    if _unknown(a, b):
        return None
    return _kind(a) == _kind(b) and a == b


def strict_unequal(data, a, b):
    equal = strict_equal(data, a, b)
    return None if equal is None else not equal


def jsonlogic_js_var(data, key=None, default=None):
    """``var`` as jsonlogic.js reads it: the default stands in for an absent key only; a key that holds
    null gives null. (panzi-json-logic gives the default for a null too, so the rule is written out here,
    for the plain and dotted names the generators use.)"""
    if key is None or key == "":
        return data
    current = data
    for part in str(key).split("."):
        if current is None or not isinstance(current, dict) or part not in current:
            return default
        current = current[part]
    return current


def var_default_for_null_too(data, key=None, default=None):
    """Departure: the default stands in for a null fact as well as an absent one (README: ``var`` with a
    default). In the facts relation a figure not reported is null, so "absent" is null there."""
    value = jsonlogic_js_var(data, key)
    return default if value is None else value


# panzi-json-logic calls an operation with the data first, then the evaluated arguments.
ORACLE = {
    **BUILTINS,
    "+": exact_sum,
    "-": exact_difference,
    "*": exact_product,
    "/": cut_quotient,
    "%": exact_remainder,
    "min": exact_min,
    "max": exact_max,
    "==": strict_equal,
    "===": strict_equal,
    "!=": strict_unequal,
    "!==": strict_unequal,
    "var": var_default_for_null_too,
}


def oracle(rule, data):
    return json_logic.jsonLogic(rule, data, ORACLE)


def _decimal_to_bool(original):
    def to_bool(value=None):
        return value != 0 if isinstance(value, Decimal) else original(value)

    return to_bool


def _decimal_not(original):
    def not_(value=None):
        return value == 0 if isinstance(value, Decimal) else original(value)

    return not_


@pytest.fixture(autouse=True, scope="module")
def _oracle_reads_decimals():
    """The oracle's JSON numbers are ints and floats; ours are exact Decimals, and it is told they are
    numbers too (its NUMERIC types, its truthiness). Nothing else of it changes."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(json_logic_builtins, "NUMERIC", (int, float, Decimal))
        patch.setattr(json_logic_builtins, "to_bool", _decimal_to_bool(json_logic_builtins.to_bool))
        patch.setattr(json_logic_builtins, "not_", _decimal_not(json_logic_builtins.not_))
        patch.setattr(json_logic_apply, "to_bool", _decimal_to_bool(json_logic_apply.to_bool))
        patch.setattr(json_logic_apply, "not_", _decimal_not(json_logic_apply.not_))
        yield


def js_truthy(value) -> bool:
    """JavaScript truthiness, as jsonlogic.js tests conditions."""
    if value is None or value is False:
        return False
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return value != 0
    if isinstance(value, str | list):
        return len(value) > 0
    return True


# ---- facts and rules, aimed at the boundaries ----------------------------------------------------------

NUMBER_FACTS = ["revenue", "rd_expense", "employees"]
CODES = ["high_tech", "srdi", "little_giant"]
WORDS = ["C", "I", "制造业", ""]
VARIABLES = {
    "revenue": VariableSpec("revenue", "营业收入", "number", "万元"),
    "rd_expense": VariableSpec("rd_expense", "研发费用", "number", "万元"),
    "employees": VariableSpec("employees", "从业人数", "number", "人"),
    "industry": VariableSpec("industry", "行业门类", "string"),
    "high_tech": VariableSpec("high_tech", "高新技术企业", "boolean"),
    "qualifications": VariableSpec("qualifications", "所获资质", "list"),
}

money = st.one_of(
    st.decimals(min_value=0, max_value=100_000, places=2, allow_nan=False, allow_infinity=False),
    st.sampled_from([Decimal(0), Decimal("0.01"), Decimal("99.99"), Decimal("100.00"), Decimal("100.01")]),
    st.integers(0, 12).map(lambda exponent: Decimal(10) ** exponent),  # large magnitudes
    st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False, allow_infinity=False),
)
OFFSETS = [Decimal(0), Decimal(0), FEN, -FEN, Decimal(1), Decimal(-1)]


def fact_values(name: str):
    if name == "employees":
        return st.integers(0, 10_000)
    if name in NUMBER_FACTS:
        return money
    if name == "industry":
        return st.sampled_from(WORDS)
    if name == "high_tech":
        return st.booleans()
    return st.lists(st.sampled_from(CODES), unique=True, max_size=3)


FACT_NAMES = [*NUMBER_FACTS, "industry", "high_tech", "qualifications"]
complete_facts = st.fixed_dictionaries({name: fact_values(name) for name in FACT_NAMES})
partial_facts = st.fixed_dictionaries(
    {name: st.none() | fact_values(name) for name in FACT_NAMES if name != "qualifications"}
    | {"qualifications": fact_values("qualifications")}
)


TIE = "tie"


def _condition_strategy(*, defaults: bool, missing: bool, defaulted_only: bool = False):
    """Well-formed conditions; ``{"tie": [fact, offset]}`` stands for a fact's own value, offset by one fen
    or one unit (or not at all), and is filled in once the facts are drawn (``with_ties``).

    ``defaulted_only``: every fact is read through a ``var`` with a default, and only numbers are compared,
    so the outcome is known whichever facts are null or absent.
    """
    thresholds = st.tuples(st.sampled_from(NUMBER_FACTS), st.sampled_from(OFFSETS)).map(
        lambda p: {TIE: list(p)}
    )
    literals = thresholds | money | st.integers(-5, 5)
    defaulted = st.tuples(st.sampled_from(NUMBER_FACTS), literals).map(lambda p: {"var": list(p)})
    variables = st.sampled_from(NUMBER_FACTS).map(lambda name: {"var": name})
    if defaults:
        variables |= defaulted
    if defaulted_only:
        variables = defaulted

    def arithmetic(inner):
        pairs = st.tuples(inner, inner).map(list)
        few = st.lists(inner, min_size=1, max_size=3)
        return st.one_of(
            few.map(lambda a: {"+": a}),
            pairs.map(lambda a: {"-": a}),
            few.map(lambda a: {"*": a}),
            pairs.map(lambda a: {"/": a}),
            pairs.map(lambda a: {"%": a}),
            few.map(lambda a: {"min": a}),
            few.map(lambda a: {"max": a}),
        )

    numbers = st.recursive(literals | variables, arithmetic, max_leaves=4)
    ordering = st.sampled_from([">", ">=", "<", "<="])
    equality = st.sampled_from(["==", "!=", "===", "!=="])
    comparisons = [
        st.tuples(ordering, numbers, numbers).map(lambda p: {p[0]: [p[1], p[2]]}),
        st.tuples(st.sampled_from(["<", "<="]), numbers, numbers, numbers).map(lambda p: {p[0]: list(p[1:])}),
        st.tuples(equality, numbers, numbers).map(lambda p: {p[0]: [p[1], p[2]]}),
    ]
    leaves = st.one_of(
        *comparisons,
        # Mixed types (validation refuses them where it can see them; an if's branches can hide them):
        # equal only under jsonlogic.js's coercion.
        st.tuples(st.sampled_from(["==", "!="]), numbers, st.sampled_from(["100", "0", "abc", "100.00"])).map(
            lambda p: {p[0]: [{"if": [{"var": "high_tech"}, p[2], p[1]]}, p[1]]}
        ),
        st.tuples(st.sampled_from(["==", "!="]), st.sampled_from(WORDS)).map(
            lambda p: {p[0]: [{"var": "industry"}, p[1]]}
        ),
        st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(
            lambda w: {"in": [{"var": "industry"}, w]}
        ),
        st.sampled_from(CODES).map(lambda code: {"in": [code, {"var": "qualifications"}]}),
        st.just({"var": "high_tech"}),
        numbers.map(lambda n: {"!!": [n]}),
        *(
            [st.lists(st.sampled_from(FACT_NAMES[:-1]), min_size=1, max_size=2).map(lambda n: {"missing": n})]
            if missing
            else []
        ),
    )
    if defaulted_only:
        leaves = st.one_of(*comparisons, numbers.map(lambda n: {"!!": [n]}))

    def logic(inner):
        few = st.lists(inner, min_size=1, max_size=3)
        return st.one_of(
            few.map(lambda a: {"and": a}),
            few.map(lambda a: {"or": a}),
            inner.map(lambda a: {"!": a}),
            inner.map(lambda a: {"!!": [a]}),
            st.tuples(inner, inner, inner).map(lambda a: {"if": list(a)}),
            st.tuples(inner, inner).map(lambda a: {"if": list(a)}),  # no else
            st.lists(inner, min_size=2, max_size=5).map(lambda a: {"?:": a}),
        )

    return st.recursive(leaves, logic, max_leaves=6)


conditions = _condition_strategy(defaults=True, missing=True)
monotone_conditions = _condition_strategy(defaults=False, missing=False)


def with_ties(rule, facts: dict):
    """The rule with each tie placeholder replaced by its fact's value (100 when unknown) plus offset."""
    if isinstance(rule, list):
        return [with_ties(item, facts) for item in rule]
    if isinstance(rule, dict):
        if TIE in rule:
            name, offset = rule[TIE]
            value = facts.get(name)
            return (Decimal(100) if value is None else Decimal(value)) + offset
        return {key: with_ties(value, facts) for key, value in rule.items()}
    return rule


complete_cases = st.tuples(conditions, complete_facts).map(lambda p: (with_ties(p[0], p[1]), p[1]))


# ---- the properties ----------------------------------------------------------------------------------


@settings(max_examples=400)
@given(case=complete_cases)
def test_the_engine_decides_as_an_independent_json_logic_implementation_with_the_documented_departures(case):
    rule, facts = case
    ours = apply(rule, facts)
    if truth(ours) is None:
        # Every fact is known: only a quotient or remainder by zero may leave the outcome unknown.
        assert _divides(rule)
        return
    assert truth(ours) is js_truthy(oracle(rule, facts))


def _divides(rule) -> bool:
    if isinstance(rule, list):
        return any(_divides(item) for item in rule)
    if isinstance(rule, dict):
        return any(op in ("/", "%") or _divides(args) for op, args in rule.items())
    return False


@settings(max_examples=150)
@given(case=complete_cases)
def test_a_compiled_rule_and_the_explanation_decide_as_the_oracle_with_exact_types(case):
    rule, facts = case
    ours = compile_rule(rule)(facts)
    applied = apply(rule, facts)
    assert type(ours) is type(applied)
    assert ours == applied
    if isinstance(ours, bool | None):
        outcome = {True: "eligible", False: "ineligible", None: "undetermined"}[truth(ours)]
        assert explain(rule, facts, VARIABLES).outcome == outcome
    if truth(ours) is not None:
        assert truth(ours) is js_truthy(oracle(rule, facts))


number_expressions = st.tuples(
    st.sampled_from(["+", "-", "*", "/", "%", "min", "max"]),
    st.sampled_from(["+", "-", "*", "/", "%", "min", "max"]),
    *[
        st.sampled_from(NUMBER_FACTS).map(lambda name: {"var": name})
        | st.tuples(st.sampled_from(NUMBER_FACTS), st.sampled_from(OFFSETS)).map(lambda p: {TIE: list(p)})
        | money
        | st.sampled_from([Decimal("0.1"), Decimal("0.2"), Decimal(3)])
    ]
    * 3,
).map(lambda p: {p[0]: [{p[1]: [p[2], p[3]]}, p[4]]})
number_cases = st.tuples(number_expressions, complete_facts).map(lambda p: (with_ties(p[0], p[1]), p[1]))


@settings(max_examples=200)
@given(case=number_cases)
def test_arithmetic_gives_the_exact_decimal_the_oracle_gives(case):
    rule, facts = case
    ours = apply(rule, facts)
    theirs = oracle(rule, facts)
    assert (ours is None) is (theirs is None)
    if ours is not None:
        assert isinstance(ours, Decimal)
        assert ours == theirs


@st.composite
def filled_in(draw):
    partial = draw(partial_facts)
    rule = with_ties(draw(monotone_conditions), partial)
    full = {
        name: value if value is not None else draw(fact_values(name), label=name)
        for name, value in partial.items()
    }
    return rule, partial, full


@settings(max_examples=300)
@given(case=filled_in())
def test_a_decided_outcome_never_changes_when_a_missing_fact_is_filled_in(case):
    # Kleene soundness. `missing` and `var` defaults ask about the data itself, so they are left out.
    rule, partial, full = case
    before = truth(apply(rule, partial))
    assume(before is not None)
    assert truth(apply(rule, full)) is before


# ---- the departure of var defaults, filtered here and nowhere else ---------------------------------------

defaulted_conditions = _condition_strategy(defaults=True, missing=False, defaulted_only=True)


@st.composite
def null_or_absent_facts(draw):
    """Number facts present, null, or absent (the key left out), as a facts row or a typed-in profile."""
    facts = {}
    for name in NUMBER_FACTS:
        state = draw(st.sampled_from(["present", "null", "absent"]), label=name)
        if state != "absent":
            facts[name] = draw(fact_values(name)) if state == "present" else None
    return facts


defaulted_cases = st.tuples(defaulted_conditions, null_or_absent_facts()).map(
    lambda p: (with_ties(p[0], p[1]), p[1])
)


@settings(max_examples=300)
@given(case=defaulted_cases)
def test_a_var_default_stands_in_for_a_null_fact_as_for_an_absent_one_and_otherwise_as_the_oracle(case):
    # Every fact is read with a default: the outcome is known unless a quotient or remainder is by zero.
    # The oracle's var is jsonlogic.js's with the one documented departure (var_default_for_null_too).
    rule, facts = case
    ours = apply(rule, facts)
    if truth(ours) is None:
        assert _divides(rule)
        return
    assert truth(ours) is js_truthy(oracle(rule, facts))
    assert compile_rule(rule)(facts) == ours


def test_the_departure_of_var_defaults_is_only_a_null_fact():
    # jsonlogic.js: the default stands in for an absent key, and a key holding null gives null.
    as_js = {**ORACLE, "var": jsonlogic_js_var}
    rule = {"var": ["rd_expense", 0]}
    assert json_logic.jsonLogic(rule, {}, as_js) == 0
    assert json_logic.jsonLogic(rule, {"rd_expense": None}, as_js) is None
    assert json_logic.jsonLogic(rule, {"rd_expense": Decimal("3.5")}, as_js) == Decimal("3.5")
    # Here a null fact takes the default too; present and absent facts read as jsonlogic.js reads them.
    assert apply(rule, {}) == 0
    assert apply(rule, {"rd_expense": None}) == 0
    assert apply(rule, {"rd_expense": Decimal("3.5")}) == Decimal("3.5")
    assert oracle(rule, {"rd_expense": None}) == 0
