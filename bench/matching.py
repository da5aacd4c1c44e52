"""Benchmark of 免申即享 matching: a synthetic registry and schemes, a full match, one JSON line.

    python bench/matching.py --enterprises 100000 --schemes 20            # through match_subsidies
    python bench/matching.py --enterprises 1000000 --schemes 100 --workers 2   # two Celery workers
    python bench/matching.py --beneficiary households --purchases 1000000 --schemes 5   # house purchases

Runs against the database ``DATABASE_URL`` names (SQLite by default). It owns only what it creates —
enterprises whose USCC starts with ``BENCH_PREFIX`` and schemes under the policy ``bench`` — and refuses
to run on a database holding anything else. The registry is built once per size and reused.

Keys: ``seconds`` is the first full match alone (award writes included): through the management command
in a child process, from the run's start to its finish as the run records them (``command_seconds`` is
the whole process, interpreter and Django start-up included); with ``--workers``, from
``match_run_start`` until the run is finished by the workers. ``rerun_seconds`` (and
``rerun_command_seconds``) a second run with nothing changed; ``peak_rss_mb`` the largest resident set
of the matching processes; ``python_pairs_per_second`` ``facts_for`` + ``rules.apply`` per pair on a
sample; ``sql_pairs_per_second`` enterprises × schemes / ``seconds``; ``ratio`` the second over the first;
``rematch_one_ms`` the median time to re-match one enterprise whose facts changed.

``--beneficiary households``: the same match over house purchases (a synthetic deed-tax file of purchases,
buyers and people, contract numbers starting with ``BENCH_CONTRACT``) against household schemes; keys
``purchases``, ``schemes``, ``seconds``, ``awards``, ``undetermined``, ``rerun_seconds``,
``rerun_new_awards``, ``command_seconds``, ``peak_rss_mb``, ``sql_pairs_per_second``.
"""

import argparse
import datetime as dt
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from policies.models import Policy, PolicyStatus  # noqa: E402
from portal.accounts.models import Department  # noqa: E402
from portal.enterprises.models import (  # noqa: E402
    QUALIFICATION_VALID_YEARS,
    AnnualReport,
    Enterprise,
    Park,
    make_uscc,
)
from portal.fields import encrypt  # noqa: E402
from portal.residents.models import HousePurchase, Person  # noqa: E402
from subsidies import matching, rules  # noqa: E402
from subsidies.models import Award, MatchRun, RunStatus, Scheme  # noqa: E402
from subsidies.schemes import schemes_import  # noqa: E402
from subsidies.variables import facts_for  # noqa: E402

BENCH_PREFIX = "91419999"
POLICY = "bench"
FACTS_YEAR = 2022
SEED = 20230630
BATCH = 20_000
INDUSTRIES = ["I6510", "I6513", "C3985", "C3562", "C3914", "C2720", "M7320", "M7512", "F5179", "L7212"]
PARKS = [Park.WUTONG, Park.FENGYANG, Park.SHIFO, Park.SHUANGQIAO, Park.GOUZHAO, Park.OTHER]


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---- the synthetic registry ------------------------------------------------------------------------------


def _money(rng: random.Random, low: float, high: float) -> Decimal:
    # Log-uniform: many small enterprises, a few large ones.
    value = low * (high / low) ** rng.random()
    return Decimal(f"{value:.2f}")


def _enterprise(rng: random.Random, serial: int) -> tuple:
    blacklisted = rng.random() < 0.01
    return (
        make_uscc(serial, prefix=BENCH_PREFIX),
        f"基准测试企业{serial}",
        rng.choice(PARKS),
        rng.choice(INDUSTRIES),
        dt.date(1995, 1, 1) + dt.timedelta(days=rng.randrange(28 * 365)) if rng.random() > 0.005 else None,
        _money(rng, 10, 200_000),
        None if rng.random() < 0.01 else rng.random() < 0.3,
        rng.choices(["A", "B", "M", "C", "D", ""], weights=[30, 35, 20, 8, 5, 2])[0],
        blacklisted,
        dt.date(2022, 6, 1) if blacklisted else None,
    )


def _reports(rng: random.Random, enterprise_id: int) -> list[tuple]:
    rows = []
    revenue = _money(rng, 50, 2_000_000)
    for year in (FACTS_YEAR, FACTS_YEAR - 1):
        if rng.random() < 0.01:
            continue  # no report filed that year
        figure = (
            revenue
            if year == FACTS_YEAR
            else (revenue * Decimal(rng.uniform(0.6, 1.3))).quantize(Decimal("0.01"))
        )
        rd = (figure * Decimal(rng.uniform(0, 0.12))).quantize(Decimal("0.01"))
        rows.append(
            (
                enterprise_id,
                year,
                figure,
                None if rng.random() < 0.005 else rd,
                int(5 + float(figure) ** 0.5 * rng.uniform(0.2, 1.5)),
                (figure * Decimal(rng.uniform(0.01, 0.08))).quantize(Decimal("0.01")),
            )
        )
    return rows


def _qualifications(rng: random.Random, enterprise_id: int) -> list[tuple]:
    rows = []
    for code, share, years in (
        ("high_tech", 0.15, range(2019, 2023)),
        ("srdi", 0.08, range(2020, 2023)),
        ("tech_sme", 0.2, range(2022, 2023)),
        ("little_giant", 0.01, range(2020, 2023)),
        ("gazelle", 0.02, range(2021, 2023)),
    ):
        if rng.random() < share:
            year = rng.choice(list(years))
            until = dt.date(year + QUALIFICATION_VALID_YEARS[code] - 1, 12, 31)
            rows.append((enterprise_id, code, year, until))
    return rows


ENTERPRISE_COLUMNS = (
    "uscc",
    "name",
    "park",
    "industry_code",
    "registered_on",
    "registered_capital",
    "is_above_scale",
    "credit_rating",
    "blacklisted",
    "blacklisted_on",
)
REPORT_COLUMNS = ("enterprise_id", "year", "revenue", "rd_expense", "employees", "tax_paid")
QUALIFICATION_COLUMNS = ("enterprise_id", "code", "year_awarded", "valid_until")


def _write(table: str, columns: tuple, rows: list[tuple], extra: dict) -> None:
    """Bulk rows: COPY on PostgreSQL, executemany on SQLite."""
    names = (*columns, *extra)
    full = [(*row, *extra.values()) for row in rows]
    if connection.vendor == "postgresql":
        raw = connection.connection
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
            for row in full:
                copy.write_row(row)
        return
    marks = ", ".join(["%s"] * len(names))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})", full)  # noqa: S608


def build_registry(count: int) -> None:
    """Write `count` bench enterprises with two years of reports and some qualifications (seeded)."""
    rng = random.Random(SEED)
    now = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    with transaction.atomic():
        for low in range(1, count + 1, BATCH):
            serials = range(low, min(low + BATCH, count + 1))
            _write(
                "enterprises_enterprise",
                ENTERPRISE_COLUMNS,
                [_enterprise(rng, serial) for serial in serials],
                {"fact_sources": "{}", "updated_at": now},
            )
        ids = list(
            Enterprise.objects.filter(uscc__startswith=BENCH_PREFIX)
            .order_by("id")
            .values_list("id", flat=True)
        )
        for low in range(0, len(ids), BATCH):
            chunk = ids[low : low + BATCH]
            reports, held = [], []
            for enterprise_id in chunk:
                reports.extend(_reports(rng, enterprise_id))
                held.extend(_qualifications(rng, enterprise_id))
            _write("enterprises_annualreport", REPORT_COLUMNS, reports, {"source": "tax", "as_of": None})
            _write(
                "enterprises_qualification",
                QUALIFICATION_COLUMNS,
                held,
                {"source": "department", "as_of": None},
            )
            say(f"  registry: {low + len(chunk)}/{count} enterprises ({time.perf_counter() - started:.0f} s)")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# ---- the synthetic schemes --------------------------------------------------------------------------------


def _scheme(index: int) -> dict:
    """One of a few families of realistic rules, with thresholds varied by index."""
    rng = random.Random(SEED + index)
    family = index % 8
    step = 1 + index // 8
    group = f"g{index // 10}" if index % 10 in (3, 4) else None
    if family == 0:
        eligibility = {
            "and": [
                {"in": ["high_tech", {"var": "qualifications"}]},
                {">=": [{"var": "rd_expense"}, 15000 + 3000 * step]},
                {"in": [{"var": "credit_rating"}, ["A", "B"]]},
            ]
        }
        amount = {"min": [{"*": [{"var": "rd_expense"}, 10000, Decimal("0.05")]}, 2000000]}
    elif family == 1:
        eligibility = {
            "and": [
                {">=": [{"var": "revenue"}, 200000 + 20000 * step]},
                {">=": [{"/": [{"var": "revenue"}, {"var": "prev.revenue"}]}, Decimal("1.28")]},
                {"==": [{"var": "is_above_scale"}, True]},
            ]
        }
        amount = {"*": [{"-": [{"var": "revenue"}, {"var": "prev.revenue"}]}, 10000, Decimal("0.002")]}
    elif family == 2:
        eligibility = {
            "and": [
                {">=": [{"var": "rd_ratio"}, Decimal("0.11") + Decimal(step) / 1000]},
                {">=": [{"var": "employees"}, 600 + 40 * step]},
                {"!": {"in": [{"var": "industry_section"}, ["F", "L"]]}},
            ]
        }
        amount = 300000 + 10000 * step
    elif family == 3:
        eligibility = {
            "and": [
                {"==": [{"var": "is_above_scale"}, True]},
                {"<=": [{"var": "age_years"}, 3]},
                {">=": [{"var": "revenue"}, 200000 + 10000 * step]},
            ]
        }
        amount = 500000
    elif family == 4:
        eligibility = {
            "and": [
                {
                    "in": [
                        {"var": "park"},
                        rng.sample(["wutong", "fengyang", "shifo", "shuangqiao", "gouzhao"], 2),
                    ]
                },
                {"==": [{"var": "industry_section"}, "C"]},
                {">=": [{"var": "tax_paid"}, 30000 + 2000 * step]},
            ]
        }
        amount = {"min": [{"*": [{"var": "tax_paid"}, 10000, Decimal("0.1")]}, 1000000]}
    elif family == 5:
        eligibility = {
            "and": [
                {"in": ["high_tech", {"var": "qualifications"}]},
                {"==": [{"var": "qualification_year.high_tech"}, 2022]},
                {">=": [{"var": "revenue"}, 200000 + 20000 * step]},
            ]
        }
        amount = 200000
    elif family == 6:
        eligibility = {
            "and": [
                {"in": ["srdi", {"var": "qualifications"}]},
                {">=": [{"var": "prev.rd_expense"}, 12000 + 1000 * step]},
                {
                    "or": [
                        {"==": [{"var": "credit_rating"}, "A"]},
                        {">=": [{"var": "registered_capital"}, 50000]},
                    ]
                },
            ]
        }
        amount = {"if": [{">=": [{"var": "revenue"}, 100000]}, 800000, 400000]}
    else:
        eligibility = {
            "and": [
                {"in": [{"var": "industry_division"}, ["65", "39", "35"]]},
                {"<": [50000 + 5000 * step, {"var": "revenue"}, 400000]},
                {">=": [{"var": "rd_ratio"}, Decimal("0.1")]},
                {">=": [{"var": "rd_expense"}, {"*": [{"var": "prev.rd_expense"}, Decimal("1.2")]}]},
            ]
        }
        amount = {"*": [{"-": [{"var": "rd_expense"}, {"var": "prev.rd_expense"}]}, 10000, Decimal("0.2")]}
    if family != 4:
        # Most zone schemes are for one park's enterprises (园区政策); family 4 names its own parks.
        eligibility = {"and": [{"==": [{"var": "park"}, str(PARKS[index % len(PARKS)])]}, eligibility]}
    return {
        "code": f"bench-{index:03d}",
        "policy": POLICY,
        "title": f"基准测试方案{index}",
        "mode": "automatic",
        "facts_year": FACTS_YEAR,
        "period": "2023",
        "eligibility": eligibility,
        "amount": amount,
        "cap_per_enterprise": 1500000 if index % 3 == 0 else None,
        "budget": 10**10,
        "allocation": "pro_rata",
        "exclusive_group": group,
        "top_up": False,
        "status": "active",
    }


def build_schemes(count: int) -> None:
    department, _ = Department.objects.get_or_create(code="bench", defaults={"name": "基准测试"})
    Policy.objects.get_or_create(
        code=POLICY,
        defaults={
            "title": "基准测试政策",
            "department": department,
            "status": PolicyStatus.PUBLISHED,
            "published_on": dt.date(FACTS_YEAR + 1, 1, 1),
        },
    )
    Scheme.objects.filter(policy__code=POLICY).exclude(
        code__in=[f"bench-{i:03d}" for i in range(count)]
    ).update(status="closed")
    report = schemes_import(entries=[_scheme(index) for index in range(count)])
    if report.errors:
        raise SystemExit("\n".join(report.errors))


# ---- measuring -----------------------------------------------------------------------------------------


def reset_matching() -> None:
    """Forget every award and run, so the next match is a first one."""
    tables = ("subsidies_lostcandidate", "subsidies_undetermined", "subsidies_awardevent", "subsidies_award")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # TRUNCATE, not DELETE: statistics of a table emptied by DELETE tell the planner it stays empty.
            cursor.execute(f"TRUNCATE {', '.join(tables)}")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608
    MatchRun.objects.all().delete()


def run_command() -> tuple[float, float, dict, float]:
    """One match through ``manage.py match_subsidies`` in a child process: the match's seconds (from
    the run's own start and finish), the process's seconds, its JSON, peak MB."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    result = subprocess.run(  # noqa: S603
        [sys.executable, str(ROOT / "manage.py"), "match_subsidies", "-v", "0"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    seconds = time.perf_counter() - started
    if result.returncode:
        raise SystemExit(result.stderr)
    peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    output = json.loads(result.stdout)
    run = MatchRun.objects.get(pk=output["run"])
    return (run.finished_at - run.started_at).total_seconds(), seconds, output, peak


def _peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def start_workers(count: int) -> list[subprocess.Popen]:
    workers = []
    for number in range(count):
        workers.append(
            subprocess.Popen(  # noqa: S603
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "portal",
                    "worker",
                    "-c",
                    "1",
                    "--pool",
                    "prefork",
                    "-n",
                    f"bench{number}@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "-l",
                    "WARNING",
                ],
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env={**os.environ, "PYTHONWARNINGS": "ignore"},
            )
        )
    from portal.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=1) or []
        if len(replies) >= count:
            return workers
    stop_workers(workers)
    raise SystemExit("Celery workers did not start")


def stop_workers(workers: list[subprocess.Popen]) -> float:
    """Stop the workers (their own ids only); the largest peak resident set among them and their children."""
    peak = 0.0
    for worker in workers:
        children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children")
        pids = [worker.pid, *map(int, children.read_text().split())] if children.exists() else [worker.pid]
        peak = max([peak, *(_peak_mb(pid) for pid in pids if Path(f"/proc/{pid}").exists())])
        worker.terminate()
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
    return peak


def run_workers() -> tuple[float, dict]:
    """One nightly-style match: started here, chunks on the workers; seconds until the run is finished."""
    started = time.perf_counter()
    run = matching.match_run_start(trigger="bench")
    while True:
        run.refresh_from_db()
        if run.status != RunStatus.RUNNING:
            break
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    if run.status != RunStatus.FINISHED:
        raise SystemExit(f"run {run.pk} {run.status}: {run.error}")
    return seconds, matching.run_summary(run)


def python_rate(schemes: list[Scheme], sample: int) -> float:
    """Pairs per second evaluating enterprise by enterprise in Python: facts_for + rules.apply."""
    ids = list(Enterprise.objects.filter(uscc__startswith=BENCH_PREFIX).values_list("id", flat=True))
    chosen = random.Random(SEED).sample(ids, min(sample, len(ids)))
    compiled = [
        (scheme, rules.normalize(scheme.eligibility), rules.normalize(scheme.amount_rule))
        for scheme in schemes
    ]
    pairs = 0
    started = time.perf_counter()
    for enterprise in Enterprise.objects.filter(id__in=chosen):
        for scheme, eligibility, amount in compiled:
            facts = facts_for(
                enterprise=enterprise, facts_year=scheme.facts_year, reference_date=scheme.reference_date
            )
            if rules.apply(eligibility, facts) is True and not facts["blacklisted"]:
                rules.apply(amount, facts)
            pairs += 1
    return pairs / (time.perf_counter() - started)


def rematch_ms(repeat: int = 7) -> float:
    """Median milliseconds to re-match one enterprise after its facts changed."""
    rng = random.Random(SEED)
    ids = list(
        Enterprise.objects.filter(uscc__startswith=BENCH_PREFIX, blacklisted=False).values_list(
            "id", flat=True
        )[:5000]
    )
    times = []
    for _ in range(repeat):
        enterprise_id = rng.choice(ids)
        report = AnnualReport.objects.filter(enterprise_id=enterprise_id, year=FACTS_YEAR).first()
        with transaction.atomic():
            if report is not None and report.revenue is not None:
                report.revenue = report.revenue * 2
                report.save(update_fields=["revenue"])
            started = time.perf_counter()
            matching.enterprise_rematch(enterprise_ids=[enterprise_id])
            times.append((time.perf_counter() - started) * 1000)
            transaction.set_rollback(True)  # leave the registry as built
    return statistics.median(times)


# ---- households: a synthetic deed-tax file -----------------------------------------------------------------

BENCH_CONTRACT = "BENCH"
PERSON_COLUMNS = ("name", "id_number", "id_number_hash", "mobile", "mobile_hash", "created_at", "updated_at")
PURCHASE_COLUMNS = (
    "contract_no",
    "address",
    "floor_area",
    "price",
    "is_new_build",
    "contract_date",
    "deed_tax",
    "deed_tax_paid_on",
    "created_at",
    "updated_at",
)
BUYER_COLUMNS = ("purchase_id", "person_id", "position")


def _purchase(rng: random.Random, serial: int, now: dt.datetime) -> tuple:
    area = Decimal(f"{rng.triangular(45, 200, 110):.2f}")
    price = (area * Decimal(f"{rng.uniform(8000, 17000):.2f}")).quantize(Decimal("1"))
    rate = Decimal("0.01") if area <= 90 else Decimal("0.015")
    signed = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randint(0, 210))
    paid_on = None if rng.random() < 0.02 else signed + dt.timedelta(days=rng.randint(1, 40))
    return (
        f"{BENCH_CONTRACT}{serial:09d}",
        "郑州高新区基准测试小区",
        area,
        price,
        rng.random() < 0.95,
        signed,
        (price * rate).quantize(Decimal("0.01")),
        paid_on,
        now,
        now,
    )


def build_purchases(count: int) -> None:
    """Write `count` bench purchases, their buyers (a second one in half the households) and the people;
    one buyer in twenty also bought another bench home (seeded)."""
    rng = random.Random(SEED)
    now = dt.datetime.now(dt.UTC)
    # One token for every bench person: encrypting a million numbers would be most of the build.
    token = encrypt("410105199001011233")
    started = time.perf_counter()
    with transaction.atomic():
        people = count + count // 2
        for low in range(1, people + 1, BATCH):
            _write(
                "residents_person",
                PERSON_COLUMNS,
                [
                    (f"基准{serial}", token, f"bench{serial:012d}", "", "", now, now)
                    for serial in range(low, min(low + BATCH, people + 1))
                ],
                {},
            )
        person_ids = list(
            Person.objects.filter(id_number_hash__startswith="bench")
            .order_by("id")
            .values_list("id", flat=True)
        )
        for low in range(1, count + 1, BATCH):
            _write(
                "residents_housepurchase",
                PURCHASE_COLUMNS,
                [_purchase(rng, serial, now) for serial in range(low, min(low + BATCH, count + 1))],
                {},
            )
        purchase_ids = list(
            HousePurchase.objects.filter(contract_no__startswith=BENCH_CONTRACT)
            .order_by("id")
            .values_list("id", flat=True)
        )
        links, spare = [], iter(person_ids[count:])
        for index, purchase_id in enumerate(purchase_ids):
            first = person_ids[rng.randrange(index)] if index and rng.random() < 0.05 else person_ids[index]
            links.append((purchase_id, first, 1))
            if rng.random() < 0.5:
                second = next(spare, None)
                if second is not None and second != first:
                    links.append((purchase_id, second, 2))
            if len(links) >= BATCH:
                _write("residents_purchasebuyer", BUYER_COLUMNS, links, {})
                links = []
                say(f"  deed-tax file: {index + 1}/{count} purchases ({time.perf_counter() - started:.0f} s)")
        _write("residents_purchasebuyer", BUYER_COLUMNS, links, {})
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _household_scheme(index: int) -> dict:
    """One of five household rules (契税补贴 variants): dates, areas, prices, buyers, first homes."""
    family = index % 5
    step = index // 5
    new_in_window = [
        {"var": "is_new_build"},
        {"<=": ["2023-01-01", {"var": "contract_date"}, "2023-06-30"]},
        {"<=": [{"var": "deed_tax_paid_on"}, "2023-07-31"]},
    ]
    if family == 0:
        eligibility, amount, cap = {"and": new_in_window}, {"*": [{"var": "deed_tax"}, Decimal("0.2")]}, 2600
    elif family == 1:
        eligibility = {"and": [*new_in_window, {"==": [{"var": "other_purchases"}, 0]}]}
        amount, cap = {"*": [{"var": "deed_tax"}, Decimal("0.5")]}, 5000 + 1000 * step
    elif family == 2:
        eligibility = {"and": [{"var": "is_new_build"}, {">=": [{"var": "buyer_count"}, 2]}]}
        amount, cap = 3000, None
    elif family == 3:
        eligibility = {"and": [{"<=": [{"var": "floor_area"}, 90]}, {"<=": [{"var": "price"}, 1000000]}]}
        amount, cap = {"*": [{"var": "price"}, Decimal("0.01")]}, 8000
    else:
        eligibility = {
            "and": [
                {"<=": ["2023-04-01", {"var": "contract_date"}, "2023-06-30"]},
                {">=": [{"var": "deed_tax"}, 10000 + 1000 * step]},
            ]
        }
        amount, cap = {"*": [{"var": "deed_tax"}, Decimal("0.1")]}, None
    return {
        "code": f"bench-household-{index:03d}",
        "policy": POLICY,
        "title": f"基准测试契税补贴 {index}",
        "mode": "automatic",
        "beneficiary": "households",
        "facts_year": 2023,
        "reference_date": "2023-12-31",
        "period": "2023",
        "eligibility": eligibility,
        "amount": amount,
        "cap_per_enterprise": cap,
        "budget": 10**10,
        "allocation": "first_confirmed",
        "status": "active",
    }


def build_household_schemes(count: int) -> None:
    department, _ = Department.objects.get_or_create(code="bench", defaults={"name": "基准测试"})
    Policy.objects.get_or_create(
        code=POLICY,
        defaults={
            "title": "基准测试政策",
            "department": department,
            "status": PolicyStatus.PUBLISHED,
            "published_on": dt.date(FACTS_YEAR + 1, 1, 1),
        },
    )
    Scheme.objects.filter(policy__code=POLICY).exclude(
        code__in=[f"bench-household-{i:03d}" for i in range(count)]
    ).update(status="closed")
    report = schemes_import(entries=[_household_scheme(index) for index in range(count)])
    if report.errors:
        raise SystemExit("\n".join(report.errors))


def households(args) -> None:
    """Match N bench purchases against M household schemes; print one JSON line."""
    foreign = (
        HousePurchase.objects.exclude(contract_no__startswith=BENCH_CONTRACT).exists()
        or Enterprise.objects.exclude(uscc__startswith=BENCH_PREFIX).exists()
        or Scheme.objects.exclude(policy__code=POLICY).exists()
    )
    if foreign:
        raise SystemExit("this database holds data that is not the benchmark's: use an empty database")
    if args.rebuild or HousePurchase.objects.count() != args.purchases:
        say(f"building a deed-tax file of {args.purchases} purchases")
        reset_matching()
        with connection.cursor() as cursor:
            for table in ("residents_purchasebuyer", "residents_housepurchase", "residents_person"):
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608
        build_purchases(args.purchases)
    build_household_schemes(args.schemes)
    reset_matching()
    say("matching through the management command")
    seconds, command_seconds, first, peak = run_command()
    awards = Award.objects.count()
    rerun_seconds, rerun_command_seconds, second, peak_again = run_command()
    result = {
        "backend": connection.vendor,
        "beneficiary": "households",
        "purchases": args.purchases,
        "schemes": args.schemes,
        "seconds": round(seconds, 2),
        "awards": awards,
        "undetermined": sum(scheme["undetermined"] for scheme in first["schemes"]),
        "peak_rss_mb": round(max(peak, peak_again), 1),
        "sql_pairs_per_second": round(args.purchases * args.schemes / seconds, 1),
        "mode": "command",
        "command_seconds": round(command_seconds, 2),
        "rerun_seconds": round(rerun_seconds, 2),
        "rerun_command_seconds": round(rerun_command_seconds, 2),
        "rerun_new_awards": sum(scheme["new"] for scheme in second["schemes"]),
    }
    print(json.dumps(result, ensure_ascii=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--schemes", type=int, default=20)
    parser.add_argument("--workers", type=int, default=0, help="match through this many Celery workers")
    parser.add_argument(
        "--sample", type=int, default=0, help="enterprises for the Python rate (default: ~5,000 pairs)"
    )
    parser.add_argument(
        "--rebuild", action="store_true", help="rebuild the registry even if its size matches"
    )
    parser.add_argument("--beneficiary", choices=["enterprises", "households"], default="enterprises")
    parser.add_argument("--purchases", type=int, default=100_000, help="with --beneficiary households")
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    if args.beneficiary == "households":
        households(args)
        return
    foreign = Enterprise.objects.exclude(uscc__startswith=BENCH_PREFIX).exists() or (
        Scheme.objects.exclude(policy__code=POLICY).exists()
    )
    if foreign:
        raise SystemExit("this database holds data that is not the benchmark's: use an empty database")
    existing = Enterprise.objects.count()
    if args.rebuild or existing != args.enterprises:
        say(f"building a registry of {args.enterprises} enterprises")
        reset_matching()
        with connection.cursor() as cursor:
            for table in ("enterprises_qualification", "enterprises_annualreport", "enterprises_enterprise"):
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608
        build_registry(args.enterprises)
    build_schemes(args.schemes)
    schemes = list(matching.schemes._active_schemes())
    reset_matching()

    if args.workers:
        say(f"matching through {args.workers} Celery workers")
        workers = start_workers(args.workers)
        try:
            seconds, first = run_workers()
            awards = Award.objects.count()
            rerun_seconds, second = run_workers()
            command_seconds, rerun_command_seconds = seconds, rerun_seconds
        finally:
            peak = stop_workers(workers)
        mode = f"celery-{args.workers}"
        # A nightly run: the coordinator task, then one task per chunk.
        tasks = 1 + MatchRun.objects.order_by("id").first().chunk_count
    else:
        say("matching through the management command")
        seconds, command_seconds, first, peak = run_command()
        awards = Award.objects.count()
        rerun_seconds, rerun_command_seconds, second, peak_again = run_command()
        peak = max(peak, peak_again)
        mode = "command"
        tasks = 0
    rerun_new = sum(scheme["new"] for scheme in second["schemes"])
    sample = args.sample or max(5, 5000 // max(1, args.schemes))
    say(f"python rate on {sample} enterprises")
    python = python_rate(schemes, sample)
    sql = args.enterprises * args.schemes / seconds
    result = {
        "backend": connection.vendor,
        "enterprises": args.enterprises,
        "schemes": args.schemes,
        "seconds": round(seconds, 2),
        "awards": awards,
        "peak_rss_mb": round(peak, 1),
        "python_pairs_per_second": round(python, 1),
        "sql_pairs_per_second": round(sql, 1),
        "ratio": round(sql / python, 1),
        "mode": mode,
        "command_seconds": round(command_seconds, 2),
        "rerun_seconds": round(rerun_seconds, 2),
        "rerun_command_seconds": round(rerun_command_seconds, 2),
        "rerun_new_awards": rerun_new,
        "undetermined": sum(scheme["undetermined"] for scheme in first["schemes"]),
        "celery_tasks": tasks,
        "rematch_one_ms": round(rematch_ms(), 1),
    }
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
