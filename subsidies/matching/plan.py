"""A run's plan: its frozen schemes with their rules compiled to the chunk statements' SQL."""

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import CharField
from django.db.models.sql import Query

from subsidies import rules
from subsidies.catalogues import Catalogue, catalogue
from subsidies.matching.schemes import RECEIVED, _schemes_of, context_of, scheme_rules
from subsidies.models import Beneficiary, MatchRun, Scheme
from subsidies.rules.compiler import SQL, AwardAmount, Column, NumberField, compile_amount, compile_condition
from subsidies.variables import (
    BOOLEAN,
    LIST,
    NUMBER,
    QUALIFICATION_CODES,
    VARIABLES,
    Context,
    Needs,
)

# Changes whenever the way matching computes its results changes, so older chunks are not taken over.
ENGINE_VERSION = "5"


@dataclass
class _Plan:
    """A run's schemes of one kind of beneficiary, their rules compiled to SQL over the facts table ``f``."""

    catalogue: Catalogue
    schemes: list[Scheme]
    selected: set[int]
    needs: list
    # Stage 1: every rule's outcome, one expression per scheme: +id eligible, -id undetermined, else NULL;
    # and the expression collecting an enterprise's hits from them (``_hits_expression``).
    signs: list[tuple[str, list]] = field(default_factory=list)
    hits: tuple[str, list] = ("", [])
    # Stage 2: per scheme id, the SELECT of its hits' amounts, facts and missing variables.
    details: dict[int, tuple[str, list]] = field(default_factory=dict)
    # Hash of the frozen rules and of how they are matched: part of every chunk's fingerprint.
    digest: str = ""


def _of_kind(snapshot: dict, beneficiary: str) -> dict:
    """The part of a run's frozen rules that pays one kind of beneficiary."""
    entries = [
        entry
        for entry in snapshot.get("schemes", [])
        if entry.get("beneficiary", Beneficiary.ENTERPRISES) == beneficiary
    ]
    ids = {entry["id"] for entry in entries}
    return {"schemes": entries, "selected": [sid for sid in snapshot.get("selected", []) if sid in ids]}


def _plan(snapshot: dict, beneficiary: str = Beneficiary.ENTERPRISES) -> _Plan:
    """The plan of the snapshot's schemes that pay this kind of beneficiary (the others are left out)."""
    snapshot = _of_kind(snapshot, beneficiary)
    kind = catalogue(beneficiary)
    schemes, selected = _schemes_of(snapshot), set(snapshot.get("selected", []))
    merged: dict[Context, Needs] = {}
    for scheme in schemes:
        need = kind.needs_of(context_of(scheme), *scheme_rules(scheme))
        current = merged.get(need.context)
        if current is not None:
            need = Needs(
                need.context,
                current.names | need.names,
                current.qualification_codes | need.qualification_codes,
            )
        merged[need.context] = need
    plan = _Plan(catalogue=kind, schemes=schemes, selected=selected, needs=list(merged.values()))
    frozen = json.dumps(
        [ENGINE_VERSION, connection.vendor, beneficiary, snapshot], sort_keys=True, default=str
    )
    plan.digest = hashlib.sha256(frozen.encode()).hexdigest()
    compiler = Query(kind.model).get_compiler(connection=connection)
    guarded = []
    for scheme in schemes:
        sign, detail = _branch(scheme, compiler, kind)
        plan.signs.append(sign)
        plan.details[scheme.pk] = detail
        # Guards index rules by the enterprise's own text facts; households are matched unindexed.
        guard = _guard(scheme_rules(scheme)[0]) if beneficiary == Beneficiary.ENTERPRISES else None
        guarded.append((sign, guard))
    plan.hits = _hits_expression(guarded, compiler)
    return plan


def _facts_json(scheme: Scheme, names: Iterable[str], kind: Catalogue) -> SQL:
    """The facts snapshot stored with an award: every variable the scheme reads, numbers as exact text."""
    context = context_of(scheme)
    resolve = kind.resolver(context)
    pg, lite, parts, params, lite_params = [], [], [], [], []
    for name in sorted(names):
        variable = kind.variables[name]
        pg.append("%s")
        lite.append("%s")
        params.append(name)
        lite_params.append(name)
        if variable.type == LIST:
            # The codes held, in code order, from the facts table's per-code columns.
            holds = resolve(name).holds
            codes = sorted(QUALIFICATION_CODES)
            first = len(parts)
            parts.extend(holds(code) for code in codes)
            cases = [f"CASE WHEN {{{first + i}}} THEN '{code}' END" for i, code in enumerate(codes)]
            pg.append(f"to_jsonb(array_remove(ARRAY[{', '.join(cases)}]::text[], NULL))")
            quoted = [
                f"CASE WHEN {{{first + i}}} THEN '\"{code}\",' ELSE '' END" for i, code in enumerate(codes)
            ]
            lite.append(f"json('[' || rtrim({' || '.join(quoted)}, ',') || ']')")
            continue
        hole = f"{{{len(parts)}}}"
        parts.append(resolve(name).expression)
        if variable.type == NUMBER and not variable.integer:
            pg.append(f"CAST({hole} AS text)")
            lite.append(f"CAST({hole} AS TEXT)")
        elif variable.type == BOOLEAN:
            pg.append(hole)
            lite.append(f"json(CASE WHEN {hole} THEN 'true' WHEN NOT {hole} THEN 'false' ELSE 'null' END)")
        else:
            pg.append(hole)
            lite.append(hole)
    return SQL(
        f"jsonb_build_object({', '.join(pg)})",
        *parts,
        params=tuple(params),
        vendors={"sqlite": f"json_object({', '.join(lite)})"},
        vendor_params={"sqlite": tuple(lite_params)},
    )


def _missing_json(scheme: Scheme, names: Iterable[str], kind: Catalogue) -> SQL:
    """The variables the scheme reads that an enterprise lacks, as a JSON list (text on SQLite)."""
    resolve = kind.resolver(context_of(scheme))
    scalars = [name for name in sorted(names) if kind.variables[name].type != LIST]
    if not scalars:
        return SQL("CAST('[]' AS jsonb)", vendors={"sqlite": "'[]'"})
    cases = " || ".join(f"CASE WHEN {{{i}}} IS NULL THEN %s ELSE '' END" for i in range(len(scalars)))
    body = f"('[' || RTRIM({cases}, ',') || ']')"
    return SQL(
        f"CAST({body} AS jsonb)",
        *(resolve(name).expression for name in scalars),
        params=tuple(f'"{name}",' for name in scalars),
        vendors={"sqlite": body},
    )


def _received(scheme: Scheme, kind: Catalogue) -> SQL | None:
    """What the beneficiary already received in the scheme's group in earlier periods (级差 base)."""
    if not (scheme.top_up and scheme.exclusive_group):
        return None
    statuses = ", ".join(f"'{status}'" for status in RECEIVED)
    where = (
        "FROM subsidies_award a JOIN subsidies_scheme g ON g.id = a.scheme_id "
        f'WHERE a.{kind.column} = "f"."eid" '
        f"AND g.exclusive_group = %s AND a.period < %s{{collate}} AND a.status IN ({statuses})"
    )
    return SQL(
        "(SELECT COALESCE(SUM(a.amount), 0) " + where.format(collate=' COLLATE "C"') + ")",
        params=(scheme.exclusive_group, scheme.period),
        output_field=NumberField(),
        # SQLite sums floats: sum whole fen, exactly, and subsidies_amount takes fen.
        vendors={
            "sqlite": "(SELECT COALESCE(SUM(CAST(ROUND(a.amount * 100) AS INTEGER)), 0) "
            + where.format(collate="")
            + ")"
        },
    )


# Text facts of the enterprise itself (not of a year or a date): a rule may be indexed by them.
_GUARD_VARIABLES = frozenset(
    name
    for name, variable in VARIABLES.items()
    if variable.type == "string" and variable.source == "enterprise"
)


def _guard(rule: Any) -> tuple[str, tuple[str, ...]] | None:
    """(variable, values) when a rule is false unless a text fact has one of these values.

    That is a rule whose first ``and`` clause (or the rule itself) is ``{"==": [{"var": v}, "a"]}`` or
    ``{"in": [{"var": v}, ["a", "b"]]}``. Such rules are indexed by the fact (see _hits_expression).
    """
    parsed = rules.logic.operation(rule) if isinstance(rule, dict) else None
    if parsed is None:
        return None
    op, args = parsed
    clause = args[0] if op == "and" and args else rule
    parsed = rules.logic.operation(clause) if isinstance(clause, dict) else None
    if parsed is None:
        return None
    op, args = parsed
    if op in ("==", "===") and len(args) == 2:
        for subject, value in (args, args[::-1]):
            if _plain_var(subject) in _GUARD_VARIABLES and isinstance(value, str):
                return _plain_var(subject), (value,)
    if (
        op == "in"
        and len(args) == 2
        and _plain_var(args[0]) in _GUARD_VARIABLES
        and isinstance(args[1], list)
        and args[1]
        and all(isinstance(value, str) for value in args[1])
    ):
        return _plain_var(args[0]), tuple(sorted(set(args[1])))
    return None


def _plain_var(node: Any) -> str | None:
    parsed = rules.logic.operation(node) if isinstance(node, dict) else None
    if parsed is None or parsed[0] != "var" or len(parsed[1]) != 1 or not isinstance(parsed[1][0], str):
        return None
    return parsed[1][0]


def _hits_expression(entries: list[tuple[tuple[str, list], Any]], compiler) -> tuple[str, list]:
    """Stage 1's expression of an enterprise's hits from the rules' signs, rules indexed by their guard.

    A guarded rule is false when its fact holds another value, so it is evaluated only for enterprises
    whose value it names (``CASE f.park WHEN 'wutong' THEN …``), and for those whose value is unknown
    (then every rule of that guard is evaluated, and unknown stays unknown). PostgreSQL collects the
    signs in an array, SQLite in text ("5,-7,").
    """
    postgres = connection.vendor == "postgresql"
    empty = "CAST('{}' AS bigint[])" if postgres else "''"

    def collect(signs: list[tuple[str, list]]) -> tuple[str, list]:
        params = [param for _, sign_params in signs for param in sign_params]
        if postgres:
            return f"ARRAY[{', '.join(sql for sql, _ in signs)}]::bigint[]", params
        return "(" + " || ".join(sql for sql, _ in signs) + ")", params

    pieces = []
    unguarded = [sign for sign, guard in entries if guard is None]
    if unguarded:
        pieces.append(collect(unguarded))
    by_variable = defaultdict(list)
    for sign, guard in entries:
        if guard is not None:
            by_variable[guard[0]].append((guard[1], sign))
    for name, members in sorted(by_variable.items()):
        column, _ = compiler.compile(Column("f", VARIABLES[name].column(None), CharField()))
        sql, params = f"(CASE {column}", []
        for value in sorted({value for values, _ in members for value in values}):
            signs, signs_params = collect([sign for values, sign in members if value in values])
            sql += f" WHEN %s THEN {signs}"
            params += [value, *signs_params]
        every, every_params = collect([sign for _, sign in members])
        sql += f" ELSE (CASE WHEN {column} IS NULL THEN {every} ELSE {empty} END) END)"
        pieces.append((sql, [*params, *every_params]))
    return " || ".join(sql for sql, _ in pieces), [param for _, params in pieces for param in params]


def _hit_facts() -> str:
    """How a hit reaches its enterprise's facts row: one index lookup each (not a hash of all of them)."""
    if connection.vendor == "postgresql":
        return 'CROSS JOIN LATERAL (SELECT * FROM subsidies_m_f WHERE eid = h.eid OFFSET 0) "f"'
    return 'JOIN subsidies_m_f "f" ON "f"."eid" = h.eid'


def _branch(scheme: Scheme, compiler, kind: Catalogue) -> tuple[tuple[str, list], tuple[str, list]]:
    """A scheme's SQL: its outcome sign (stage 1), and the SELECT of its hits' details (stage 2)."""
    eligibility, amount_rule = scheme_rules(scheme)
    resolve = kind.resolver(context_of(scheme))
    names = rules.variables_used(eligibility) | rules.variables_used(amount_rule)
    names = {name for name in names if name in kind.variables}
    received = _received(scheme, kind)
    sid = int(scheme.pk)
    ok_sql, ok_params = compiler.compile(compile_condition(eligibility, resolve))
    sign = (
        (f"CASE ({ok_sql}) WHEN TRUE THEN {sid} WHEN FALSE THEN NULL ELSE {-sid} END", ok_params)
        if connection.vendor == "postgresql"
        else (f"CASE ({ok_sql}) WHEN 1 THEN '{sid},' WHEN 0 THEN '' ELSE '{-sid},' END", ok_params)
    )
    pieces = {
        "amount": AwardAmount(
            compile_amount(amount_rule, resolve), cap=scheme.cap_per_enterprise, received=received
        ),
        "received": received if received is not None else SQL("CAST(0 AS numeric)", vendors={"sqlite": "0"}),
        "facts": _facts_json(scheme, names, kind),
        "missing": _missing_json(scheme, names, kind),
    }
    sql, params = {}, {}
    for key, expression in pieces.items():
        sql[key], params[key] = compiler.compile(expression)
    amount = sql["amount"]
    # SQLite: keep the amount as a float column, so it sorts and compares as a number (≤ 15 digits: exact).
    if connection.vendor == "sqlite":
        amount = f"CAST({amount} AS REAL)"
    text = (
        f"SELECT h.eid AS eid, CAST({sid} AS INTEGER) AS sid, CASE WHEN h.sig > 0 THEN TRUE END AS ok, "  # noqa: S608
        f"CASE WHEN h.sig > 0 THEN {amount} END AS amount, "
        f"CASE WHEN h.sig > 0 THEN {sql['received']} END AS received, "
        f"CASE WHEN h.sig > 0 THEN {sql['facts']} END AS facts, "
        f"CASE WHEN h.sig < 0 THEN {sql['missing']} END AS missing "
        f"FROM subsidies_m_h h {_hit_facts()} WHERE h.sig IN ({sid}, {-sid})"
    )
    ordered = params["amount"] + params["received"] + params["facts"] + params["missing"]
    return sign, (text, ordered)


@dataclass
class _Scope:
    """The enterprises a chunk covers: an id range, optionally narrowed to a list of ids."""

    id_from: int
    id_to: int
    enterprise_ids: list[int] | None = None

    def sql(self, column: str) -> tuple[str, list]:
        text = f"{column} >= %s AND {column} <= %s"
        params: list = [self.id_from, self.id_to]
        if self.enterprise_ids is not None:
            ids = [i for i in self.enterprise_ids if self.id_from <= i <= self.id_to] or [0]
            text += f" AND {column} IN ({', '.join(['%s'] * len(ids))})"
            params.extend(ids)
        return text, params


def _execute(cursor, sql: str, params: Sequence = ()) -> None:
    cursor.execute(sql, list(params))


_plans: dict[tuple, _Plan] = {}


def _run_plan(run: MatchRun, beneficiary: str = Beneficiary.ENTERPRISES) -> _Plan:
    """The run's compiled plan for one kind, kept per process for runs with the same rules (compiling 100
    costs)."""
    key = (connection.vendor, beneficiary, json.dumps(run.rules, sort_keys=True, default=str))
    plan = _plans.get(key)
    if plan is None:
        if len(_plans) > 8:
            _plans.clear()
        plan = _plans[key] = _plan(run.rules, beneficiary)
    return plan
