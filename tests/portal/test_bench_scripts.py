"""The scale benchmarks still run against the current schema: seeded small, loaded briefly, no errors.

The full-size figures are measured by hand (README); this keeps the scripts from rotting when a model
gains a column the set-based inserts do not fill, or a route a logged-in page needs.
"""

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(300)]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def scratch_database(db):
    """A database of its own (the scripts migrate it and refuse one holding data), dropped afterwards."""
    params = connection.settings_dict
    name = f"{params['NAME']}_bench_scripts"
    host, port = params["HOST"] or "127.0.0.1", params["PORT"] or 5432
    admin = f"host={host} port={port} user={params['USER']} dbname=postgres"
    if params.get("PASSWORD"):
        admin += f" password={params['PASSWORD']}"
    with psycopg.connect(admin, autocommit=True) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{name}"')
        server.execute(f'CREATE DATABASE "{name}"')
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    yield f"postgres://{params['USER']}{password}@{host}:{port}/{name}"
    with psycopg.connect(admin, autocommit=True) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run(script: str, *args: str, database_url: str) -> dict:
    env = {
        key: value for key, value in os.environ.items() if key not in {"PORTAL_TESTING", "CELERY_TEST_WORKER"}
    }
    env["DATABASE_URL"] = database_url
    env.pop("DATABASE_REPLICA_URL", None)
    # A Redis database of its own, so the bench's cache never meets the suite's broker or cache.
    redis = settings.REDIS_URL or "redis://127.0.0.1:6379/0"
    env["REDIS_URL"] = re.sub(r"/\d*$", "", redis) + "/14"
    done = subprocess.run(  # noqa: S603 — our own interpreter and bench script
        [sys.executable, str(ROOT / "bench" / script), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_seed_then_load_serves_every_route_without_errors(scratch_database):
    seeded = _run("seed_scale.py", "--enterprises", "1000", database_url=scratch_database)
    assert seeded["rows"]["enterprises_enterprise"] == 1000
    assert seeded["rows"]["subsidies_award"] == 5000
    assert seeded["rows"]["servicedesk_problem"] == 1000
    # The seeded facts are the registry's own: a qualification code the models do not know would show raw.
    from portal.enterprises.models import QualificationCode

    with psycopg.connect(scratch_database) as seeded_db:
        codes = {row[0] for row in seeded_db.execute("SELECT DISTINCT code FROM enterprises_qualification")}
    assert codes and codes <= set(QualificationCode.values), codes

    loaded = _run(
        "load.py",
        "--duration",
        "4",
        "--connections",
        "4",
        "--port",
        str(_free_port()),
        "--alone",
        "5",
        "--api-duration",
        "2",
        database_url=scratch_database,
    )
    assert loaded["errors"] == 0, loaded
    assert set(loaded["routes"]) >= {"home", "policy_search", "me", "award"}
    for name, route in loaded["routes"].items():
        assert route["rps"] > 0, name
    assert loaded["api"]["rps"] > 0 and loaded["api"]["errors"] == 0
    assert loaded["api"]["rps_per_core"] == round(loaded["api"]["rps"] / os.cpu_count(), 1)
    assert set(loaded["alone"]) == {"search_logged_in", "admin_awards", "admin_enterprises", "admin_problems"}
    assert all(route["requests"] == 5 and route["p95_ms"] > 0 for route in loaded["alone"].values())
