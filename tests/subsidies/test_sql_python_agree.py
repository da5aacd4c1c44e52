"""One rule, two evaluators: the database (compiled SQL) and Python (``rules.apply``) must agree.

Hypothesis generates well-typed rules over the real variable catalogue and enterprises with real
registry rows (reports present or not, figures missing, qualifications held or lapsed); each example
runs inside a savepoint that is rolled back. Runs on whichever database the suite uses (SQLite by
default, PostgreSQL with DATABASE_URL).
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from portal.enterprises.models import AnnualReport, Enterprise, Qualification, make_uscc
from subsidies import rules
from subsidies.matching import sql_evaluate
from subsidies.rules.logic import truth
from subsidies.schemes import scheme_validate
from subsidies.variables import Context, facts_for, variable_specs

pytestmark = pytest.mark.django_db

CONTEXTS = [Context(2022, dt.date(2022, 12, 31)), Context(2022, dt.date(2023, 6, 30))]
NUMBER_VARS = [
    "revenue",
    "rd_expense",
    "employees",
    "tax_paid",
    "prev.revenue",
    "prev.rd_expense",
    "prev.employees",
    "prev.tax_paid",
    "registered_capital",
    "rd_ratio",
    "age_years",
    "qualification_year.high_tech",
    "qualification_year.srdi",
]
STRING_VARS = ["park", "industry_section", "industry_division", "credit_rating"]
BOOLEAN_VARS = ["is_above_scale", "blacklisted"]
WORDS = [
    "wutong",
    "fengyang",
    "other",
    "I",
    "C",
    "65",
    "39",
    "A",
    "B",
    "D",
    "",
    "high_tech",
    "srdi",
    "ab",
    "Ab",
]
CODES = ["high_tech", "srdi", "little_giant", "tech_sme", "gazelle", "unicorn", "nonsense"]
SETTINGS = settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# ---- rules -------------------------------------------------------------------------------------------

number_literals = st.one_of(
    st.integers(-1000, 100_000),
    st.decimals(min_value=-1000, max_value=100_000, places=2, allow_nan=False, allow_infinity=False),
    st.sampled_from([Decimal(0), Decimal("0.05"), Decimal("0.1"), Decimal("0.2"), Decimal("0.3"), 1, 3]),
)
number_vars = st.sampled_from(NUMBER_VARS).map(lambda name: {"var": name})
defaulted_numbers = st.tuples(st.sampled_from(NUMBER_VARS), number_literals).map(lambda p: {"var": list(p)})
string_literals = st.sampled_from(WORDS)
string_vars = st.sampled_from(STRING_VARS).map(lambda name: {"var": name})
defaulted_strings = st.tuples(st.sampled_from(STRING_VARS), string_literals).map(lambda p: {"var": list(p)})
boolean_vars = st.sampled_from(BOOLEAN_VARS).map(lambda name: {"var": name})

simple_conditions = st.one_of(
    st.tuples(st.sampled_from([">", ">=", "<", "<=", "==", "!="]), number_vars, number_literals).map(
        lambda p: {p[0]: [p[1], p[2]]}
    ),
    st.tuples(st.sampled_from(["==", "!="]), string_vars, string_literals).map(
        lambda p: {p[0]: [p[1], p[2]]}
    ),
    boolean_vars,
    st.sampled_from(CODES).map(lambda code: {"in": [code, {"var": "qualifications"}]}),
)


def _number_operations(inner):
    few = st.lists(inner, min_size=1, max_size=3)
    pairs = st.tuples(inner, inner).map(list)
    return st.one_of(
        few.map(lambda args: {"+": args}),
        pairs.map(lambda args: {"-": args}),
        inner.map(lambda arg: {"-": [arg]}),
        few.map(lambda args: {"*": args}),
        pairs.map(lambda args: {"/": args}),
        pairs.map(lambda args: {"%": args}),
        few.map(lambda args: {"min": args}),
        few.map(lambda args: {"max": args}),
        st.tuples(simple_conditions, inner, inner).map(lambda args: {"if": list(args)}),
    )


numbers = st.recursive(number_literals | number_vars | defaulted_numbers, _number_operations, max_leaves=5)


def _string_operations(inner):
    return st.one_of(
        st.lists(st.one_of(inner, boolean_vars, st.booleans()), min_size=1, max_size=3).map(
            lambda a: {"cat": a}
        ),
        st.tuples(simple_conditions, inner, inner).map(lambda args: {"if": list(args)}),
    )


strings = st.recursive(string_literals | string_vars | defaulted_strings, _string_operations, max_leaves=4)

comparisons = st.one_of(
    st.tuples(st.sampled_from(["==", "!=", "===", "!==", ">", ">=", "<", "<="]), numbers, numbers).map(
        lambda p: {p[0]: [p[1], p[2]]}
    ),
    st.tuples(st.sampled_from(["<", "<="]), numbers, numbers, numbers).map(lambda p: {p[0]: list(p[1:])}),
    st.tuples(st.sampled_from(["==", "!=", ">", ">=", "<", "<="]), strings, strings).map(
        lambda p: {p[0]: [p[1], p[2]]}
    ),
    st.tuples(st.sampled_from(["==", "!="]), boolean_vars, st.booleans() | boolean_vars).map(
        lambda p: {p[0]: [p[1], p[2]]}
    ),
)
memberships = st.one_of(
    st.tuples(numbers, st.lists(number_literals | number_vars, min_size=1, max_size=3)).map(
        lambda p: {"in": list(p)}
    ),
    st.tuples(strings, st.lists(string_literals | string_vars, min_size=1, max_size=3)).map(
        lambda p: {"in": list(p)}
    ),
    st.tuples(strings, strings).map(lambda p: {"in": list(p)}),
    st.tuples(st.sampled_from(CODES) | strings, st.just({"var": "qualifications"})).map(
        lambda p: {"in": list(p)}
    ),
)
truthy = st.one_of(
    boolean_vars,
    st.just({"!!": {"var": "qualifications"}}),
    numbers.map(lambda arg: {"!!": arg}),
    strings.map(lambda arg: {"!!": [arg]}),
    st.lists(st.sampled_from(NUMBER_VARS + STRING_VARS + ["qualifications"]), max_size=3).map(
        lambda names: {"missing": names}
    ),
    st.tuples(st.integers(0, 3), st.lists(st.sampled_from(NUMBER_VARS + STRING_VARS), max_size=3)).map(
        lambda p: {"missing_some": [p[0], p[1]]}
    ),
)


def _logical_operations(inner):
    few = st.lists(inner, min_size=1, max_size=3)
    return st.one_of(
        few.map(lambda args: {"and": args}),
        few.map(lambda args: {"or": args}),
        inner.map(lambda arg: {"!": arg}),
        inner.map(lambda arg: {"!!": [arg]}),
        st.tuples(inner, inner, inner).map(lambda args: {"if": list(args)}),
        # No else: false when every condition is false, unknown only when a condition is.
        st.tuples(inner, inner).map(lambda args: {"if": list(args)}),
        st.lists(inner, min_size=2, max_size=5).map(lambda args: {"?:": args}),
    )


conditions = st.recursive(
    comparisons | memberships | truthy | st.booleans(), _logical_operations, max_leaves=6
)

# ---- enterprises -------------------------------------------------------------------------------------

money = st.none() | st.decimals(
    min_value=0, max_value=10_000_000, places=2, allow_nan=False, allow_infinity=False
)
small_money = st.none() | st.sampled_from([Decimal(0), Decimal("100"), Decimal("0.05"), Decimal("1000.10")])
reports = st.none() | st.fixed_dictionaries(
    {
        "revenue": money | small_money,
        "rd_expense": money | small_money,
        "employees": st.none() | st.integers(0, 5000),
        "tax_paid": money,
    }
)
qualifications = st.lists(
    st.tuples(
        st.sampled_from(CODES[:-1]),
        st.integers(2016, 2024),
        st.none() | st.dates(dt.date(2020, 1, 1), dt.date(2025, 12, 31)),
    ),
    max_size=3,
    unique_by=lambda q: (q[0], q[1]),
)
profiles = st.fixed_dictionaries(
    {
        "park": st.sampled_from(["wutong", "fengyang", "shifo", "other"]),
        "industry_code": st.sampled_from(["I6510", "C3985", "M7320", "", "C"]),
        "registered_on": st.none() | st.dates(dt.date(1990, 1, 1), dt.date(2024, 12, 31)),
        "registered_capital": money,
        "is_above_scale": st.none() | st.booleans(),
        "credit_rating": st.sampled_from(["", "A", "B", "M", "C", "D"]),
        "blacklisted": st.booleans(),
        "reports": st.tuples(reports, reports),
        "qualifications": qualifications,
    }
)
enterprises = st.lists(profiles, min_size=1, max_size=3)


def _create(profile, serial):
    profile = dict(profile)
    current, previous = profile.pop("reports")
    held = profile.pop("qualifications")
    enterprise = Enterprise.objects.create(uscc=make_uscc(900000 + serial), name=f"企业{serial}", **profile)
    for year, figures in ((2022, current), (2021, previous)):
        if figures is not None:
            AnnualReport.objects.create(enterprise=enterprise, year=year, **figures)
    for code, year, valid_until in held:
        Qualification.objects.create(
            enterprise=enterprise, code=code, year_awarded=year, valid_until=valid_until
        )
    return Enterprise.objects.get(pk=enterprise.pk)


def _accepted(rule, *, amount=False):
    """Skip the rules validation refuses (they are never saved); the rest must evaluate alike."""
    try:
        (rules.validate_amount if amount else rules.validate)(rule, variable_specs())
    except rules.RuleError:
        assume(False)


def _check(rule, profiles, context, *, kind):
    with transaction.atomic():
        created = [_create(profile, serial) for serial, profile in enumerate(profiles)]
        ids = [enterprise.pk for enterprise in created]
        if kind == "condition":
            sql = sql_evaluate(rule=rule, context=context, enterprise_ids=ids)
        elif kind == "amount":
            sql = sql_evaluate(rule=rule, context=context, enterprise_ids=ids, amount=True)
        else:
            sql = sql_evaluate(rule=rule, context=context, enterprise_ids=ids, value=True)
        for enterprise in created:
            facts = facts_for(
                enterprise=enterprise, facts_year=context.facts_year, reference_date=context.reference_date
            )
            python = rules.apply(rule, facts)
            if kind == "condition":
                python = truth(python)
                assert (
                    rules.explain(rule, facts, variable_specs(context=context)).outcome
                    == {
                        True: "eligible",
                        False: "ineligible",
                        None: "undetermined",
                    }[python]
                )
            assert sql[enterprise.pk] == python, (rule, facts, sql[enterprise.pk], python)
            if kind == "amount" and python is not None:
                assert isinstance(sql[enterprise.pk], Decimal)
        transaction.set_rollback(True)


@SETTINGS
@given(rule=conditions, profiles=enterprises, context=st.sampled_from(CONTEXTS))
def test_sql_and_python_give_the_same_outcome_for_generated_conditions(rule, profiles, context):
    _accepted(rule)
    # Every rule the validator accepts (of those generated here) compiles: none is refused for SQL's sake.
    scheme_validate(eligibility=rule, amount_rule=0)
    _check(rule, profiles, context, kind="condition")


@SETTINGS
@given(rule=numbers, profiles=enterprises, context=st.sampled_from(CONTEXTS))
def test_sql_and_python_compute_the_same_amount_for_generated_expressions(rule, profiles, context):
    _accepted(rule, amount=True)
    if isinstance(rule, dict):  # a plain number is an amount as it stands (a negative one is refused)
        scheme_validate(eligibility=True, amount_rule=rule)
    _check(rule, profiles, context, kind="amount")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rule=strings, profiles=enterprises)
def test_sql_and_python_build_the_same_text(rule, profiles):
    _check(rule, profiles, CONTEXTS[0], kind="value")


@pytest.mark.postgres
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    factors=st.lists(
        st.decimals(min_value=-(10**9), max_value=10**9, places=4, allow_nan=False, allow_infinity=False),
        min_size=2,
        max_size=4,
    ),
    divisor=st.decimals(min_value=Decimal("0.0001"), max_value=10**6, places=4, allow_nan=False),
)
def test_postgresql_numeric_keeps_every_digit_python_keeps(factors, divisor):
    product = {"*": factors}
    rule = {"+": [{"/": [product, divisor]}, {"%": [product, divisor]}, {"min": factors}]}
    _check(rule, [{**_PLAIN, "reports": (None, None), "qualifications": []}], CONTEXTS[0], kind="amount")


_PLAIN = {
    "park": "wutong",
    "industry_code": "I6510",
    "registered_on": None,
    "registered_capital": None,
    "is_above_scale": None,
    "credit_rating": "",
    "blacklisted": False,
}
