"""Unchanged chunks: a chunk's fingerprint, and taking over an earlier chunk that hashed the same."""

import hashlib
from collections.abc import Sequence

from django.db import connection, models

from portal.enterprises.models import AnnualReport, Enterprise, Qualification
from subsidies.matching.plan import _execute, _Plan, _Scope
from subsidies.models import Beneficiary, MatchChunk, RunStatus
from subsidies.variables import VARIABLES


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


def _facts_digest(cursor, plan: _Plan, scope: _Scope, *, computed: str = "") -> str:
    """Hash of what the chunk's facts are computed from: its enterprises' fact columns, their annual
    reports of the years the rules read, and their qualifications (with the rules' dates, in the plan's
    digest, these determine every fact). Cheaper than hashing the computed facts.

    Households hash their computed facts; ``computed`` names a table already holding them (the chunk's
    facts relation), hashed instead of computing it again.
    """
    if plan.catalogue.kind != Beneficiary.ENTERPRISES:
        return _computed_facts_digest(cursor, plan, scope, computed=computed)
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


def _computed_facts_digest(cursor, plan: _Plan, scope: _Scope, *, computed: str = "") -> str:
    """Hash of the chunk's facts relation itself (households: a purchase's facts also count the buyers'
    purchases outside the chunk, so its own rows alone do not determine them)."""
    facts = plan.catalogue.facts_queryset(
        plan.needs, id_from=scope.id_from, id_to=scope.id_to, enterprise_ids=scope.enterprise_ids
    )
    facts_sql, facts_params = facts.query.sql_with_params()
    if computed:
        facts_sql, facts_params = f"SELECT * FROM {computed}", ()  # noqa: S608 - a table name of ours
    if connection.vendor == "postgresql":
        sql = (
            "SELECT concat_ws('/', COUNT(*),"  # noqa: S608 - generated SQL, values as params
            f" SUM(hashint8extended(hash_record_extended(f.*, 0), 0)::numeric)) FROM ({facts_sql}) f"
        )
    else:
        names = [*facts.query.values_select, *facts.query.annotation_select]
        row = ", ".join(f'f."{name}"' for name in names)
        sql = (
            f"SELECT group_concat(r, '|') FROM (SELECT json_array({row}) AS r"  # noqa: S608
            f" FROM ({facts_sql}) f ORDER BY f.eid)"
        )
    return _digest(cursor, sql, facts_params)


def _awards_digest(cursor, plan: _Plan, scope: _Scope) -> str:
    """Hash of the chunk's beneficiaries' awards: which exist, in what status, for how much."""
    scope_sql, scope_params = scope.sql(f"a.{plan.catalogue.column}")
    index = plan.catalogue.awards_index
    indexed = f" INDEXED BY {index}" if index else ""
    if connection.vendor == "postgresql":
        sql = (
            "SELECT md5(string_agg(concat_ws(':', a.id, a.scheme_id, a.period, a.status, a.amount,"  # noqa: S608
            f" a.waitlisted), '|' ORDER BY a.id)) FROM subsidies_award a WHERE {scope_sql}"
        )
    else:
        sql = (
            "SELECT group_concat(r, '|') FROM (SELECT a.id || ':' || a.scheme_id || ':' || a.period || ':' ||"  # noqa: S608
            " a.status || ':' || quote(a.amount) || ':' || a.waitlisted AS r"
            f" FROM subsidies_award a{indexed} WHERE {scope_sql} ORDER BY a.id)"
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
    owner = plan.catalogue.column
    scope_sql, scope_params = scope.sql(f"u.{owner}")
    _execute(
        cursor,
        f"INSERT INTO subsidies_undetermined (run_id, scheme_id, {owner}, missing)"  # noqa: S608
        f" SELECT %s, u.scheme_id, u.{owner}, u.missing FROM subsidies_undetermined u"
        f" WHERE u.run_id = %s AND {scope_sql} ON CONFLICT DO NOTHING",
        [run_id, previous.run_id, *scope_params],
    )
    return {code: {**counts, "new": 0, "lost": 0} for code, counts in previous.stats.items()}
