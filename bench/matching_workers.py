"""The nightly match on real workers under a fault: two Celery workers and beat from the Procfile (honcho).

    python bench/matching_workers.py --enterprises 1000000 --schemes 100

On the database ``DATABASE_URL`` names, with ``REDIS_URL`` the broker; the registry and schemes are
``bench/matching.py``'s (built once per size, reused). Runs the match twice through the workers: once
undisturbed, once with one worker killed by SIGKILL (with its pool) after its first chunk is done. The
killed worker's chunk goes back to the queue when the broker's visibility timeout passes
(``--visibility-timeout``, ``CELERY_VISIBILITY_TIMEOUT`` for the processes) and the other worker runs it.

One JSON line: ``{"enterprises", "schemes", "seconds", "killed_run_seconds", "same_awards",
"max_chunk_seconds", "visibility_timeout_s"}``; ``same_awards`` compares every award (scheme, enterprise,
period, status, amount) of the two runs, ``max_chunk_seconds`` is the longest chunk task the workers
logged, which must stay under the visibility timeout (a longer chunk would be delivered twice).
"""

import argparse
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("bench_matching", ROOT / "bench" / "matching.py")
bench_matching = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench_matching)  # sets Django up

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from portal.celery import app  # noqa: E402
from portal.enterprises.models import Enterprise  # noqa: E402
from subsidies import matching  # noqa: E402
from subsidies.models import MatchChunk, MatchRun, RunStatus  # noqa: E402

say = bench_matching.say
CHUNK_LOG = re.compile(r"Task subsidies\.tasks\.match_chunk\[[^\]]+\] succeeded in ([0-9.]+)s")


def start_honcho(name: str, processes: list[str], log: Path, env: dict) -> subprocess.Popen:
    """``honcho start`` of the Procfile's processes, each worker with one pool process and its own name."""
    return subprocess.Popen(  # noqa: S603 — our own interpreter's honcho on our Procfile
        [sys.executable, "-m", "honcho", "-f", str(ROOT / "Procfile"), "start", *processes],
        cwd=ROOT,
        env={**env, "CELERY_WORKER_NAME": name},
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def descendants(pid: int) -> list[int]:
    found = []
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        for child in map(int, children.read_text().split()):
            found += [child, *descendants(child)]
    return found


def wait_for_workers(count: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        # One reply per worker, keyed by its name (steady@host, doomed@host).
        if len({name for reply in app.control.ping(timeout=1) or [] for name in reply}) >= count:
            return
    raise SystemExit(f"{count} Celery workers did not answer within 120 s")


def award_fingerprint() -> tuple[int, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), md5(coalesce(string_agg(concat_ws(':', scheme_id, enterprise_id, period,"
            " status, amount), ',' ORDER BY scheme_id, enterprise_id, period), '')) FROM subsidies_award"
        )
        return cursor.fetchone()


def wait_finished(run: MatchRun) -> None:
    while True:
        run.refresh_from_db()
        if run.status != RunStatus.RUNNING:
            break
        time.sleep(0.1)
    if run.status != RunStatus.FINISHED:
        raise SystemExit(f"run {run.pk} {run.status}: {run.error}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=1_000_000)
    parser.add_argument("--schemes", type=int, default=100)
    parser.add_argument("--visibility-timeout", type=int, default=60, help="seconds (the broker's)")
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL"):
        parser.error("REDIS_URL must name the Redis the workers use as their broker")
    os.environ["CELERY_VISIBILITY_TIMEOUT"] = str(args.visibility_timeout)

    call_command("migrate", verbosity=0)
    if Enterprise.objects.exclude(uscc__startswith=bench_matching.BENCH_PREFIX).exists():
        raise SystemExit("this database holds data that is not the benchmark's: use an empty database")
    if Enterprise.objects.count() != args.enterprises:
        say(f"building a registry of {args.enterprises} enterprises")
        bench_matching.reset_matching()
        with connection.cursor() as cursor:
            for table in ("enterprises_qualification", "enterprises_annualreport", "enterprises_enterprise"):
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608
        bench_matching.build_registry(args.enterprises)
    bench_matching.build_schemes(args.schemes)
    bench_matching.reset_matching()

    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
        "CELERY_CONCURRENCY": "1",
        "PYTHONWARNINGS": "ignore",
    }
    logs = Path(tempfile.mkdtemp(prefix="matching-workers-"))
    # Two honcho instances, as on two machines: honcho stops all its processes when one of them dies.
    steady = start_honcho("steady", ["worker", "beat"], logs / "steady.log", env)
    doomed = start_honcho("doomed", ["worker"], logs / "doomed.log", env)
    try:
        wait_for_workers(2)
        say("an undisturbed run")
        started = time.perf_counter()
        run = matching.match_run_start(trigger="bench")
        wait_finished(run)
        seconds = time.perf_counter() - started
        undisturbed = award_fingerprint()

        say("a run with one worker killed after its first chunk")
        bench_matching.reset_matching()
        started = time.perf_counter()
        run = matching.match_run_start(trigger="bench")
        while not MatchChunk.objects.filter(run=run, done_at__isnull=False).exists():
            time.sleep(0.02)
        victims = descendants(doomed.pid)
        for pid in victims:
            os.kill(pid, signal.SIGKILL)
        say(f"  killed {len(victims)} processes of the second worker")
        wait_finished(run)
        killed_run_seconds = time.perf_counter() - started
        interrupted = award_fingerprint()
    finally:
        for honcho in (steady, doomed):
            if honcho.poll() is None:
                honcho.send_signal(signal.SIGTERM)  # honcho stops its processes
        for honcho in (steady, doomed):
            try:
                honcho.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(honcho.pid, signal.SIGKILL)
                honcho.wait()

    chunk_seconds = [
        float(match.group(1))
        for log in (logs / "steady.log", logs / "doomed.log")
        for match in CHUNK_LOG.finditer(log.read_text())
    ]
    shutil.rmtree(logs)
    result = {
        "enterprises": args.enterprises,
        "schemes": args.schemes,
        "seconds": round(seconds, 2),
        "killed_run_seconds": round(killed_run_seconds, 2),
        "same_awards": undisturbed == interrupted and undisturbed[0] > 0,
        "awards": undisturbed[0],
        "max_chunk_seconds": round(max(chunk_seconds), 2) if chunk_seconds else None,
        "visibility_timeout_s": args.visibility_timeout,
    }
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
