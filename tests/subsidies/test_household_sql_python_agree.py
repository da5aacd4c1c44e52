"""One household rule, two evaluators: the database and Python must agree on purchases as on enterprises.

Hypothesis generates well-typed rules over the household catalogue (dates, money, areas, the new-build
flag, the buyers' counts, the 主购房人's age) and purchases with facts present or missing (a deed tax not
yet paid, a birth date unknown), read at reference dates around birthdays, each example in a rolled-back
savepoint; on whichever database the suite uses.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from portal.residents.models import HousePurchase, Person, PurchaseBuyer, make_id_number
from subsidies import rules
from subsidies.household_variables import facts_for, variable_specs
from subsidies.matching import sql_evaluate
from subsidies.models import Beneficiary
from subsidies.rules.logic import truth
from subsidies.schemes import scheme_validate
from subsidies.variables import Context

pytestmark = pytest.mark.django_db

CONTEXT = Context(2023, dt.date(2023, 12, 31))
NUMBER_VARS = ["floor_area", "price", "deed_tax", "buyer_count", "other_purchases", "main_buyer_age"]
DATE_VARS = ["contract_date", "deed_tax_paid_on"]
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

number_literals = st.one_of(
    st.integers(0, 3),
    st.integers(-1000, 2_000_000),
    st.decimals(min_value=0, max_value=50_000, places=2, allow_nan=False, allow_infinity=False),
    st.sampled_from([Decimal("0.5"), Decimal("0.015"), Decimal("90"), Decimal("144.00")]),
)
number_vars = st.sampled_from(NUMBER_VARS).map(lambda name: {"var": name})
date_literals = st.dates(dt.date(2022, 12, 1), dt.date(2023, 9, 30)).map(dt.date.isoformat)
date_vars = st.sampled_from(DATE_VARS).map(lambda name: {"var": name})
new_build = st.just({"var": "is_new_build"})


def _number_operations(inner):
    pairs = st.tuples(inner, inner).map(list)
    return st.one_of(
        pairs.map(lambda args: {"+": args}),
        pairs.map(lambda args: {"-": args}),
        pairs.map(lambda args: {"*": args}),
        pairs.map(lambda args: {"/": args}),
        pairs.map(lambda args: {"min": args}),
        pairs.map(lambda args: {"max": args}),
        st.tuples(new_build, inner, inner).map(lambda args: {"if": list(args)}),
    )


numbers = st.recursive(number_literals | number_vars, _number_operations, max_leaves=4)
comparisons = st.one_of(
    st.tuples(st.sampled_from(["==", "!=", ">", ">=", "<", "<="]), numbers, numbers).map(
        lambda p: {p[0]: [p[1], p[2]]}
    ),
    st.tuples(st.sampled_from(["==", "!=", ">", ">=", "<", "<="]), date_vars, date_literals | date_vars).map(
        lambda p: {p[0]: [p[1], p[2]]}
    ),
    st.tuples(date_literals, date_vars, date_literals).map(lambda p: {"<=": list(p)}),
    st.tuples(st.sampled_from(["==", "!="]), new_build, st.booleans()).map(lambda p: {p[0]: [p[1], p[2]]}),
    new_build,
    st.lists(st.sampled_from(NUMBER_VARS + DATE_VARS), max_size=2).map(lambda names: {"missing": names}),
)


def _logical_operations(inner):
    few = st.lists(inner, min_size=1, max_size=3)
    return st.one_of(
        few.map(lambda args: {"and": args}),
        few.map(lambda args: {"or": args}),
        inner.map(lambda arg: {"!": arg}),
        st.tuples(inner, inner, inner).map(lambda args: {"if": list(args)}),
    )


conditions = st.recursive(comparisons | st.booleans(), _logical_operations, max_leaves=5)

money = st.decimals(min_value=0, max_value=3_000_000, places=2, allow_nan=False, allow_infinity=False)
purchases = st.lists(
    st.fixed_dictionaries(
        {
            "floor_area": st.decimals(min_value=30, max_value=300, places=2, allow_nan=False),
            "price": money,
            "is_new_build": st.booleans(),
            "contract_date": st.dates(dt.date(2022, 12, 1), dt.date(2023, 8, 31)),
            "deed_tax": st.none() | st.decimals(min_value=0, max_value=60_000, places=2, allow_nan=False),
            "paid_after": st.none() | st.integers(0, 90),
            "buyers": st.lists(st.integers(0, 4), min_size=1, max_size=3, unique=True),
        }
    ),
    min_size=1,
    max_size=3,
)
# The five people buyers are drawn from: born any day, on a birthday's edge (29 February, 31 December), after
# the reference date (a wrong record), or with no birth date on record (unknown).
births = st.lists(
    st.none()
    | st.dates(dt.date(1950, 1, 1), dt.date(2005, 12, 31))
    | st.sampled_from(
        [
            dt.date(1990, 12, 31),
            dt.date(1991, 1, 1),
            dt.date(1988, 2, 29),
            dt.date(1993, 6, 30),
            dt.date(2024, 3, 1),
        ]
    ),
    min_size=5,
    max_size=5,
)
references = st.sampled_from([dt.date(2023, 12, 31), dt.date(2023, 6, 30), dt.date(2024, 2, 29)]).map(
    lambda day: Context(2023, day)
)


def _create(profiles, births=None) -> list[HousePurchase]:
    people = {}
    created = []
    for serial, profile in enumerate(profiles):
        profile = dict(profile)
        buyers, paid_after = profile.pop("buyers"), profile.pop("paid_after")
        paid_on = None
        if paid_after is not None and profile["deed_tax"] is not None:
            paid_on = profile["contract_date"] + dt.timedelta(days=paid_after)
        purchase = HousePurchase.objects.create(
            contract_no=f"HYP{serial}", address="郑州高新区", deed_tax_paid_on=paid_on, **profile
        )
        for position, index in enumerate(buyers, start=1):
            if index not in people:
                born = births[index] if births else None
                person = Person(name=f"王{index}明")
                person.set_id_number(make_id_number("410105", born or dt.date(1980, 1, 1 + index), index))
                if births and born is None:
                    person.birth_date = None  # no birth date on record: the age is unknown
                person.save()
                people[index] = person
            PurchaseBuyer.objects.create(purchase=purchase, person=people[index], position=position)
        created.append(purchase)
    return created


def _check(rule, profiles, *, amount: bool, births=None, context=CONTEXT):
    with transaction.atomic():
        created = _create(profiles, births)
        ids = [purchase.pk for purchase in created]
        sql = sql_evaluate(
            rule=rule, context=context, enterprise_ids=ids, amount=amount, beneficiary=Beneficiary.HOUSEHOLDS
        )
        for purchase in created:
            facts = facts_for(purchase=purchase, facts_year=2023, reference_date=context.reference_date)
            python = rules.apply(rule, facts)
            if not amount:
                python = truth(python)
                outcome = rules.explain(rule, facts, variable_specs(context=context)).outcome
                assert outcome == {True: "eligible", False: "ineligible", None: "undetermined"}[python]
            assert sql[purchase.pk] == python, (rule, facts, sql[purchase.pk], python)
        transaction.set_rollback(True)


@SETTINGS
@given(rule=conditions, profiles=purchases, people=births, context=references)
def test_sql_and_python_give_the_same_outcome_for_generated_household_conditions(
    rule, profiles, people, context
):
    try:
        rules.validate(rule, variable_specs())
    except rules.RuleError:
        assume(False)
    scheme_validate(eligibility=rule, amount_rule=0, beneficiary=Beneficiary.HOUSEHOLDS)
    _check(rule, profiles, amount=False, births=people, context=context)


@SETTINGS
@given(rule=numbers, profiles=purchases, people=births, context=references)
def test_sql_and_python_compute_the_same_household_amount(rule, profiles, people, context):
    try:
        rules.validate_amount(rule, variable_specs())
    except rules.RuleError:
        assume(False)
    _check(rule, profiles, amount=True, births=people, context=context)


def test_a_missing_fact_makes_the_outcome_unknown_in_both_evaluators_not_false():
    rule = {"and": [{"var": "is_new_build"}, {"<=": [{"var": "deed_tax_paid_on"}, "2023-12-31"]}]}
    profile = {
        "floor_area": Decimal("98.00"),
        "price": Decimal("1200000.00"),
        "is_new_build": True,
        "contract_date": dt.date(2023, 3, 1),
        "deed_tax": Decimal("12000.00"),
        "paid_after": None,
        "buyers": [0],
    }
    resale = {**profile, "is_new_build": False, "buyers": [1]}
    with transaction.atomic():
        unpaid, sold = _create([profile, resale])
        sql = sql_evaluate(
            rule=rule,
            context=CONTEXT,
            enterprise_ids=[unpaid.pk, sold.pk],
            beneficiary=Beneficiary.HOUSEHOLDS,
        )
        # Unknown AND false is false (Kleene), in SQL as in Python.
        assert sql == {unpaid.pk: None, sold.pk: False}
        transaction.set_rollback(True)
