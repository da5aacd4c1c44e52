"""A run's lifecycle: the lock, its chunks created, executed (in process or by workers) and totalled."""

import contextlib
import datetime as dt
import fcntl
import hashlib
import math
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from subsidies.catalogues import catalogue
from subsidies.matching.failures import _guarded_chunk, _notify_failures
from subsidies.matching.plan import _Scope
from subsidies.matching.schemes import MatchError, _select_schemes, _snapshot
from subsidies.models import Beneficiary, MatchChunk, MatchFailure, MatchRun, RunStatus

# At most this many chunks per run, so a nightly run is at most MAX_CHUNKS + 1 Celery tasks. Each chunk
# plans two statements of every rule (~40 ms for 100 schemes on PostgreSQL): 25 keeps that near 1 s for
# a full run while leaving enough chunks for workers to share (1,000,000 enterprises: 40,000 each).
MAX_CHUNKS = 25
# Fewer enterprises than this are one chunk: below it a statement's fixed cost (planning 100 rule
# branches takes ~30 ms on PostgreSQL) outweighs what splitting gains.
MIN_CHUNK = 10_000
# A queued run with no chunk done for this long is taken for dead and resumed by the next start.
STALE_AFTER = dt.timedelta(minutes=30)
# Any arbitrary 64-bit key, the same in every process: the PostgreSQL advisory lock of matching.
LOCK_KEY = 4_710_012_023

Progress = Callable[[str], None]


def _chunk_bounds(
    enterprise_ids: Sequence[int] | None, beneficiary: str = Beneficiary.ENTERPRISES
) -> list[tuple[int, int]]:
    """Keyset id ranges of at most ~total/MAX_CHUNKS enterprises (or purchases; at least MIN_CHUNK) each."""
    queryset = catalogue(beneficiary).model.objects.order_by("id")
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


def chunk_execute(*, chunk_id: int) -> bool:
    """比对分片: evaluate one chunk and record it done; False when it was already done (redelivered)."""
    with transaction.atomic():
        # Only the chunk's row: locking the joined run row too would queue the run's chunks one by one.
        chunk = MatchChunk.objects.select_for_update(of=("self",)).select_related("run").get(pk=chunk_id)
        if chunk.done_at is not None:
            return False
        run = chunk.run
        # A run narrowed to enterprises (a facts change) has no household chunks.
        scope = _Scope(chunk.id_from, chunk.id_to, run.enterprise_ids or None)
        stats, fingerprint, failures = _guarded_chunk(run, scope, chunk.beneficiary)
        MatchFailure.objects.bulk_create(failures)
        chunk.stats = stats
        chunk.fingerprint = fingerprint
        chunk.inserted = sum(counts["new"] for counts in stats.values())
        chunk.done_at = timezone.now()
        chunk.save(update_fields=["stats", "fingerprint", "inserted", "done_at"])
    return True


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
    # A run narrowed to some enterprises (a facts change) matches the enterprise schemes only.
    only = Beneficiary.ENTERPRISES if enterprise_ids else None
    # Refuses unknown codes before anything is written.
    schemes, selected = _select_schemes(scheme_codes, beneficiary=only)
    # Enterprises are always split (a run with no scheme of theirs still lists their lost candidates);
    # purchases only when a household scheme is matched.
    bounds = [(Beneficiary.ENTERPRISES, low, high) for low, high in _chunk_bounds(enterprise_ids)]
    if any(scheme.beneficiary == Beneficiary.HOUSEHOLDS for scheme in schemes):
        bounds += [
            (Beneficiary.HOUSEHOLDS, low, high) for low, high in _chunk_bounds(None, Beneficiary.HOUSEHOLDS)
        ]
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
            MatchChunk(run=run, index=index, beneficiary=kind, id_from=low, id_to=high)
            for index, (kind, low, high) in enumerate(bounds)
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
