"""The chunk statements: one chunk's enterprises matched against every scheme of a plan in bulk."""

import contextlib
import json
from collections.abc import Iterator
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from subsidies.matching.fingerprints import (
    _awards_digest,
    _facts_digest,
    _fingerprint,
    _same_chunk,
    _take_over,
)
from subsidies.matching.plan import _execute, _Plan, _Scope
from subsidies.matching.schemes import LIVE_UNPAID, PENDING_EXPLANATION
from subsidies.models import Award, AwardStatus, Beneficiary

# A chunk's working tables, private to its database session and dropped at its end.
TEMP_TABLES = ("subsidies_m_x", "subsidies_m_f", "subsidies_m_h", "subsidies_m_c", "subsidies_m_p")


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
    # The awards' column naming the beneficiary: enterprise_id or purchase_id (a name of ours, not input).
    owner = plan.catalogue.column
    collate = ' COLLATE "C"' if connection.vendor == "postgresql" else ""
    now = timezone.now()
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgres:
            # JIT compiling 100 rule expressions costs PostgreSQL about a second, for 0.1 s of work.
            _execute(cursor, "SET LOCAL jit = off")
        for table in TEMP_TABLES:
            _execute(cursor, f"DROP TABLE IF EXISTS {table}")
        facts = plan.catalogue.facts_queryset(
            plan.needs,
            id_from=scope.id_from,
            id_to=scope.id_to,
            enterprise_ids=scope.enterprise_ids,
        )
        facts_sql, facts_params = facts.query.sql_with_params()
        facts_digest = before = computed = ""
        if fingerprint:
            if plan.catalogue.kind != Beneficiary.ENTERPRISES:
                # Households fingerprint their computed facts (counting the buyers' other purchases is
                # most of a chunk's reading): computed once, hashed, and read by stage 1.
                computed = "subsidies_m_x"
                _execute(cursor, f"CREATE TEMP TABLE {computed} AS {facts_sql}", facts_params)
                facts_sql, facts_params = f"SELECT * FROM {computed}", ()  # noqa: S608 - our table
            facts_digest = _facts_digest(cursor, plan, scope, computed=computed)
            before = _fingerprint(plan, facts_digest, _awards_digest(cursor, plan, scope))
            previous = None if dry_run else _same_chunk(before)
            if previous is not None:
                return _take_over(cursor, plan, scope, previous, run_id=run_id), before
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
        pair = (
            "SELECT c.eid, c.sid, c.amount, c.received, c.facts,"  # noqa: S608
            f" EXISTS (SELECT 1 FROM subsidies_award a WHERE a.scheme_id = c.sid AND a.{owner} = c.eid"
            "  AND a.period = s.period) AS has_award"
        )
        # A scheme in no group pays each of its hits; only a group's hits are ranked (从高不重复), so only
        # they are sorted.
        _execute(
            cursor,
            f"CREATE TEMP TABLE subsidies_m_p AS {pair}"  # noqa: S608
            " FROM subsidies_m_c c JOIN subsidies_scheme s ON s.id = c.sid"
            " WHERE c.ok AND c.amount > 0 AND s.exclusive_group = ''"
            " UNION ALL SELECT r.eid, r.sid, r.amount, r.received, r.facts, r.has_award FROM ("
            f" {pair}, ROW_NUMBER() OVER (PARTITION BY c.eid, s.period, s.exclusive_group"
            f"  ORDER BY c.amount DESC, s.code{collate}) AS rn"
            " FROM subsidies_m_c c JOIN subsidies_scheme s ON s.id = c.sid"
            " WHERE c.ok AND c.amount > 0 AND s.exclusive_group <> '' AND NOT EXISTS ("
            "  SELECT 1 FROM subsidies_award a JOIN subsidies_scheme o ON o.id = a.scheme_id"
            f"  WHERE a.{owner} = c.eid AND a.period = s.period"
            "  AND o.exclusive_group = s.exclusive_group"
            "  AND a.scheme_id <> c.sid AND a.status <> %s)"
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
            _execute(cursor, f"DROP TABLE IF EXISTS {table}")
        after = before
        if fingerprint and not dry_run:
            after = _fingerprint(plan, facts_digest, _awards_digest(cursor, plan, scope))
    codes = {scheme.pk: scheme.code for scheme in plan.schemes}
    counts = {
        codes[sid]: {**counts, "amount": format(counts["amount"], "f")} for sid, counts in stats.items()
    }
    return counts, after


@contextlib.contextmanager
def _savepoint(*, rollback: bool) -> Iterator[None]:
    with transaction.atomic():
        yield
        if rollback:
            transaction.set_rollback(True)


def _write(cursor, plan: _Plan, scope: _Scope, stats: dict, *, in_selected: str, run_id: int, now) -> None:
    """The chunk's writes: the lost candidates, new awards, the undetermined list."""
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
    owner = plan.catalogue.column
    # Lost candidates first: the awards written next are all met (they come from the hits), so they
    # would only be read to be passed over, on a first run every award of the chunk.
    statuses = ", ".join(["%s"] * len(LIVE_UNPAID))
    # The chunk's awards by the (enterprise, status) index; SQLite is told, as it may prefer the status one.
    scope_sql, scope_params = scope.sql(f"a.{owner}")
    index = plan.catalogue.awards_index
    indexed = "" if connection.vendor == "postgresql" or not index else f" INDEXED BY {index}"
    _execute(
        cursor,
        "INSERT INTO subsidies_lostcandidate (run_id, award_id)"  # noqa: S608
        f" SELECT %s, a.id FROM subsidies_award a{indexed} JOIN subsidies_scheme s ON s.id = a.scheme_id"
        f" WHERE {scope_sql} AND a.scheme_id IN ({in_selected}) AND a.period = s.period"
        f" AND a.status IN ({statuses})"
        " AND NOT EXISTS (SELECT 1 FROM subsidies_m_c c"
        f"  WHERE c.eid = a.{owner} AND c.sid = a.scheme_id)"
        # Lost once: the diff says what changed since, not again every night the award stays unmet.
        " AND NOT EXISTS (SELECT 1 FROM subsidies_lostcandidate l WHERE l.award_id = a.id)"
        " ON CONFLICT DO NOTHING RETURNING award_id",
        [run_id, *scope_params, *LIVE_UNPAID],
    )
    lost = [award_id for (award_id,) in cursor.fetchall()]
    if lost:
        for sid in Award.objects.filter(pk__in=lost).values_list("scheme_id", flat=True):
            stats[sid]["lost"] += 1
    insert = (
        f"INSERT INTO subsidies_award (scheme_id, {owner}, period, status, computed_amount, amount,"  # noqa: S608
        " waitlisted, explanation, facts, run_id, created_at, bank_name, bank_account_name, bank_account,"
        " reason)"
        f" SELECT p.sid, p.eid, s.period, %s, p.amount, p.amount, {false}, {explanation}, {facts}, %s, %s,"
        " '', '', '', ''"
        " FROM subsidies_m_p p JOIN subsidies_scheme s ON s.id = p.sid"
        f" WHERE NOT p.has_award AND p.sid IN ({in_selected})"
        " ON CONFLICT DO NOTHING RETURNING scheme_id"
    )
    params = [AwardStatus.CANDIDATE, pending, run_id, now]
    if connection.vendor == "postgresql":
        # Counted where they are written: a household chunk inserts ~100,000 awards.
        counted = f"WITH n AS ({insert}) SELECT scheme_id, COUNT(*) FROM n GROUP BY scheme_id"  # noqa: S608
        _execute(cursor, counted, params)
        for sid, count in cursor.fetchall():
            stats[sid]["new"] += count
    else:
        _execute(cursor, insert, params)
        for (sid,) in cursor.fetchall():
            stats[sid]["new"] += 1
    _execute(
        cursor,
        f"INSERT INTO subsidies_undetermined (run_id, scheme_id, {owner}, missing)"  # noqa: S608
        f" SELECT %s, c.sid, c.eid, COALESCE(c.missing, {nulls_in_facts}) FROM subsidies_m_c c"
        f" WHERE (c.ok IS NULL OR c.amount IS NULL) AND c.sid IN ({in_selected})"
        " ON CONFLICT DO NOTHING",
        [run_id],
    )
