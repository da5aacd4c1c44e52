"""A scheme's rules on one enterprise in Python (with the explanation), and a rule over a few in SQL."""

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models.sql import Query
from django.utils.translation import gettext as _

from portal.enterprises.models import Enterprise
from subsidies import rules
from subsidies.catalogues import catalogue, catalogue_of
from subsidies.matching.schemes import RECEIVED, _active_schemes, context_of, scheme_rules
from subsidies.models import Award, AwardStatus, Beneficiary, Scheme
from subsidies.rules.compiler import (
    award_amount,
    compile_amount,
    compile_condition,
    compile_value,
    to_decimal,
)
from subsidies.rules.explain import Clause, Explanation
from subsidies.variables import (
    VARIABLES,
    Context,
    Record,
    facts_from_record,
)

# The outcome of a scheme whose rule cannot be computed on an enterprise's facts (不可计算).
UNCOMPUTABLE = "uncomputable"


def _blacklist_clause() -> Clause:
    return Clause(
        path="blacklisted",
        op="!",
        variable="blacklisted",
        label=VARIABLES["blacklisted"].label,
        value=True,
        threshold=None,
        unit="",
        status="fail",
        text=_("贵企业列入失信名单，按规定不享受兑现"),
        negated=True,
        kind="boolean",
    )


def _amount_unknown_clause() -> Clause:
    return Clause(
        path="amount",
        op="amount",
        variable=None,
        label=_("兑现金额"),
        value=None,
        threshold=None,
        unit="元",
        status="unknown",
        text=_("兑现金额（数据缺失，无法计算）"),
    )


def _superseded_clause(
    scheme: Scheme, winner: Scheme, amount: Decimal | None, winner_amount: Decimal
) -> Clause:
    return Clause(
        path="exclusive_group",
        op="exclusive_group",
        variable=None,
        label=_("从高不重复"),
        value=amount,
        threshold=winner_amount,
        unit="元",
        status="fail",
        text=_("同组（%(group)s）政策按从高不重复，已由“%(title)s”兑现 %(amount)s 元")
        % {"group": scheme.exclusive_group, "title": winner.title, "amount": format(winner_amount, "f")},
        kind="number",
    )


def _received_before(scheme: Scheme, enterprise_id: int) -> Decimal:
    if not (scheme.top_up and scheme.exclusive_group):
        return Decimal(0)
    total = Decimal(0)
    for amount, period in Award.objects.filter(
        enterprise_id=enterprise_id,
        scheme__exclusive_group=scheme.exclusive_group,
        status__in=RECEIVED,
    ).values_list("amount", "period"):
        if period < scheme.period:
            total += amount
    return total


def _uncomputable_clause(reason: str) -> Clause:
    return Clause(
        path="rule",
        op="error",
        variable=None,
        label=_("不可计算"),
        value=None,
        threshold=None,
        unit="",
        status="error",
        text=_("不可计算：%(reason)s。请联系政策主管部门核实规则。") % {"reason": reason},
    )


def _evaluated(
    scheme: Scheme, facts: dict, *, received: Decimal = Decimal(0)
) -> tuple[Explanation | None, str]:
    """``evaluate``, or (None, the rule's error) when the scheme's rule cannot be computed on these facts."""
    try:
        return _evaluate(scheme, facts, received=received), ""
    except rules.RuleError as error:
        return None, str(error)


def evaluate(
    scheme: Scheme, facts: dict, *, received: Decimal = Decimal(0)
) -> tuple[Explanation, Decimal | None]:
    """A scheme on a facts dict: its explanation and the amount due (None unless payable).

    A rule that cannot be computed on these facts gives the outcome ``uncomputable`` (不可计算), never
    an exception: one scheme's rule does not take a page, the calculator or a re-match down.
    """
    result, problem = _evaluated(scheme, facts, received=received)
    if result is None:
        return Explanation(UNCOMPUTABLE, [_uncomputable_clause(problem)]), None
    return result


def _evaluate(
    scheme: Scheme, facts: dict, *, received: Decimal = Decimal(0)
) -> tuple[Explanation, Decimal | None]:
    eligibility, amount_rule = scheme_rules(scheme)
    context = context_of(scheme)
    explanation = rules.explain(eligibility, facts, catalogue_of(scheme).variable_specs(context=context))
    if facts.get("blacklisted"):
        return Explanation("ineligible", [_blacklist_clause(), *explanation.trace]), None
    if explanation.outcome != "eligible":
        return explanation, None
    amount = award_amount(rules.apply(amount_rule, facts), cap=scheme.cap_per_enterprise, received=received)
    if amount is None:
        return Explanation("undetermined", [*explanation.trace, _amount_unknown_clause()]), None
    return explanation, amount if amount > 0 else None


def _group_winner(
    scheme: Scheme, amount: Decimal, others: Iterable[tuple[Scheme, Decimal | None]]
) -> tuple[Scheme, Decimal] | None:
    """The group companion that outranks this scheme (higher amount, or equal and earlier code)."""
    best = None
    for other, other_amount in others:
        if other.pk == scheme.pk or other_amount is None:
            continue
        rank = (other_amount, _desc(other.code))
        if rank > (amount, _desc(scheme.code)) and (best is None or rank > (best[1], _desc(best[0].code))):
            best = (other, other_amount)
    return best


def _desc(code: str) -> tuple:
    # Ties go to the smaller code, as the SQL's ORDER BY amount DESC, code does.
    return (*(-ord(char) for char in code), 1)


def explain_for(*, scheme: Scheme, enterprise: Enterprise) -> Explanation:
    """Why an enterprise is (not) due an award of a scheme now, whatever award it holds."""
    record = Record.load(enterprise)
    facts = facts_from_record(record, context_of(scheme))
    received = _received_before(scheme, enterprise.pk)
    explanation, amount = evaluate(scheme, facts, received=received)
    if amount is None or not scheme.exclusive_group:
        return explanation
    held = (
        Award.objects.filter(
            enterprise=enterprise,
            period=scheme.period,
            scheme__exclusive_group=scheme.exclusive_group,
        )
        .exclude(scheme=scheme)
        .exclude(status=AwardStatus.REVOKED)
        .select_related("scheme")
        .first()
    )
    if held is not None:
        return Explanation(
            "ineligible", [*explanation.trace, _superseded_clause(scheme, held.scheme, amount, held.amount)]
        )
    companions = (
        _active_schemes(scheme.beneficiary)
        .filter(exclusive_group=scheme.exclusive_group, period=scheme.period)
        .exclude(pk=scheme.pk)
    )
    others = []
    for other in companions:
        other_facts = facts_from_record(record, context_of(other))
        _, other_amount = evaluate(other, other_facts, received=_received_before(other, enterprise.pk))
        others.append((other, other_amount))
    winner = _group_winner(scheme, amount, others)
    if winner is not None:
        return Explanation(
            "ineligible", [*explanation.trace, _superseded_clause(scheme, winner[0], amount, winner[1])]
        )
    return explanation


def evaluate_profile(
    *, facts: dict, schemes: Iterable[Scheme]
) -> list[tuple[Scheme, Explanation, Decimal | None]]:
    """政策计算器: schemes against a profile someone typed in; pure, nothing stored."""
    facts = rules.normalize(dict(facts))
    results = []
    for scheme in schemes:
        explanation, amount = evaluate(scheme, facts)
        results.append([scheme, explanation, amount])
    for entry in results:
        scheme, explanation, amount = entry
        if amount is None or not scheme.exclusive_group:
            continue
        others = [
            (other, other_amount)
            for other, _, other_amount in results
            if other.exclusive_group == scheme.exclusive_group and other.period == scheme.period
        ]
        winner = _group_winner(scheme, amount, others)
        if winner is not None:
            entry[1] = Explanation(
                "ineligible", [*explanation.trace, _superseded_clause(scheme, winner[0], amount, winner[1])]
            )
    # Superseded schemes pay nothing; decided after every amount is known, so the order does not matter.
    return [
        (scheme, explanation, amount if explanation.outcome == "eligible" else None)
        for scheme, explanation, amount in results
    ]


def sql_evaluate(
    *,
    rule: Any,
    context: Context,
    enterprise_ids: Sequence[int],
    amount: bool = False,
    value: bool = False,
    beneficiary: str = Beneficiary.ENTERPRISES,
) -> dict[int, Any]:
    """A rule as the database evaluates it for these enterprises (the compiled path): {id: result}.

    A condition gives True / False / None (unknown); an amount rule (``amount``) a Decimal or None;
    ``value`` gives the rule's own value, whatever its type. ``beneficiary=households``: the ids are
    house purchases and the rule reads the household catalogue.
    """
    rule = rules.normalize(rule)
    owner = catalogue(beneficiary)
    facts = owner.facts_queryset([owner.needs_of(context, rule)], enterprise_ids=list(enterprise_ids))
    facts_sql, facts_params = facts.query.sql_with_params()
    resolve = owner.resolver(context)
    kind = "number" if amount else "boolean"
    if value:
        expression, kind = compile_value(rule, resolve)
    elif amount:
        expression = compile_amount(rule, resolve)
    else:
        expression = compile_condition(rule, resolve)
    sql, params = Query(owner.model).get_compiler(connection=connection).compile(expression)
    with connection.cursor() as cursor:
        cursor.execute(
            f'WITH f AS MATERIALIZED ({facts_sql}) SELECT "f"."eid", {sql} FROM f',  # noqa: S608 - generated SQL, values as params
            [*facts_params, *params],
        )
        rows = cursor.fetchall()
    if kind == "number":
        return {eid: to_decimal(result) for eid, result in rows}
    if kind == "boolean":
        return {eid: None if result is None else bool(result) for eid, result in rows}
    return dict(rows)
