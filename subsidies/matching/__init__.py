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
4. Unpaid live awards whose enterprise is now ineligible are the run's lost candidates (``LostCandidate``,
   once per award: the diff says what changed since, not again every night), found before the new
   awards are written (those are all met); awards are inserted for payable pairs that have none
   (``WHERE NOT has_award`` first; ``ON CONFLICT DO NOTHING`` covers a concurrent writer); undetermined
   pairs are listed for staff (``Undetermined``). New candidates are the awards whose ``run`` is this run.
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

Two kinds of beneficiary (``Scheme.beneficiary``): enterprises, and households (one house purchase each,
its buyers). A run's chunks are id ranges of one kind (``MatchChunk.beneficiary``): purchases are split
too when a household scheme is active, and a chunk evaluates only its kind's schemes. Everything that
differs comes from ``subsidies.catalogues``: the records the facts relation is built over, the variables
catalogue (``subsidies.household_variables`` for purchases), and the column of the awards (and
undetermined pairs, failures) naming the beneficiary (``purchase_id``). The statements, the three-valued
rules, fingerprints, failures and explanations are the same. A household chunk's fingerprint hashes its
computed facts (a purchase's facts count its buyers' other purchases, outside the chunk): they are
computed once, into ``subsidies_m_x``, hashed there and read from there by stage 1. A run narrowed
to enterprises (a facts change) matches the enterprise schemes only.

The SQL here is built from the compiler's output and this package's own table and column names; values
always travel as parameters (hence the ``noqa: S608``).

The package, by concern (every name callers use is exported here):

- ``schemes``: the active schemes, their parsed rules, the snapshot a run freezes, ``MatchError``;
- ``plan``: a run's schemes with their rules compiled to SQL over the facts table;
- ``chunks``: the chunk statements (stages 1 to 5 above);
- ``fingerprints``: unchanged chunks, fingerprinted and taken over;
- ``failures``: a failing rule set aside (``_guarded_chunk``) and reported to staff;
- ``runs``: a run's lifecycle and the lock;
- ``rematch``: re-matching after a facts change;
- ``evaluation``: one enterprise in Python (``evaluate``, ``explain_for``, ``evaluate_profile``) and a
  rule over a few enterprises in SQL (``sql_evaluate``);
- ``explanations``: stored explanations (``award_explanation``, ``awards_explain``).
"""

from subsidies.matching.evaluation import UNCOMPUTABLE, evaluate, evaluate_profile, explain_for, sql_evaluate
from subsidies.matching.explanations import award_explanation, awards_explain
from subsidies.matching.rematch import enterprise_rematch
from subsidies.matching.runs import (
    MAX_CHUNKS,
    MIN_CHUNK,
    chunk_done,
    chunk_execute,
    match_lock,
    match_run_execute,
    match_run_start,
    run_finish,
    run_summary,
)
from subsidies.matching.schemes import MatchError, context_of, scheme_rules

__all__ = [
    "MAX_CHUNKS",
    "MIN_CHUNK",
    "UNCOMPUTABLE",
    "MatchError",
    "award_explanation",
    "awards_explain",
    "chunk_done",
    "chunk_execute",
    "context_of",
    "enterprise_rematch",
    "evaluate",
    "evaluate_profile",
    "explain_for",
    "match_lock",
    "match_run_execute",
    "match_run_start",
    "run_finish",
    "run_summary",
    "scheme_rules",
    "sql_evaluate",
]
