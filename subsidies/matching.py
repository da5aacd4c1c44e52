"""Matching (比对): which enterprises each active automatic scheme pays, found by the database in bulk.

A run freezes the rules it matches with (``MatchRun.rules``) and splits the enterprises into keyset id
ranges (``MatchChunk``, at most ``MAX_CHUNKS``). A chunk is one transaction of a few set-based
statements, whichever process runs it (``match_run_execute`` in process, or Celery workers after
``match_run_start``: both call ``chunk_execute``):

1. ``subsidies_m_f``: the facts relation (one row per enterprise of the range: its facts at each scheme's
   facts year and reference date, ``variables.facts_queryset``) is read once, and every scheme's compiled
   rule is evaluated on it in the same pass, into a short list of hits per enterprise (+scheme id:
   eligible, −scheme id: undetermined). Only enterprises with a hit are kept. Blacklisted enterprises
   never get one: they are never eligible, whatever the rule.
2. ``subsidies_m_c``: for the hits only, per scheme: the amount, the facts snapshot, the missing facts.
3. ``subsidies_m_p``: the payable pairs: eligible, amount > 0, the highest of their exclusive group
   (从高不重复; a live award already held in the group for the period blocks the others).
4. Awards are inserted for payable pairs that have none (``WHERE NOT has_award`` first; ``ON CONFLICT DO
   NOTHING`` covers a concurrent writer); undetermined pairs are listed for staff (``Undetermined``);
   unpaid live awards whose enterprise is now ineligible are the run's lost candidates (``LostCandidate``,
   once per award: the diff says what changed since, not again every night). New candidates are the
   awards whose ``run`` is this run.
5. The chunk's counts and fingerprint are stored on it and it is marked done, in the same transaction:
   a chunk delivered twice finds itself done; a chunk killed halfway left nothing and runs again.

A rule never takes a run down: when a chunk's statements fail (a rule overflows, an amount due is
beyond the award column), ``_guarded_chunk`` finds the failing scheme and the first enterprise it fails
on by rolled-back tries on halves, records a ``MatchFailure`` and runs the chunk again without that
scheme. The run ends ``completed_with_errors`` and staff are told. In Python (``evaluate``: the pages,
the calculator, re-matching) such a scheme is ``uncomputable`` (不可计算) for that enterprise.

Unchanged chunks: the fingerprint hashes the frozen rules, the chunk's facts relation (exactly what
the rules read) and its enterprises' awards after the chunk. A later run whose chunk hashes the same
would decide the same, so it takes that chunk's counts and undetermined list over instead of
evaluating (nothing new, nothing lost); only what changed is matched again.

Amounts: the amount rule (元), capped per enterprise, rounded down to the fen, less what the enterprise
already received in its group in earlier periods for a top-up (级差) scheme — in SQL with the same
digits as ``rules.compiler.award_amount`` (``numeric`` on PostgreSQL; on SQLite through the functions
``subsidies_num`` / ``subsidies_amount``, which run the Python code itself).

Explanations: an award is written with ``facts`` (every variable its scheme reads, numbers as exact
decimal text) and ``explanation = {"outcome": "eligible", "trace": [], "pending": true}``. The trace is
a pure function of the facts and the run's frozen rules, so it is not built per award inside the
set-based insert (that would cost more than the match): ``award_explanation`` replays it — the audit
replay — and ``awards_explain`` stores it, for the awards people read (review, release, pages).

Re-matching after a facts change (``enterprise_rematch``): a few enterprises are decided in Python
(``_rematch_python``: the rules compiled once per scheme version, and the chunk statements' rules for
amounts, groups and losses — a test holds both ways equal); more go through the chunk statements.
Awards no longer met are revoked with the reason; nothing is written when nothing changed.

Lock: one run at a time. The process that runs a run holds a session-level PostgreSQL advisory lock
(on SQLite, an exclusive ``flock`` on a file in the temporary directory), released by the operating
system if the process dies. A run found ``running`` by the next start is therefore dead and is resumed
— its pending chunks run, its done chunks are kept — unless its chunks are queued to Celery workers and
it made progress in the last ``STALE_AFTER``; then the start is refused with a ``MatchError``.

The SQL here is built from the compiler's output and this module's own table and column names; values
always travel as parameters (hence the ``noqa: S608``).
"""

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import math
import os
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import DatabaseError, connection, models, transaction
from django.db.models import CharField, Max
from django.db.models.sql import Query
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.models import User
from portal.accounts.services import notify
from portal.enterprises.models import AnnualReport, Enterprise, Qualification
from subsidies import rules
from subsidies.models import (
    Award,
    AwardStatus,
    LostCandidate,
    MatchChunk,
    MatchFailure,
    MatchRun,
    RunStatus,
    Scheme,
    SchemeMode,
    SchemeStatus,
    Undetermined,
)
from subsidies.rules.compiler import (
    SQL,
    AwardAmount,
    Column,
    NumberField,
    award_amount,
    compile_amount,
    compile_condition,
    compile_value,
    to_decimal,
)
from subsidies.rules.explain import Clause, Explanation
from subsidies.variables import (
    BOOLEAN,
    LIST,
    NUMBER,
    QUALIFICATION_CODES,
    VARIABLES,
    Context,
    Needs,
    Record,
    facts_from_json,
    facts_from_record,
    facts_queryset,
    facts_to_json,
    needs_of,
    resolver,
    variable_specs,
)

# At most this many chunks per run, so a nightly run is at most MAX_CHUNKS + 1 Celery tasks. Each chunk
# plans two statements of every rule (~40 ms for 100 schemes on PostgreSQL): 25 keeps that near 1 s for
# a full run while leaving enough chunks for workers to share (1,000,000 enterprises: 40,000 each).
MAX_CHUNKS = 25
# Fewer enterprises than this are one chunk: below it a statement's fixed cost (planning 100 rule
# branches takes ~30 ms on PostgreSQL) outweighs what splitting gains.
MIN_CHUNK = 10_000
# A queued run with no chunk done for this long is taken for dead and resumed by the next start.
STALE_AFTER = dt.timedelta(minutes=30)
# Statuses of an award not yet paid and still live: what a lost candidate can be.
LIVE_UNPAID = (
    AwardStatus.CANDIDATE,
    AwardStatus.APPROVED,
    AwardStatus.PUBLICIZED,
    AwardStatus.AWAITING,
    AwardStatus.CONFIRMED,
)
# Statuses whose amount counts as received in a top-up group (money committed to the enterprise).
RECEIVED = (AwardStatus.CONFIRMED, AwardStatus.PAID)
# What a new award's explanation holds until its trace is built from its facts (award_explanation).
PENDING_EXPLANATION = {"outcome": "eligible", "trace": [], "pending": True}
# Changes whenever the way matching computes its results changes, so older chunks are not taken over.
ENGINE_VERSION = "4"
# Any arbitrary 64-bit key, the same in every process: the PostgreSQL advisory lock of matching.
LOCK_KEY = 4_710_012_023

Progress = Callable[[str], None]
# The outcome of a scheme whose rule cannot be computed on an enterprise's facts (不可计算).
UNCOMPUTABLE = "uncomputable"
# A chunk's working tables, private to its database session and dropped at its end.
TEMP_TABLES = ("subsidies_m_f", "subsidies_m_h", "subsidies_m_c", "subsidies_m_p")


class MatchError(Exception):
    """A match run that cannot start or go on, with a message for people."""


# ---- schemes ------------------------------------------------------------------------------------------


def context_of(scheme: Scheme) -> Context:
    """The facts year and reference date a scheme reads facts at."""
    return Context(scheme.facts_year, scheme.reference_date)


def scheme_rules(scheme: Scheme) -> tuple[Any, Any]:
    """The eligibility and amount rules with their numbers as Decimal (JSON stores them as floats)."""
    return _parsed(scheme)[:2]


# Parsed rules of saved schemes, by (id, updated_at): a saved change has a new updated_at.
_parsed_rules: dict[tuple, tuple] = {}


def _parsed(scheme: Scheme) -> tuple[Any, Any, frozenset[str], Callable, Callable]:
    """(eligibility, amount rule, catalogue variables they read, and both compiled) of a scheme."""
    key = (scheme.pk, scheme.updated_at) if scheme.pk and scheme.updated_at else None
    if key is not None and key in _parsed_rules:
        return _parsed_rules[key]
    eligibility, amount = rules.normalize(scheme.eligibility), rules.normalize(scheme.amount_rule)
    names = frozenset(
        name for name in rules.variables_used(eligibility) | rules.variables_used(amount) if name in VARIABLES
    )
    parsed = (eligibility, amount, names, rules.compile_rule(eligibility), rules.compile_rule(amount))
    if key is not None:
        if len(_parsed_rules) > 1000:
            _parsed_rules.clear()
        _parsed_rules[key] = parsed
    return parsed


def _active_schemes():
    return Scheme.objects.filter(mode=SchemeMode.AUTOMATIC, status=SchemeStatus.ACTIVE).order_by("code")


_active_cache: dict[tuple, list[Scheme]] = {}


def _select_schemes(scheme_codes: Sequence[str] | None) -> tuple[list[Scheme], set[int]]:
    """(schemes evaluated, ids of those reported): a selection brings its exclusive-group companions."""
    # The version (ids and update times) is a cheap query; the rules are loaded again only if it changed.
    version = tuple(_active_schemes().values_list("pk", "updated_at"))
    if version not in _active_cache:
        _active_cache.clear()
        _active_cache[version] = list(_active_schemes())
    active = list(_active_cache[version])
    if not scheme_codes:
        return active, {scheme.pk for scheme in active}
    by_code = {scheme.code: scheme for scheme in active}
    unknown = [code for code in scheme_codes if code not in by_code]
    if unknown:
        raise MatchError(_("没有执行中的免申即享方案：%(codes)s") % {"codes": "、".join(unknown)})
    selected = [by_code[code] for code in scheme_codes]
    groups = {scheme.exclusive_group for scheme in selected if scheme.exclusive_group}
    evaluated = [scheme for scheme in active if scheme in selected or scheme.exclusive_group in groups]
    return evaluated, {scheme.pk for scheme in selected}


_SNAPSHOT = (
    "code",
    "title",
    "facts_year",
    "reference_date",
    "period",
    "eligibility",
    "amount_rule",
    "cap_per_enterprise",
    "exclusive_group",
    "top_up",
)


def _snapshot(schemes: Sequence[Scheme], selected: set[int]) -> dict:
    """The rules a run matches with, frozen when it starts."""
    entries = []
    for scheme in schemes:
        entry = {"id": scheme.pk, **{name: getattr(scheme, name) for name in _SNAPSHOT}}
        entry["reference_date"] = scheme.reference_date.isoformat()
        cap = scheme.cap_per_enterprise
        entry["cap_per_enterprise"] = None if cap is None else format(cap, "f")
        entries.append(entry)
    return {"schemes": entries, "selected": sorted(selected)}


def _schemes_of(snapshot: dict) -> list[Scheme]:
    """The snapshot's schemes as (unsaved) Scheme objects carrying the frozen rules."""
    schemes = []
    for entry in snapshot.get("schemes", []):
        values = {name: entry[name] for name in _SNAPSHOT}
        values["reference_date"] = dt.date.fromisoformat(entry["reference_date"])
        cap = entry["cap_per_enterprise"]
        values["cap_per_enterprise"] = None if cap is None else Decimal(cap)
        schemes.append(Scheme(pk=entry["id"], **values))
    return schemes


# ---- the chunk statements -----------------------------------------------------------------------------


@dataclass
class _Plan:
    """A run's schemes with their rules compiled to SQL over the facts table ``f``."""

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


def _plan(snapshot: dict) -> _Plan:
    schemes, selected = _schemes_of(snapshot), set(snapshot.get("selected", []))
    merged: dict[Context, Needs] = {}
    for scheme in schemes:
        need = needs_of(context_of(scheme), *scheme_rules(scheme))
        current = merged.get(need.context)
        if current is not None:
            need = Needs(
                need.context,
                current.names | need.names,
                current.qualification_codes | need.qualification_codes,
            )
        merged[need.context] = need
    plan = _Plan(schemes=schemes, selected=selected, needs=list(merged.values()))
    frozen = json.dumps([ENGINE_VERSION, connection.vendor, snapshot], sort_keys=True, default=str)
    plan.digest = hashlib.sha256(frozen.encode()).hexdigest()
    compiler = Query(Enterprise).get_compiler(connection=connection)
    guarded = []
    for scheme in schemes:
        sign, detail = _branch(scheme, compiler)
        plan.signs.append(sign)
        plan.details[scheme.pk] = detail
        guarded.append((sign, _guard(scheme_rules(scheme)[0])))
    plan.hits = _hits_expression(guarded, compiler)
    return plan


def _facts_json(scheme: Scheme, names: Iterable[str]) -> SQL:
    """The facts snapshot stored with an award: every variable the scheme reads, numbers as exact text."""
    context = context_of(scheme)
    resolve = resolver(context)
    pg, lite, parts, params, lite_params = [], [], [], [], []
    for name in sorted(names):
        variable = VARIABLES[name]
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


def _missing_json(scheme: Scheme, names: Iterable[str]) -> SQL:
    """The variables the scheme reads that an enterprise lacks, as a JSON list (text on SQLite)."""
    resolve = resolver(context_of(scheme))
    scalars = [name for name in sorted(names) if VARIABLES[name].type != LIST]
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


def _received(scheme: Scheme) -> SQL | None:
    """What the enterprise already received in the scheme's group in earlier periods (级差 base)."""
    if not (scheme.top_up and scheme.exclusive_group):
        return None
    statuses = ", ".join(f"'{status}'" for status in RECEIVED)
    where = (
        "FROM subsidies_award a JOIN subsidies_scheme g ON g.id = a.scheme_id "
        'WHERE a.enterprise_id = "f"."eid" '
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


def _branch(scheme: Scheme, compiler) -> tuple[tuple[str, list], tuple[str, list]]:
    """A scheme's SQL: its outcome sign (stage 1), and the SELECT of its hits' details (stage 2)."""
    eligibility, amount_rule = scheme_rules(scheme)
    resolve = resolver(context_of(scheme))
    names = rules.variables_used(eligibility) | rules.variables_used(amount_rule)
    names = {name for name in names if name in VARIABLES}
    received = _received(scheme)
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
        "facts": _facts_json(scheme, names),
        "missing": _missing_json(scheme, names),
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


def _chunk_statements(
    plan: _Plan, scope: _Scope, *, run_id: int, dry_run: bool, fingerprint: bool = True
) -> tuple[dict[str, dict], str]:
    """Run one chunk's statements: the per-scheme counts of its enterprises, and its fingerprint.

    ``fingerprint=False`` (re-matching enterprises whose facts just changed) skips looking for an
    unchanged earlier chunk: there is none, and the hashing would be most of the work.
    """
    selected = sorted(plan.selected)
    stats: dict[int, dict] = {
        sid: {"eligible": 0, "undetermined": 0, "new": 0, "lost": 0, "amount": Decimal(0)} for sid in selected
    }
    if not plan.schemes:
        return {}, ""
    in_selected = ", ".join(str(sid) for sid in selected) or "0"
    collate = ' COLLATE "C"' if connection.vendor == "postgresql" else ""
    now = timezone.now()
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgres:
            # JIT compiling 100 rule expressions costs PostgreSQL about a second, for 0.1 s of work.
            _execute(cursor, "SET LOCAL jit = off")
        for table in TEMP_TABLES:
            _execute(cursor, f"DROP TABLE IF EXISTS {table}")
        facts_digest = before = ""
        if fingerprint:
            facts_digest = _facts_digest(cursor, plan, scope)
            before = _fingerprint(plan, facts_digest, _awards_digest(cursor, scope))
            previous = None if dry_run else _same_chunk(before)
            if previous is not None:
                return _take_over(cursor, plan, scope, previous, run_id=run_id), before
        facts = facts_queryset(
            plan.needs,
            id_from=scope.id_from,
            id_to=scope.id_to,
            enterprise_ids=scope.enterprise_ids,
        )
        facts_sql, facts_params = facts.query.sql_with_params()
        # Stage 1: one pass over the facts evaluates every rule; only enterprises with a hit are kept,
        # with their hits (+scheme id eligible, -scheme id undetermined).
        hits, sign_params = plan.hits
        if postgres:
            # OFFSET 0 keeps each subquery whole: facts are computed once per enterprise (not once per
            # rule reading them), and the rules once per enterprise (not again in the filter).
            _execute(
                cursor,
                "CREATE TEMP TABLE subsidies_m_f AS SELECT * FROM (SELECT f.*,"  # noqa: S608
                f" array_remove({hits}, NULL) AS hits"
                f" FROM ({facts_sql} OFFSET 0) f WHERE NOT f.bl OFFSET 0) x WHERE cardinality(x.hits) > 0",
                [*sign_params, *facts_params],
            )
            _execute(
                cursor,
                "CREATE TEMP TABLE subsidies_m_h AS SELECT eid, unnest(hits) AS sig FROM subsidies_m_f",
            )
        else:
            # SQLite has no arrays: the hits are a JSON list, read back with json_each.
            _execute(
                cursor,
                f"CREATE TEMP TABLE subsidies_m_f AS WITH f AS MATERIALIZED ({facts_sql}),"  # noqa: S608
                f" x AS MATERIALIZED (SELECT f.*, '[' || rtrim({hits}, ',') || ']' AS hits"
                " FROM f WHERE NOT f.bl)"
                " SELECT * FROM x WHERE x.hits <> '[]'",
                [*facts_params, *sign_params],
            )
            _execute(
                cursor,
                "CREATE TEMP TABLE subsidies_m_h AS SELECT f.eid AS eid, CAST(j.value AS INTEGER) AS sig"
                " FROM subsidies_m_f f, json_each(f.hits) j",
            )
        _execute(cursor, "CREATE UNIQUE INDEX subsidies_m_f_eid ON subsidies_m_f (eid)")
        _execute(cursor, "CREATE INDEX subsidies_m_h_sig ON subsidies_m_h (sig)")
        # Stage 2: per scheme with hits, the amounts, facts and missing variables of its hits only.
        _execute(cursor, "SELECT DISTINCT ABS(sig) FROM subsidies_m_h")
        hit = sorted(sid for (sid,) in cursor.fetchall())
        if hit:
            details = [plan.details[sid] for sid in hit]
            _execute(
                cursor,
                "CREATE TEMP TABLE subsidies_m_c AS " + " UNION ALL ".join(sql for sql, _ in details),
                [param for _, params in details for param in params],
            )
        else:
            json = "CAST(NULL AS jsonb)" if postgres else "NULL"
            _execute(
                cursor,
                "CREATE TEMP TABLE subsidies_m_c AS SELECT eid, 0 AS sid, TRUE AS ok, 0.0 AS amount,"  # noqa: S608
                f" 0.0 AS received, {json} AS facts, {json} AS missing FROM subsidies_m_h WHERE FALSE",
            )
        _execute(cursor, "CREATE INDEX subsidies_m_c_pair ON subsidies_m_c (sid, eid)")
        _execute(
            cursor,
            "CREATE TEMP TABLE subsidies_m_p AS "  # noqa: S608
            "SELECT r.eid, r.sid, r.amount, r.received, r.facts, r.has_award FROM ("
            " SELECT c.eid, c.sid, c.amount, c.received, c.facts,"
            "  EXISTS (SELECT 1 FROM subsidies_award a WHERE a.scheme_id = c.sid AND a.enterprise_id = c.eid"
            "   AND a.period = s.period) AS has_award,"
            "  ROW_NUMBER() OVER (PARTITION BY c.eid, s.period, CASE WHEN s.exclusive_group = '' THEN"
            "   'scheme:' || s.code ELSE 'group:' || s.exclusive_group END"
            f"   ORDER BY c.amount DESC, s.code{collate}) AS rn"
            " FROM subsidies_m_c c JOIN subsidies_scheme s ON s.id = c.sid"
            " WHERE c.ok AND c.amount > 0 AND (s.exclusive_group = '' OR NOT EXISTS ("
            "  SELECT 1 FROM subsidies_award a JOIN subsidies_scheme o ON o.id = a.scheme_id"
            "  WHERE a.enterprise_id = c.eid AND a.period = s.period"
            "  AND o.exclusive_group = s.exclusive_group"
            "  AND a.scheme_id <> c.sid AND a.status <> %s))"
            ") r WHERE r.rn = 1",
            [AwardStatus.REVOKED],
        )
        sum_amount = (
            "SUM(amount)" if connection.vendor != "sqlite" else "SUM(CAST(ROUND(amount * 100) AS INTEGER))"
        )
        _execute(
            cursor,
            f"SELECT sid, COUNT(*), {sum_amount} FROM subsidies_m_p"  # noqa: S608
            f" WHERE sid IN ({in_selected}) GROUP BY sid",
        )
        for sid, count, total in cursor.fetchall():
            stats[sid]["eligible"] = count
            stats[sid]["amount"] = (
                Decimal(total) if connection.vendor != "sqlite" else Decimal(int(total)).scaleb(-2)
            )
        _execute(
            cursor,
            "SELECT sid, COUNT(*) FROM subsidies_m_c WHERE (ok IS NULL OR amount IS NULL)"  # noqa: S608
            f" AND sid IN ({in_selected}) GROUP BY sid",
        )
        for sid, count in cursor.fetchall():
            stats[sid]["undetermined"] = count
        with _savepoint(rollback=dry_run):
            _write(cursor, plan, scope, stats, in_selected=in_selected, run_id=run_id, now=now)
        for table in TEMP_TABLES:
            _execute(cursor, f"DROP TABLE {table}")
        after = before
        if fingerprint and not dry_run:
            after = _fingerprint(plan, facts_digest, _awards_digest(cursor, scope))
    codes = {scheme.pk: scheme.code for scheme in plan.schemes}
    counts = {
        codes[sid]: {**counts, "amount": format(counts["amount"], "f")} for sid, counts in stats.items()
    }
    return counts, after


# ---- unchanged chunks ----------------------------------------------------------------------------


def _fingerprint(plan: _Plan, facts_digest: str, awards_digest: str) -> str:
    return hashlib.sha256(f"{plan.digest}:{facts_digest}:{awards_digest}".encode()).hexdigest()


def _digest(cursor, sql: str, params: Sequence) -> str:
    """Hash of the text a query aggregates (PostgreSQL hashes it itself; SQLite hands it over)."""
    _execute(cursor, sql, params)
    (value,) = cursor.fetchone()
    if connection.vendor == "postgresql":
        return value or ""
    return hashlib.sha256((value or "").encode()).hexdigest()


_ENTERPRISE_INPUTS = (
    "id",
    "park",
    "industry_code",
    "registered_on",
    "registered_capital",
    "is_above_scale",
    "credit_rating",
    "blacklisted",
)
_REPORT_INPUTS = ("enterprise_id", "year", "revenue", "rd_expense", "employees", "tax_paid")
_QUALIFICATION_INPUTS = ("enterprise_id", "code", "year_awarded", "valid_until")
# SQLite row checksums: a polynomial over the row's numbers modulo a prime below 2**31, so every
# intermediate product fits in a 64-bit integer; NULL is a value no column holds.
_MIX, _PRIME, _NULL = 1_000_003, 2_147_483_647, -7_919


def _sqlite_row_checksum(model, columns: Sequence[str]) -> tuple[str, str]:
    """SQLite: (an integer expression over a row's numbers and dates, a text expression of its text).

    Turning numbers into text costs SQLite far more than arithmetic on them (a REAL is formatted
    digit by digit), so decimals are hashed as integers in their smallest unit and dates as YYYYMMDD;
    text columns are few and short and are concatenated. Summing the squares as well makes the checksum
    non-linear: a change in one row is not cancelled by the opposite change in another.
    """
    mixed, texts = "0", []
    for column in columns:
        field = model._meta.get_field(column.removesuffix("_id"))
        value = f"x.{column}"
        if isinstance(field, models.DecimalField):
            value = f"CAST(ROUND(x.{column} * {10**field.decimal_places}) AS INTEGER)"
        elif isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField):
            value = f"CAST(replace(x.{column}, '-', '') AS INTEGER)"
        elif not isinstance(field, models.IntegerField | models.BooleanField | models.ForeignKey):
            texts.append(f"ifnull(x.{column}, char(1))")
            continue
        mixed = f"(({mixed}) * {_MIX} + ifnull({value}, {_NULL}) %% {_PRIME}) %% {_PRIME}"
    return mixed, " || char(2) || ".join(texts) or "''"


def _facts_digest(cursor, plan: _Plan, scope: _Scope) -> str:
    """Hash of what the chunk's facts are computed from: its enterprises' fact columns, their annual
    reports of the years the rules read, and their qualifications (with the rules' dates, in the plan's
    digest, these determine every fact). Cheaper than hashing the computed facts."""
    years = sorted({VARIABLES[name].year(need.context) for need in plan.needs for name in need.names})
    sources = [
        (Enterprise, ("x.id",), _ENTERPRISE_INPUTS, ""),
        (
            AnnualReport,
            ("x.enterprise_id", "x.year"),
            _REPORT_INPUTS,
            f" AND x.year IN ({', '.join(map(str, years or [0]))})",
        ),
        (Qualification, ("x.enterprise_id", "x.code", "x.year_awarded"), _QUALIFICATION_INPUTS, ""),
    ]
    parts, params = [], []
    for model, key, columns, extra in sources:
        table = model._meta.db_table
        scope_sql, scope_params = scope.sql(key[0])
        if connection.vendor == "postgresql":
            # An order-free sum of 64-bit row hashes: no row is turned into text. A record's hash is
            # linear in its columns' hashes (31 * h + h'), so a value moved from one row to another
            # would leave the sum as it was: each row's hash is mixed again, non-linearly.
            row = ", ".join(f"x.{column}" for column in columns)
            parts.append(
                "(SELECT concat_ws('/', COUNT(*),"  # noqa: S608
                f" SUM(hashint8extended(hash_record_extended(({row}), 0), 0)::numeric))"
                f" FROM {table} x WHERE {scope_sql}{extra})"
            )
        else:
            # Rows in their unique key's order (an index scan, which SQLite also finds the fastest way
            # to the rows): the n-th text is row n's.
            mixed, text = _sqlite_row_checksum(model, columns)
            parts.append(
                "(SELECT COUNT(*) || '/' || ifnull(SUM(h), 0) || '/' || ifnull(SUM(h * h %% "  # noqa: S608
                f"{_PRIME}), 0) || '/' || ifnull(group_concat(t, char(3)), '')"
                f" FROM (SELECT {mixed} AS h, {text} AS t FROM {table} x"
                f" WHERE {scope_sql}{extra} ORDER BY {', '.join(key)}))"
            )
        params.extend(scope_params)
    joiner = "concat_ws(':', " if connection.vendor == "postgresql" else "("
    separator = ", " if connection.vendor == "postgresql" else " || ':' || "
    _execute(cursor, f"SELECT {joiner}{separator.join(parts)})", params)
    (value,) = cursor.fetchone()
    return hashlib.sha256((value or "").encode()).hexdigest()


def _awards_digest(cursor, scope: _Scope) -> str:
    """Hash of the chunk's enterprises' awards: which exist, in what status, for how much."""
    scope_sql, scope_params = scope.sql("a.enterprise_id")
    if connection.vendor == "postgresql":
        sql = (
            "SELECT md5(string_agg(concat_ws(':', a.id, a.scheme_id, a.period, a.status, a.amount,"  # noqa: S608
            f" a.waitlisted), '|' ORDER BY a.id)) FROM subsidies_award a WHERE {scope_sql}"
        )
    else:
        sql = (
            "SELECT group_concat(r, '|') FROM (SELECT a.id || ':' || a.scheme_id || ':' || a.period || ':' ||"  # noqa: S608
            " a.status || ':' || quote(a.amount) || ':' || a.waitlisted AS r"
            f" FROM subsidies_award a INDEXED BY award_enterprise_status_idx WHERE {scope_sql} ORDER BY a.id)"
        )
    return _digest(cursor, sql, scope_params)


def _same_chunk(fingerprint: str) -> MatchChunk | None:
    """A chunk of a finished run that saw the same rules, facts and awards (so found the same)."""
    return (
        MatchChunk.objects.filter(
            fingerprint=fingerprint,
            done_at__isnull=False,
            run__status=RunStatus.FINISHED,
            run__dry_run=False,
        )
        .order_by("-id")
        .first()
    )


def _take_over(cursor, plan: _Plan, scope: _Scope, previous: MatchChunk, *, run_id: int) -> dict[str, dict]:
    """Nothing changed since ``previous``: its counts (nothing new, nothing lost) and undetermined list."""
    scope_sql, scope_params = scope.sql("u.enterprise_id")
    _execute(
        cursor,
        "INSERT INTO subsidies_undetermined (run_id, scheme_id, enterprise_id, missing)"  # noqa: S608
        f" SELECT %s, u.scheme_id, u.enterprise_id, u.missing FROM subsidies_undetermined u"
        f" WHERE u.run_id = %s AND {scope_sql} ON CONFLICT DO NOTHING",
        [run_id, previous.run_id, *scope_params],
    )
    return {code: {**counts, "new": 0, "lost": 0} for code, counts in previous.stats.items()}


@contextlib.contextmanager
def _savepoint(*, rollback: bool) -> Iterator[None]:
    with transaction.atomic():
        yield
        if rollback:
            transaction.set_rollback(True)


def _write(cursor, plan: _Plan, scope: _Scope, stats: dict, *, in_selected: str, run_id: int, now) -> None:
    """The chunk's writes: new awards, the undetermined list, the lost candidates."""
    # Eligible, but the amount rule lacks a fact: the missing ones are the nulls of the facts snapshot.
    if connection.vendor == "postgresql":
        nulls_in_facts = (
            "(SELECT COALESCE(jsonb_agg(n.key ORDER BY n.key), '[]'::jsonb) FROM jsonb_each(c.facts) n"
            " WHERE jsonb_typeof(n.value) = 'null')"
        )
    else:
        nulls_in_facts = "(SELECT json_group_array(n.key) FROM json_each(c.facts) n WHERE n.type = 'null')"
    # The trace is built from these facts and the run's rules when someone reads it (award_explanation).
    pending = json.dumps(PENDING_EXPLANATION)
    explanation, false = ("CAST(%s AS jsonb)", "FALSE") if connection.vendor == "postgresql" else ("%s", "0")
    # A top-up award also keeps what the group had received before: the amount is computed less it.
    if connection.vendor == "postgresql":
        facts = (
            "CASE WHEN s.top_up THEN p.facts"
            " || jsonb_build_object('_group_received', CAST(p.received AS text)) ELSE p.facts END"
        )
    else:
        facts = (
            # (SQLite keeps the received sum in whole fen.)
            "CASE WHEN s.top_up THEN json_set(p.facts, '$._group_received',"
            " printf('%%.2f', p.received / 100.0)) ELSE p.facts END"
        )
    _execute(
        cursor,
        "INSERT INTO subsidies_award (scheme_id, enterprise_id, period, status, computed_amount, amount,"  # noqa: S608
        " waitlisted, explanation, facts, run_id, created_at, bank_name, bank_account_name, bank_account,"
        " reason)"
        f" SELECT p.sid, p.eid, s.period, %s, p.amount, p.amount, {false}, {explanation}, {facts}, %s, %s,"
        " '', '', '', ''"
        " FROM subsidies_m_p p JOIN subsidies_scheme s ON s.id = p.sid"
        f" WHERE NOT p.has_award AND p.sid IN ({in_selected})"
        " ON CONFLICT DO NOTHING RETURNING scheme_id",
        [AwardStatus.CANDIDATE, pending, run_id, now],
    )
    for (sid,) in cursor.fetchall():
        stats[sid]["new"] += 1
    _execute(
        cursor,
        "INSERT INTO subsidies_undetermined (run_id, scheme_id, enterprise_id, missing)"  # noqa: S608
        f" SELECT %s, c.sid, c.eid, COALESCE(c.missing, {nulls_in_facts}) FROM subsidies_m_c c"
        f" WHERE (c.ok IS NULL OR c.amount IS NULL) AND c.sid IN ({in_selected})"
        " ON CONFLICT DO NOTHING",
        [run_id],
    )
    statuses = ", ".join(["%s"] * len(LIVE_UNPAID))
    # The chunk's awards by the (enterprise, status) index; SQLite is told, as it may prefer the status one.
    scope_sql, scope_params = scope.sql("a.enterprise_id")
    indexed = "" if connection.vendor == "postgresql" else " INDEXED BY award_enterprise_status_idx"
    _execute(
        cursor,
        "INSERT INTO subsidies_lostcandidate (run_id, award_id)"  # noqa: S608
        f" SELECT %s, a.id FROM subsidies_award a{indexed} JOIN subsidies_scheme s ON s.id = a.scheme_id"
        f" WHERE {scope_sql} AND a.scheme_id IN ({in_selected}) AND a.period = s.period"
        f" AND a.status IN ({statuses})"
        " AND NOT EXISTS (SELECT 1 FROM subsidies_m_c c"
        "  WHERE c.eid = a.enterprise_id AND c.sid = a.scheme_id)"
        # Lost once: the diff says what changed since, not again every night the award stays unmet.
        " AND NOT EXISTS (SELECT 1 FROM subsidies_lostcandidate l WHERE l.award_id = a.id)"
        " ON CONFLICT DO NOTHING RETURNING award_id",
        [run_id, *scope_params, *LIVE_UNPAID],
    )
    lost = [award_id for (award_id,) in cursor.fetchall()]
    if lost:
        for sid in Award.objects.filter(pk__in=lost).values_list("scheme_id", flat=True):
            stats[sid]["lost"] += 1


# ---- chunks and runs ------------------------------------------------------------------------------------


def _chunk_bounds(enterprise_ids: Sequence[int] | None) -> list[tuple[int, int]]:
    """Keyset id ranges of at most ~total/MAX_CHUNKS enterprises (at least MIN_CHUNK) each."""
    queryset = Enterprise.objects.order_by("id")
    if enterprise_ids is not None:
        queryset = queryset.filter(id__in=list(enterprise_ids))
    total = queryset.count()
    if not total:
        return []
    size = max(MIN_CHUNK, math.ceil(total / MAX_CHUNKS))
    ids = queryset.values_list("id", flat=True)
    bounds, last = [], None
    while True:
        remaining = ids if last is None else ids.filter(id__gt=last)
        first = remaining.first()
        if first is None:
            return bounds
        upper = list(remaining[size - 1 : size])
        end = upper[0] if upper else remaining.aggregate(top=Max("id"))["top"]
        bounds.append((first, end))
        last = end


_plans: dict[tuple, _Plan] = {}


def _run_plan(run: MatchRun) -> _Plan:
    """The run's compiled plan, kept per process for runs with the same rules (compiling 100 costs)."""
    key = (connection.vendor, json.dumps(run.rules, sort_keys=True, default=str))
    plan = _plans.get(key)
    if plan is None:
        if len(_plans) > 8:
            _plans.clear()
        plan = _plans[key] = _plan(run.rules)
    return plan


def chunk_execute(*, chunk_id: int) -> bool:
    """比对分片: evaluate one chunk and record it done; False when it was already done (redelivered)."""
    with transaction.atomic():
        # Only the chunk's row: locking the joined run row too would queue the run's chunks one by one.
        chunk = MatchChunk.objects.select_for_update(of=("self",)).select_related("run").get(pk=chunk_id)
        if chunk.done_at is not None:
            return False
        run = chunk.run
        scope = _Scope(chunk.id_from, chunk.id_to, run.enterprise_ids or None)
        stats, fingerprint, failures = _guarded_chunk(run, scope)
        MatchFailure.objects.bulk_create(failures)
        chunk.stats = stats
        chunk.fingerprint = fingerprint
        chunk.inserted = sum(counts["new"] for counts in stats.values())
        chunk.done_at = timezone.now()
        chunk.save(update_fields=["stats", "fingerprint", "inserted", "done_at"])
    return True


def _guarded_chunk(run: MatchRun, scope: _Scope) -> tuple[dict, str, list[MatchFailure]]:
    """The chunk's statements, with any scheme whose rule fails in them set aside and recorded.

    One statement evaluates every rule, so a rule that raises (an overflow, a number beyond what the
    award column holds) would fail them all: the chunk is run again without that scheme, and the scheme,
    the first enterprise it fails on and the message are returned for ``MatchFailure``.
    """
    snapshot = run.rules
    failures: list[MatchFailure] = []
    plan = _run_plan(run)
    while True:
        try:
            with transaction.atomic():
                stats, fingerprint = _chunk_statements(
                    plan,
                    scope,
                    run_id=run.pk,
                    dry_run=run.dry_run,
                    # A chunk with a scheme set aside is never taken over by a later run.
                    fingerprint=run.trigger != "facts" and not failures,
                )
            return stats, fingerprint, failures
        except DatabaseError as error:
            ids = {failure.scheme_id for failure in failures}
            entries = [entry for entry in snapshot.get("schemes", []) if entry["id"] not in ids]
            found = _failing(entries, scope, run=run, error=error)
            if not found:
                raise
            failures.extend(found)
            ids |= {failure.scheme_id for failure in found}
            snapshot = {
                "schemes": [entry for entry in snapshot["schemes"] if entry["id"] not in ids],
                "selected": [sid for sid in snapshot.get("selected", []) if sid not in ids],
            }
            plan = _plan(snapshot)


def _fails(entries: list[dict], scope: _Scope, *, run: MatchRun) -> DatabaseError | None:
    """The error these schemes' statements raise on these enterprises (tried and rolled back), or None."""
    plan = _plan({"schemes": entries, "selected": [entry["id"] for entry in entries]})
    try:
        with transaction.atomic():
            _chunk_statements(plan, scope, run_id=run.pk, dry_run=True, fingerprint=False)
            transaction.set_rollback(True)
    except DatabaseError as error:
        return error
    return None


def _failing(
    entries: list[dict], scope: _Scope, *, run: MatchRun, error: DatabaseError
) -> list[MatchFailure]:
    """The schemes whose statements fail on the chunk, each with the first enterprise it fails on.

    Halving: a handful of rolled-back tries find one failing scheme among a hundred, and one enterprise
    among a chunk's tens of thousands. Only a chunk that failed pays for this.
    """
    if not entries:
        return []
    failed = _fails(entries, scope, run=run)
    if failed is None:
        return []
    if len(entries) > 1:
        half = len(entries) // 2
        return _failing(entries[:half], scope, run=run, error=failed) + _failing(
            entries[half:], scope, run=run, error=failed
        )
    ids = list(
        Enterprise.objects.filter(pk__gte=scope.id_from, pk__lte=scope.id_to)
        .filter(**({"pk__in": scope.enterprise_ids} if scope.enterprise_ids is not None else {}))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    while len(ids) > 1:
        first = ids[: len(ids) // 2]
        narrowed = _Scope(first[0], first[-1], scope.enterprise_ids)
        found = _fails(entries, narrowed, run=run)
        if found is not None:
            ids, failed = first, found
        else:
            ids = ids[len(first) :]
    (scheme,) = _schemes_of({"schemes": entries})
    enterprise = Enterprise.objects.filter(pk__in=ids[:1]).first()
    return [
        MatchFailure(
            run=run,
            scheme_id=scheme.pk,
            enterprise=enterprise,
            id_from=scope.id_from,
            id_to=scope.id_to,
            message=_failure_message(scheme, enterprise, failed),
        )
    ]


def _failure_message(scheme: Scheme, enterprise: Enterprise | None, error: DatabaseError) -> str:
    """Why the rule failed, in Python's words when Python fails on it too, else the database's."""
    if enterprise is not None:
        facts = facts_from_record(Record.load(enterprise), context_of(scheme))
        _explanation, problem = _evaluated(scheme, facts)
        if problem:
            return problem
    first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return _("数据库计算该方案的规则时出错：%(error)s") % {"error": first_line}


def _notify_failures(run: MatchRun) -> None:
    """Tell the staff who keep the schemes that a run set some aside; once per run."""
    codes = sorted(set(run.failures.values_list("scheme__code", flat=True)))
    staff = User.objects.with_perm(
        "subsidies.change_scheme", backend="django.contrib.auth.backends.ModelBackend"
    ).filter(is_active=True, is_staff=True)
    notify(
        recipients=staff,
        key=f"subsidies:run:{run.pk}:failures",
        title=_("比对批次 #%(run)s 有 %(n)d 个方案的规则计算出错，未完成比对")
        % {"run": run.pk, "n": len(codes)},
        body=_("出错的方案：%(codes)s。请在后台“规则计算错误”中查看出错的企业和原因，修改规则后重新比对。")
        % {"codes": "、".join(codes)},
        url=reverse("admin:subsidies_matchfailure_changelist") + f"?run__id__exact={run.pk}",
    )


def run_finish(*, run_id: int) -> MatchRun | None:
    """Total a run whose chunks are all done and mark it finished, once; None if chunks are pending."""
    with transaction.atomic():
        run = MatchRun.objects.select_for_update().get(pk=run_id)
        if run.status != RunStatus.RUNNING:
            return run
        if run.chunks.filter(done_at__isnull=True).exists():
            return None
        totals: dict[str, dict] = {}
        selected = set(run.rules.get("selected", []))
        plan_codes = [entry["code"] for entry in run.rules.get("schemes", []) if entry["id"] in selected]
        for code in plan_codes:
            totals[code] = {"eligible": 0, "undetermined": 0, "new": 0, "lost": 0, "amount": Decimal(0)}
        for stats in run.chunks.values_list("stats", flat=True):
            for code, counts in stats.items():
                total = totals.setdefault(
                    code, {"eligible": 0, "undetermined": 0, "new": 0, "lost": 0, "amount": Decimal(0)}
                )
                for key in ("eligible", "undetermined", "new", "lost"):
                    total[key] += counts[key]
                total["amount"] += Decimal(counts["amount"])
        run.totals = {
            code: {**total, "amount": format(total["amount"], "f")} for code, total in sorted(totals.items())
        }
        failed = run.failures.exists()
        run.status = RunStatus.COMPLETED_WITH_ERRORS if failed else RunStatus.FINISHED
        run.finished_at = timezone.now()
        run.save(update_fields=["totals", "status", "finished_at"])
        if failed and not run.dry_run:
            _notify_failures(run)
    return run


@contextlib.contextmanager
def match_lock() -> Iterator[None]:
    """Hold the matching lock (PostgreSQL advisory lock / SQLite file lock) or raise MatchError."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
            (locked,) = cursor.fetchone()
        if not locked:
            raise MatchError(_busy_message())
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
        return
    with open(_lock_path(), "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise MatchError(_busy_message()) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _lock_path() -> str:
    """The lock file of this SQLite database, in the temporary directory (never beside the project)."""
    name = str(connection.settings_dict["NAME"])
    if "memory" in name or not os.path.isabs(name):
        name = f"{name}:{os.getpid()}"  # an in-memory database lives in one process: so does its lock
    digest = hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest()[:16]
    return os.path.join(tempfile.gettempdir(), f"subsidies-match-{digest}.lock")


def _busy_message() -> str:
    running = MatchRun.objects.filter(status=RunStatus.RUNNING, dry_run=False).order_by("id").first()
    if running is None:
        return _("另一个比对批次正在启动或运行，请待其结束后再试。")
    done = running.chunks.filter(done_at__isnull=False).count()
    return _("比对批次 #%(id)s 正在运行（已完成 %(done)s/%(total)s 个分片），请待其结束后再试。") % {
        "id": running.pk,
        "done": done,
        "total": running.chunk_count,
    }


def _last_activity(run: MatchRun) -> dt.datetime:
    done = run.chunks.aggregate(last=Max("done_at"))["last"]
    return max(filter(None, [run.started_at, done]))


def _resumable(*, queued: bool) -> MatchRun | None:
    """The run left running (its process died), or MatchError if a queued run is still progressing."""
    MatchRun.objects.filter(status=RunStatus.RUNNING, dry_run=True).update(
        status=RunStatus.FAILED, error=_("试运行中断"), finished_at=timezone.now()
    )
    running = MatchRun.objects.filter(status=RunStatus.RUNNING).order_by("id").first()
    if running is None:
        return None
    if running.queued and timezone.now() - _last_activity(running) < STALE_AFTER:
        raise MatchError(_busy_message())
    if running.queued != queued:
        running.queued = queued
        running.save(update_fields=["queued"])
    return running


def _create_run(
    *,
    trigger: str,
    scheme_codes: Sequence[str] | None,
    enterprise_ids: Sequence[int] | None,
    dry_run: bool,
    queued: bool,
) -> MatchRun:
    schemes, selected = _select_schemes(scheme_codes)  # refuses unknown codes before anything is written
    bounds = _chunk_bounds(enterprise_ids)
    if connection.vendor == "postgresql" and trigger != "facts":
        # Fresh statistics of the awards, so the chunks' lookups into them are planned on what is there.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE subsidies_award")
    run = MatchRun.objects.create(
        trigger=trigger,
        scheme_codes=list(scheme_codes or []),
        enterprise_ids=list(enterprise_ids or []),
        dry_run=dry_run,
        queued=queued,
        chunk_count=len(bounds),
        rules=_snapshot(schemes, selected),
    )
    MatchChunk.objects.bulk_create(
        [
            MatchChunk(run=run, index=index, id_from=low, id_to=high)
            for index, (low, high) in enumerate(bounds)
        ]
    )
    return run


def match_run_execute(
    *,
    trigger: str = "manual",
    scheme_codes: Sequence[str] | None = None,
    enterprise_ids: Sequence[int] | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> MatchRun:
    """Run a match in this process, chunk by chunk (each its own transaction); resume a dead run first."""
    say = progress or (lambda message: None)
    with match_lock():
        with transaction.atomic():
            run = None if dry_run else _resumable(queued=False)
            if run is not None:
                say(_("续跑未完成的比对批次 #%(id)s") % {"id": run.pk})
            else:
                run = _create_run(
                    trigger=trigger,
                    scheme_codes=scheme_codes,
                    enterprise_ids=enterprise_ids,
                    dry_run=dry_run,
                    queued=False,
                )
        pending = list(run.chunks.filter(done_at__isnull=True).order_by("index").values_list("id", "index"))
        for chunk_id, index in pending:
            chunk_execute(chunk_id=chunk_id)
            say(_("分片 %(index)s/%(total)s 完成") % {"index": index + 1, "total": run.chunk_count})
        finished = run_finish(run_id=run.pk)
    return finished or run


def match_run_start(
    *,
    trigger: str = "nightly",
    scheme_codes: Sequence[str] | None = None,
    enterprise_ids: Sequence[int] | None = None,
) -> MatchRun:
    """Start (or resume) a run whose chunks Celery workers execute; queued after commit."""
    with match_lock(), transaction.atomic():
        run = _resumable(queued=True)
        if run is None:
            run = _create_run(
                trigger=trigger,
                scheme_codes=scheme_codes,
                enterprise_ids=enterprise_ids,
                dry_run=False,
                queued=True,
            )
        pending = list(run.chunks.filter(done_at__isnull=True).order_by("index").values_list("id", flat=True))
        run_id = run.pk
        if pending:
            transaction.on_commit(lambda: _queue_chunks(pending))
        else:
            transaction.on_commit(lambda: run_finish(run_id=run_id))
    return run


def _queue_chunks(chunk_ids: list[int]) -> None:
    # Imported when queueing, after commit: tasks import this module, this module does not import them.
    from subsidies.tasks import match_chunk_task

    for chunk_id in chunk_ids:
        match_chunk_task.delay(chunk_id)


def chunk_done(*, chunk_id: int) -> None:
    """After a chunk: finish its run if it was the last (whichever chunk commits last does it)."""
    run_id = MatchChunk.objects.values_list("run_id", flat=True).get(pk=chunk_id)
    run_finish(run_id=run_id)


def run_summary(run: MatchRun) -> dict:
    """What ``match_subsidies`` prints: the run id and, per scheme, its counts and eligible amount."""
    return {
        "run": run.pk,
        "schemes": [{"code": code, **counts} for code, counts in sorted(run.totals.items())],
    }


# ---- facts changed ------------------------------------------------------------------------------------


# Up to this many enterprises are re-matched in Python: for a few, planning one statement of 100 rules
# (~20 ms on PostgreSQL) costs more than evaluating them; an import of thousands takes the chunk path.
PYTHON_REMATCH_LIMIT = 50


def enterprise_rematch(*, enterprise_ids: Iterable[int]) -> MatchRun | None:
    """Re-evaluate changed enterprises: new candidates are created, unpaid awards no longer met revoked.

    Returns the run that records what changed, or None when nothing did (then nothing is written).
    """
    from subsidies.services import award_revoke

    ids = sorted({int(i) for i in enterprise_ids})
    if not ids or not _active_schemes().exists():
        return None
    with transaction.atomic():
        run = _rematch_python(ids) if len(ids) <= PYTHON_REMATCH_LIMIT else _rematch_sql(ids)
        if run is None:
            return None
        lost = list(
            Award.objects.filter(pk__in=LostCandidate.objects.filter(run=run).values("award"))
            .select_related("scheme", "enterprise")
            .order_by("id")
        )
        for award in lost:
            award_revoke(award=award, reason=_revocation_reason(award))
    return run


def _rematch_sql(ids: list[int]) -> MatchRun | None:
    """Re-match through the chunk statements (many enterprises)."""
    run = _create_run(trigger="facts", scheme_codes=None, enterprise_ids=ids, dry_run=False, queued=False)
    for chunk_id in run.chunks.values_list("id", flat=True):
        chunk_execute(chunk_id=chunk_id)
    run = run_finish(run_id=run.pk)
    if not (run.awards.exists() or run.lost.exists() or run.undetermined.exists()):
        run.delete()  # nothing changed for these enterprises: no run to review
        return None
    return run


PAYABLE, UNDETERMINED, INELIGIBLE, NOT_PAYABLE = "payable", "undetermined", "ineligible", "not_payable"
FAILED = "failed"


def _zero_counts() -> dict:
    return {"eligible": 0, "undetermined": 0, "new": 0, "lost": 0, "amount": Decimal(0)}


def _rematch_python(ids: list[int]) -> MatchRun | None:
    """Re-match a few enterprises in Python, deciding as the chunk statements decide; write only changes."""
    schemes, _selected = _select_schemes(None)
    new_awards, undetermined, lost_ids, failures = [], [], [], []
    totals = {scheme.code: _zero_counts() for scheme in schemes}
    already_lost = set(
        LostCandidate.objects.filter(award__enterprise_id__in=ids).values_list("award_id", flat=True)
    )
    held_by = defaultdict(list)
    for award in Award.objects.filter(enterprise_id__in=ids).select_related("scheme"):
        held_by[award.enterprise_id].append(award)
    for enterprise in Enterprise.objects.filter(pk__in=ids).order_by("pk"):
        held = held_by[enterprise.pk]
        for scheme, (state, amount, facts) in _python_outcomes(enterprise, schemes, held).items():
            counts = totals[scheme.code]
            own = next((a for a in held if a.scheme_id == scheme.pk and a.period == scheme.period), None)
            if state == FAILED:
                failures.append(
                    MatchFailure(
                        scheme=scheme,
                        enterprise=enterprise,
                        id_from=enterprise.pk,
                        id_to=enterprise.pk,
                        message=amount,
                    )
                )
            elif state == UNDETERMINED:
                counts["undetermined"] += 1
                missing = sorted(name for name, value in facts.items() if value is None and name in VARIABLES)
                undetermined.append(Undetermined(scheme=scheme, enterprise=enterprise, missing=missing))
            elif state == PAYABLE:
                counts["eligible"] += 1
                counts["amount"] += amount
                if own is None:
                    counts["new"] += 1
                    new_awards.append(_python_award(scheme, enterprise, amount, facts))
            elif (
                state == INELIGIBLE
                and own is not None
                and own.status in LIVE_UNPAID
                and own.pk not in already_lost
            ):
                counts["lost"] += 1
                lost_ids.append(own.pk)
    if not (new_awards or undetermined or lost_ids or failures):
        return None
    # The run records the schemes it has something to say about, and their rules.
    failed = {failure.scheme.code for failure in failures}
    touched = {code for code, c in totals.items() if c["eligible"] or c["undetermined"] or c["lost"]} | failed
    schemes = [scheme for scheme in schemes if scheme.code in touched]
    run = MatchRun.objects.create(
        trigger="facts",
        enterprise_ids=ids,
        status=RunStatus.COMPLETED_WITH_ERRORS if failures else RunStatus.FINISHED,
        finished_at=timezone.now(),
        rules=_snapshot(schemes, {scheme.pk for scheme in schemes}),
        totals={
            code: {**c, "amount": format(c["amount"], "f")}
            for code, c in sorted(totals.items())
            if code in touched
        },
    )
    for row in (*new_awards, *undetermined):
        row.run = run
    Award.objects.bulk_create(new_awards)
    Undetermined.objects.bulk_create(undetermined)
    LostCandidate.objects.bulk_create([LostCandidate(run=run, award_id=award_id) for award_id in lost_ids])
    for failure in failures:
        failure.run = run
    MatchFailure.objects.bulk_create(failures)
    if failures:
        _notify_failures(run)
    return run


def _python_award(scheme: Scheme, enterprise: Enterprise, amount: Decimal, facts: dict) -> Award:
    """A new candidate exactly as the chunk statements write it: facts as exact text, trace pending."""
    return Award(
        scheme=scheme,
        enterprise=enterprise,
        period=scheme.period,
        status=AwardStatus.CANDIDATE,
        computed_amount=amount,
        amount=amount,
        explanation=dict(PENDING_EXPLANATION),
        facts=facts_to_json(facts),
    )


def _python_outcomes(enterprise: Enterprise, schemes: list[Scheme], held: list[Award]) -> dict:
    """Per scheme: (state, amount if payable, the facts it reads) for one enterprise, as the SQL decides.

    Blacklisted or rule false: ineligible (a held unpaid award is lost). Rule unknown, or eligible with an
    unknown amount: undetermined. Eligible with an amount of zero or less, blocked in its exclusive group
    by a live award of another scheme of the period, or outranked in it (higher amount, then smaller
    code): not payable. Otherwise payable.
    """
    record = Record.load(enterprise)
    facts_by_context: dict[Context, dict] = {}
    results: dict[Scheme, list] = {}
    for scheme in schemes:
        context = context_of(scheme)
        if context not in facts_by_context:
            facts_by_context[context] = facts_from_record(record, context)
        every = facts_by_context[context]
        _rule, _amount, used, eligibility, amount_rule = _parsed(scheme)
        facts = {name: every[name] for name in sorted(used)}
        if enterprise.blacklisted:
            results[scheme] = [INELIGIBLE, None, facts]
            continue
        try:
            ok = rules.logic.truth(eligibility(every))
            if ok:
                received = _group_received(scheme, held)
                amount = award_amount(amount_rule(every), cap=scheme.cap_per_enterprise, received=received)
        except rules.RuleError as error:
            # As the chunk statements set the scheme aside: recorded, nothing decided, nothing lost.
            results[scheme] = [FAILED, str(error), facts]
            continue
        if ok is None:
            results[scheme] = [UNDETERMINED, None, facts]
            continue
        if not ok:
            results[scheme] = [INELIGIBLE, None, facts]
            continue
        if scheme.top_up and scheme.exclusive_group:
            facts["_group_received"] = received.quantize(Decimal("0.01"))
        if amount is None:
            results[scheme] = [UNDETERMINED, None, facts]
        elif amount <= 0:
            results[scheme] = [NOT_PAYABLE, None, facts]
        else:
            results[scheme] = [PAYABLE, amount, facts]
    contenders = defaultdict(list)
    for scheme, result in results.items():
        if result[0] != PAYABLE:
            continue
        if scheme.exclusive_group and any(
            a.scheme.exclusive_group == scheme.exclusive_group
            and a.period == scheme.period
            and a.scheme_id != scheme.pk
            and a.status != AwardStatus.REVOKED
            for a in held
        ):
            result[0], result[1] = NOT_PAYABLE, None
            continue
        group = f"group:{scheme.exclusive_group}" if scheme.exclusive_group else f"scheme:{scheme.code}"
        contenders[(scheme.period, group)].append(scheme)
    for members in contenders.values():
        winner = min(members, key=lambda scheme: (-results[scheme][1], scheme.code))
        for scheme in members:
            if scheme is not winner:
                results[scheme][0], results[scheme][1] = NOT_PAYABLE, None
    return {scheme: tuple(result) for scheme, result in results.items()}


def _group_received(scheme: Scheme, held: list[Award]) -> Decimal:
    """What a top-up scheme's group paid the enterprise in earlier periods (from its held awards)."""
    if not (scheme.top_up and scheme.exclusive_group):
        return Decimal(0)
    return sum(
        (
            a.amount
            for a in held
            if a.scheme.exclusive_group == scheme.exclusive_group
            and a.period < scheme.period
            and a.status in RECEIVED
        ),
        Decimal(0),
    )


def _revocation_reason(award: Award) -> str:
    explanation = explain_for(scheme=award.scheme, enterprise=award.enterprise)
    failed = [clause.text for clause in explanation.trace if clause.status != "pass"]
    detail = "；".join(failed) if failed else _("不再符合条件")
    return _("企业数据更新后不再符合“%(title)s”的条件：%(detail)s") % {
        "title": award.scheme.title,
        "detail": detail,
    }


# ---- a rule over a few enterprises, in SQL --------------------------------------------------------------


def sql_evaluate(
    *, rule: Any, context: Context, enterprise_ids: Sequence[int], amount: bool = False, value: bool = False
) -> dict[int, Any]:
    """A rule as the database evaluates it for these enterprises (the compiled path): {id: result}.

    A condition gives True / False / None (unknown); an amount rule (``amount``) a Decimal or None;
    ``value`` gives the rule's own value, whatever its type.
    """
    rule = rules.normalize(rule)
    facts = facts_queryset([needs_of(context, rule)], enterprise_ids=list(enterprise_ids))
    facts_sql, facts_params = facts.query.sql_with_params()
    resolve = resolver(context)
    kind = "number" if amount else "boolean"
    if value:
        expression, kind = compile_value(rule, resolve)
    elif amount:
        expression = compile_amount(rule, resolve)
    else:
        expression = compile_condition(rule, resolve)
    sql, params = Query(Enterprise).get_compiler(connection=connection).compile(expression)
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


# ---- one enterprise, in Python --------------------------------------------------------------------------


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
        text=_("企业列入失信名单，不享受任何兑现 ✗"),
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
        text=_("同组（%(group)s）按从高不重复由“%(title)s”兑现 %(amount)s 元 ✗")
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
    explanation = rules.explain(eligibility, facts, variable_specs(context=context))
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
        _active_schemes()
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


# ---- stored explanations ----------------------------------------------------------------------------------


def award_explanation(award: Award) -> Explanation:
    """The award's explanation: stored, or replayed from its facts and the rules its run matched with."""
    stored = award.explanation or {}
    if stored.get("trace") or not stored.get("pending"):
        return Explanation.from_dict(
            {"outcome": stored.get("outcome", "eligible"), "trace": stored.get("trace", [])}
        )
    scheme = award.scheme
    frozen = next(
        (
            entry
            for entry in (award.run.rules if award.run else {}).get("schemes", [])
            if entry["id"] == scheme.pk
        ),
        None,
    )
    if frozen is not None:
        scheme = _schemes_of({"schemes": [frozen]})[0]
    eligibility, _amount = scheme_rules(scheme)
    facts = facts_from_json(award.facts or {})
    return rules.explain(eligibility, facts, variable_specs(context=context_of(scheme)))


def awards_explain(*, awards: Iterable[Award]) -> int:
    """Store the traces of awards whose explanation is still pending; how many were written."""
    changed = []
    for award in awards:
        stored = award.explanation or {}
        if not stored.get("pending"):
            continue
        explanation = award_explanation(award)
        award.explanation = {
            **{key: value for key, value in stored.items() if key != "pending"},
            **explanation.as_dict(),
        }
        changed.append(award)
    Award.objects.bulk_update(changed, ["explanation"], batch_size=1000)
    return len(changed)
