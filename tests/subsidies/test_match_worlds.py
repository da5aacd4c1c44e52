"""Small random worlds through the real match, against the award rules restated plainly here.

Each example builds a few enterprises (facts on thresholds and one fen either side, figures missing,
some blacklisted), a few schemes (caps, exclusive groups with ties in amount, top-up schemes) and awards
already held (earlier periods, and this period), then runs the real match — the set-based chunk
statements, split into one to three chunks, or the Python re-match of a few enterprises — and compares
the new awards and the undetermined list with ``expected``, which shares no code with the engine:

- blacklisted: never paid, never listed;
- eligibility in Kleene logic: true pays, false does not, unknown is listed (undetermined);
- amount: the rule's amount, capped, rounded down to the fen, less (top-up schemes in a group) what the
  group paid the enterprise in earlier periods (confirmed or paid awards); unknown is listed;
- an amount of zero or less is not paid;
- in an exclusive group the highest amount wins, a tie goes to the smaller code (byte order); a live
  award already held in the group for the period blocks the group; a scheme never pays twice a period.

Runs on SQLite and, in the PostgreSQL pass, on PostgreSQL; each example is rolled back.
"""

import datetime as dt
import math
from contextlib import ExitStack
from decimal import ROUND_FLOOR, Decimal
from unittest import mock

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.enterprises.models import AnnualReport, Enterprise, make_uscc
from subsidies.matching import enterprise_rematch, match_run_execute
from subsidies.models import Award, AwardStatus, Scheme, SchemeMode, SchemeStatus, Undetermined
from subsidies.schemes import scheme_validate, storable
from tests.subsidies.factories import PolicyFactory

pytestmark = pytest.mark.django_db

FEN = Decimal("0.01")
PERIOD = "2023"

# ---- the world ---------------------------------------------------------------------------------------

# Thresholds the rules compare with, and facts on them or one fen (one person) either side.
THRESHOLDS = {
    "revenue": [Decimal("1000"), Decimal("350.5")],
    "rd_expense": [Decimal("100"), Decimal("350.5")],
    "employees": [50],
}


def _near(name: str):
    """A fact on a threshold, one fen (one person) either side, zero, or missing (one time in eight)."""
    step = 1 if name == "employees" else FEN
    near = [t + d for t in THRESHOLDS[name] for d in (-step, 0, step)]
    return st.sampled_from([*near, 0 if name == "employees" else Decimal(0), None])


def _one_in(n: int, rare, common):
    """``rare`` one time in n, else ``common``."""
    return st.integers(1, n).flatmap(lambda i: rare if i == 1 else common)


# Awards of closed schemes of earlier (and a later) period: what a top-up scheme's group paid before.
earlier_awards = st.lists(
    st.fixed_dictionaries(
        {
            "group": st.sampled_from(["g1", "g1", "g2", ""]),
            "period": st.sampled_from(["2021", "2022", "2024"]),
            "slot": st.integers(0, 1),
            "status": st.sampled_from(
                [
                    AwardStatus.PAID,
                    AwardStatus.PAID,
                    AwardStatus.CONFIRMED,
                    AwardStatus.CANDIDATE,
                    AwardStatus.REVOKED,
                ]
            ),
            "amount": st.sampled_from(
                [Decimal("1000"), Decimal("2500.50"), Decimal("4999.99"), Decimal("5000")]
            ),
        }
    ),
    max_size=3,
    unique_by=lambda a: (a["group"], a["period"], a["slot"]),
)
# One enterprise in six has no report for the year (every figure missing), one in four is blacklisted.
reports = _one_in(6, st.none(), st.fixed_dictionaries({name: _near(name) for name in THRESHOLDS}))
enterprises = st.lists(
    st.fixed_dictionaries(
        {
            "report": reports,
            "blacklisted": _one_in(4, st.just(True), st.just(False)),
            "earlier": earlier_awards,
        }
    ),
    min_size=2,
    max_size=5,
)

clauses = st.sampled_from(list(THRESHOLDS)).flatmap(
    lambda name: st.tuples(
        st.sampled_from([">", ">=", "<", "<=", "=="]), st.just(name), st.sampled_from(THRESHOLDS[name])
    ).map(lambda c: {c[0]: [{"var": c[1]}, c[2]]})
)
conditions = st.one_of(
    clauses,
    st.lists(clauses, min_size=2, max_size=2).map(lambda c: {"and": c}),
    st.lists(clauses, min_size=2, max_size=3).map(lambda c: {"or": c}),
    clauses.map(lambda c: {"!": c}),
)
# Fixed amounts that tie once rounded down (5000.005 pays 5000.00), and amounts from facts: a rate with
# sub-fen digits, and one that is zero or negative at the threshold.
amount_rules = st.one_of(
    st.sampled_from(
        [Decimal("5000"), Decimal("5000.005"), Decimal("4999.99"), Decimal("8000"), Decimal("1234.567")]
    ),
    st.tuples(st.sampled_from(["revenue", "rd_expense"]), st.sampled_from([Decimal("12.345"), 20])).map(
        lambda p: {"*": [{"var": p[0]}, p[1]]}
    ),
    st.just({"*": [{"-": [{"var": "rd_expense"}, 100]}, 20]}),
)
CAPS = [None, Decimal("0"), Decimal("3000"), Decimal("4999.99"), Decimal("5000"), Decimal("5000.01")]
# Codes whose byte order is not their case-blind order: "B1" < "a1" < "b-1" < "b_1".
CODES = ["a1", "a2", "B1", "b-1", "b_1", "z9"]
# Mostly grouped, so schemes contend: g1 three times as often as g2.
GROUPS = ["", "g1", "g1", "g1", "g2"]

# The schemes of a world share one or two conditions and a few amount rules, so that several of them
# pay the same enterprise, contend in a group and tie.
schemes = st.tuples(
    st.lists(conditions, min_size=1, max_size=2), st.lists(amount_rules, min_size=1, max_size=3)
).flatmap(
    lambda pools: st.lists(
        st.fixed_dictionaries(
            {
                "code": st.sampled_from(CODES),
                "eligibility": st.sampled_from(pools[0]),
                "amount_rule": st.sampled_from(pools[1]),
                "cap": st.sampled_from(CAPS),
                "group": st.sampled_from(GROUPS),
                "top_up": st.booleans(),
            }
        ),
        min_size=2,
        max_size=4,
        unique_by=lambda s: s["code"],
    )
)
# Live awards this period on the world's own schemes (from an earlier run).
held_awards = st.lists(
    st.fixed_dictionaries(
        {
            "enterprise": st.integers(0, 4),
            "scheme": st.integers(0, 3),
            "status": st.sampled_from([AwardStatus.CANDIDATE, AwardStatus.APPROVED, AwardStatus.PAID]),
        }
    ),
    max_size=2,
    unique_by=lambda a: (a["enterprise"], a["scheme"]),
)
worlds = st.fixed_dictionaries({"enterprises": enterprises, "schemes": schemes, "held": held_awards})


def _normalised(world: dict) -> dict:
    """Indexes folded into the drawn lists' lengths."""
    count, scheme_count = len(world["enterprises"]), len(world["schemes"])
    held = {(a["enterprise"] % count, a["scheme"] % scheme_count): a for a in world["held"]}
    return {
        **world,
        "held": [{**a, "enterprise": key[0], "scheme": key[1]} for key, a in sorted(held.items())],
    }


# ---- the award rules, restated -----------------------------------------------------------------------


def _truth(rule, facts):
    """Kleene logic over the generated shapes: None is unknown."""
    ((op, args),) = rule.items()
    if op == "and":
        values = [_truth(arg, facts) for arg in args]
        return False if False in values else (None if None in values else True)
    if op == "or":
        values = [_truth(arg, facts) for arg in args]
        return True if True in values else (None if None in values else False)
    if op == "!":
        value = _truth(args, facts)
        return None if value is None else not value
    value, threshold = facts[args[0]["var"]], args[1]
    if value is None:
        return None
    return {
        ">": value > threshold,
        ">=": value >= threshold,
        "<": value < threshold,
        "<=": value <= threshold,
        "==": value == threshold,
    }[op]


def _raw_amount(rule, facts):
    if isinstance(rule, Decimal):
        return rule
    ((_, (left, rate)),) = rule.items()
    if "var" in left:
        value = facts[left["var"]]
        return None if value is None else value * rate
    value = facts[left["-"][0]["var"]]
    return None if value is None else (value - left["-"][1]) * rate


def expected(world: dict) -> tuple[set, set]:
    """(new awards as (code, enterprise index, amount), undetermined as (code, enterprise index))."""
    awards, undetermined = set(), set()
    for index, enterprise in enumerate(world["enterprises"]):
        if enterprise["blacklisted"]:
            continue
        report = enterprise["report"] or {}
        facts = {name: report.get(name) for name in THRESHOLDS}
        due = {}
        for scheme in world["schemes"]:
            eligible = _truth(scheme["eligibility"], facts)
            if eligible is None:
                undetermined.add((scheme["code"], index))
                continue
            if not eligible:
                continue
            raw = _raw_amount(scheme["amount_rule"], facts)
            if raw is None:
                undetermined.add((scheme["code"], index))
                continue
            capped = raw if scheme["cap"] is None else min(raw, scheme["cap"])
            amount = capped.quantize(FEN, rounding=ROUND_FLOOR)
            if scheme["top_up"] and scheme["group"]:
                amount -= sum(
                    (
                        award["amount"]
                        for award in enterprise["earlier"]
                        if award["group"] == scheme["group"]
                        and award["period"] < PERIOD
                        and award["status"] in (AwardStatus.CONFIRMED, AwardStatus.PAID)
                    ),
                    Decimal(0),
                )
            if amount > 0:
                due[scheme["code"]] = amount
        held = {
            world["schemes"][award["scheme"]]["code"]
            for award in world["held"]
            if award["enterprise"] == index
        }
        held_groups = {scheme["group"] for scheme in world["schemes"] if scheme["code"] in held}
        for scheme in world["schemes"]:
            code, group = scheme["code"], scheme["group"]
            if code not in due or code in held or (group and group in held_groups):
                continue
            rivals = [
                s["code"] for s in world["schemes"] if group and s["group"] == group and s["code"] in due
            ]
            # The highest amount; a tie goes to the smaller code, compared byte by byte.
            best = min(rivals or [code], key=lambda c: (-due[c], c.encode()))
            if best == code:
                awards.add((code, index, due[code]))
    return awards, undetermined


# ---- building the world and running the match ----------------------------------------------------------


def _build(world: dict) -> tuple[list[int], dict[str, Scheme]]:
    policy = PolicyFactory(code="world-policy")
    ids = []
    for serial, enterprise in enumerate(world["enterprises"]):
        created = Enterprise.objects.create(
            uscc=make_uscc(700000 + serial), name=f"样例企业{serial}", blacklisted=enterprise["blacklisted"]
        )
        if enterprise["report"] is not None:
            AnnualReport.objects.create(enterprise=created, year=2022, **enterprise["report"])
        ids.append(created.pk)
    common = {
        "policy": policy,
        "facts_year": 2022,
        "reference_date": dt.date(2022, 12, 31),
        "budget": Decimal("1e9"),
    }
    by_code = {}
    for scheme in world["schemes"]:
        scheme_validate(eligibility=scheme["eligibility"], amount_rule=scheme["amount_rule"])
        by_code[scheme["code"]] = Scheme.objects.create(
            **common,
            code=scheme["code"],
            title=f"方案{scheme['code']}",
            mode=SchemeMode.AUTOMATIC,
            status=SchemeStatus.ACTIVE,
            period=PERIOD,
            eligibility=storable(scheme["eligibility"]),
            amount_rule=storable(scheme["amount_rule"]),
            cap_per_enterprise=scheme["cap"],
            exclusive_group=scheme["group"],
            top_up=scheme["top_up"],
        )
    for serial, award in (
        (serial, award) for serial, e in enumerate(world["enterprises"]) for award in e["earlier"]
    ):
        code = f"old-{award['group'] or 'none'}-{award['period']}-{award['slot']}"
        old, _ = Scheme.objects.get_or_create(
            code=code,
            defaults={
                **common,
                "title": f"往期方案{code}",
                "status": SchemeStatus.CLOSED,
                "period": award["period"],
                "eligibility": True,
                "amount_rule": 0,
                "exclusive_group": award["group"],
            },
        )
        _award(old, ids[serial], award["period"], award["status"], award["amount"])
    for award in world["held"]:
        scheme = by_code[world["schemes"][award["scheme"]]["code"]]
        _award(scheme, ids[award["enterprise"]], PERIOD, award["status"], Decimal("100"))
    return ids, by_code


def _award(scheme: Scheme, enterprise_id: int, period: str, status: str, amount: Decimal) -> None:
    Award.objects.create(
        scheme=scheme,
        enterprise_id=enterprise_id,
        period=period,
        status=status,
        computed_amount=amount,
        amount=amount,
    )


def _outcome(run, ids: list[int]) -> tuple[set, set]:
    if run is None:  # the re-match found nothing to say
        return set(), set()
    index = {pk: i for i, pk in enumerate(ids)}
    awards = {
        (code, index[eid], amount)
        for code, eid, amount in Award.objects.filter(run=run).values_list(
            "scheme__code", "enterprise_id", "amount"
        )
    }
    undetermined = {
        (code, index[eid])
        for code, eid in Undetermined.objects.filter(run=run).values_list("scheme__code", "enterprise_id")
    }
    return awards, undetermined


WORLD_SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@WORLD_SETTINGS
@given(world=worlds.map(_normalised), chunks=st.integers(1, 3))
def test_the_chunked_match_pays_exactly_what_the_award_rules_say(world, chunks):
    with ExitStack() as stack, transaction.atomic():
        # Small chunks, so a world of a few enterprises is split as a million would be.
        stack.enter_context(mock.patch("subsidies.matching.runs.MIN_CHUNK", 1))
        stack.enter_context(mock.patch("subsidies.matching.runs.MAX_CHUNKS", chunks))
        ids, _ = _build(world)
        awards_before = Award.objects.count()

        run = match_run_execute()

        assert run.chunk_count == math.ceil(len(ids) / math.ceil(len(ids) / chunks))
        assert _outcome(run, ids) == expected(world)
        # Once more: nothing new, the same list, nothing else written.
        again = match_run_execute()
        assert _outcome(again, ids) == (set(), expected(world)[1])
        assert Award.objects.count() == awards_before + len(expected(world)[0])
        transaction.set_rollback(True)


@WORLD_SETTINGS
@given(world=worlds.map(_normalised))
def test_the_python_rematch_of_a_few_enterprises_pays_exactly_what_the_award_rules_say(world):
    with transaction.atomic():
        ids, _ = _build(world)

        run = enterprise_rematch(enterprise_ids=ids)

        assert _outcome(run, ids) == expected(world)
        transaction.set_rollback(True)
