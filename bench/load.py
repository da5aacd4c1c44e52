"""Load test of the web tier: gunicorn as the Procfile runs it, Locust headless, one JSON line.

    python bench/load.py --duration 60 --connections 50

Against the database ``DATABASE_URL`` names and the Redis ``REDIS_URL`` names, filled by
``bench/seed_scale.py`` (its login ``bench-owner`` serves the logged-in routes; a staff login ``bench-admin``
with a one-time-password device, made here, the admin changelists). Starts gunicorn with 2
workers in production settings (``DJANGO_DEBUG=0``, static files collected), loads the ANONYMOUS and
LOGGED_IN routes for ``--duration`` seconds from ``--connections`` simulated visitors that never pause,
then the API lists alone for ``--api-duration`` seconds from as many, then requests each ALONE route
``--alone`` times one at a time, and prints ``{"total_rps", "anonymous_rps", "errors", "routes": {NAME:
{"rps", "p50_ms", "p95_ms", "p99_ms", "errors"}}, "api": {"rps", "rps_per_core", "p50_ms", "p95_ms",
"p99_ms", "errors"}, "alone": {NAME: {"requests", "p50_ms", "p95_ms", "p99_ms", "errors"}}}``. A
response that is not 200 (a logged-in page sent to the login form included) is an error.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from pathlib import Path  # noqa: E402
from urllib.parse import urlencode  # noqa: E402

import gevent  # noqa: E402
from locust import FastHttpUser, constant, task  # noqa: E402
from locust.env import Environment  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BENCH_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ",
    "FIELD_ENCRYPTION_KEY": "YmVuY2gtb25seS1maWVsZC1rZXktMzItYnl0ZXMtISE=",
    # Every simulated visitor comes from one address: the per-address abuse limits would measure themselves.
    "THROTTLE_ANON": "1000000/min",
    "THROTTLE_USER": "1000000/min",
    "THROTTLE_SEARCH": "1000000/min",
    "THROTTLE_FAQ_ANSWERS": "1000000/min",
}

# What the logged-in routes need, read in a child process (Django is not imported beside gevent here).
SETUP = """
import django, json
django.setup()
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from policies.models import Policy
from subsidies.models import Award
user = get_user_model().objects.get(username="bench-owner")
# Logged in the way the portal logs a user in (its login signal stamps the session's start and last use).
client = Client()
client.force_login(user)
# A staff member for the admin changelists, signed in with a one-time password as production asks.
admin, _ = get_user_model().objects.get_or_create(
    username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
)
device, _ = TOTPDevice.objects.get_or_create(user=admin, name="bench", defaults={"confirmed": True})
staff = Client()
staff.force_login(admin)
session = staff.session
session[DEVICE_ID_SESSION_KEY] = device.persistent_id
session.save()
print(json.dumps({
    "session": client.cookies[settings.SESSION_COOKIE_NAME].value,
    "staff_session": session.session_key,
    "award": Award.objects.filter(enterprise_id=user.enterprise_id, status="paid").order_by("pk").first().pk,
    "policy": Policy.objects.filter(status="published").order_by("pk").first().code,
}))
"""

ANONYMOUS = ["home", "policies", "policy", "policy_search", "news", "faq_answers", "api_policies"]
LOGGED_IN = ["me", "my_awards", "award"]
# Measured alone after the load, one request at a time: a logged-in search (never served from the page
# cache, so it measures the ranking over 100,000 policies, with queries that vary) and the admin
# changelists over the whole tables.
ALONE = ["search_logged_in", "admin_awards", "admin_enterprises", "admin_problems"]
ADMIN = ["admin_awards", "admin_enterprises", "admin_problems"]
SEARCHES = [
    "研发",
    "高新技术企业",
    "人才引进",
    "补贴",
    "专精特新",
    "融资",
    "知识产权",
    "数字化转型",
    "创新",
    "税收优惠",
]


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# The portal runs behind TLS in production: the proxy's header says so, and the session cookie is sent by
# hand (a client would keep a Secure cookie off a plain-HTTP connection).
SECURE = {"X-Forwarded-Proto": "https"}


def routes_of(setup: dict) -> dict:
    return {
        "home": "/",
        "policies": "/policies/",
        "policy": f"/policies/{setup['policy']}/",
        "policy_search": "/policies/?" + urlencode({"q": "研发创新"}),
        "news": "/news/",
        "faq_answers": "/faq/answers/?" + urlencode({"q": "高新技术企业认定"}),
        "api_policies": "/api/v1/policies/",
        "me": "/me/",
        "my_awards": "/me/awards/",
        "award": f"/me/awards/{setup['award']}/",
        # Admin changelists over the whole tables: 5,000,000 awards, 1,000,000 enterprises and problems.
        "admin_awards": "/admin/subsidies/award/",
        "admin_enterprises": "/admin/enterprises/enterprise/",
        "admin_problems": "/admin/servicedesk/problem/",
    }


def headers_of(name: str, setup: dict) -> dict:
    if name in ADMIN:
        return {**SECURE, "Cookie": f"sessionid={setup['staff_session']}"}
    if name in LOGGED_IN or name == "search_logged_in":
        return {**SECURE, "Cookie": f"sessionid={setup['session']}"}
    return SECURE


def make_user(host: str, setup: dict):
    routes = routes_of(setup)

    class Visitor(FastHttpUser):
        wait_time = constant(0)

        def _get(self, name: str) -> None:
            with self.client.get(
                routes[name],
                name=name,
                headers=headers_of(name, setup),
                allow_redirects=False,
                catch_response=True,
            ) as response:
                if response.status_code != 200:
                    response.failure(f"HTTP {response.status_code}")

        @task(2)
        def home(self):
            self._get("home")

        @task(2)
        def policies(self):
            self._get("policies")

        @task(2)
        def policy(self):
            self._get("policy")

        @task(2)
        def policy_search(self):
            self._get("policy_search")

        @task(2)
        def news(self):
            self._get("news")

        @task(2)
        def faq_answers(self):
            self._get("faq_answers")

        @task(2)
        def api_policies(self):
            self._get("api_policies")

        @task
        def me(self):
            self._get("me")

        @task
        def my_awards(self):
            self._get("my_awards")

        @task
        def award(self):
            self._get("award")

    Visitor.host = host
    return Visitor


# The API lists alone, for their own target (requests per second per core): the catalogue's pages and a
# filtered list, as an application reading the open API would ask for them.
API_LISTS = ["/api/v1/policies/", "/api/v1/policies/?page=2", "/api/v1/policies/?status=published"]


def make_api_reader(host: str):
    class ApiReader(FastHttpUser):
        wait_time = constant(0)

        @task
        def api_lists(self):
            path = random.choice(API_LISTS)
            with self.client.get(
                path, name="api_lists", headers=SECURE, allow_redirects=False, catch_response=True
            ) as response:
                if response.status_code != 200:
                    response.failure(f"HTTP {response.status_code}")

    ApiReader.host = host
    return ApiReader


def run_locust(user_class, connections: int, duration: float):
    """``connections`` visitors of ``user_class`` for ``duration`` seconds after a 3 s warm-up: the stats
    and the seconds measured."""
    environment = Environment(user_classes=[user_class])
    runner = environment.create_local_runner()
    runner.start(connections, spawn_rate=connections)
    gevent.sleep(3)
    environment.stats.reset_all()
    started = time.monotonic()
    gevent.sleep(duration)
    runner.stop()
    return environment.stats, time.monotonic() - started


def percentiles(entry, seconds: float) -> dict:
    return {
        "rps": round(entry.num_requests / seconds, 1),
        "p50_ms": entry.get_response_time_percentile(0.50) if entry.num_requests else None,
        "p95_ms": entry.get_response_time_percentile(0.95) if entry.num_requests else None,
        "p99_ms": entry.get_response_time_percentile(0.99) if entry.num_requests else None,
        "errors": entry.num_failures,
    }


def measure_alone(port: int, setup: dict, requests: int) -> dict:
    """Each ALONE route ``requests`` times, one request at a time, on the idle server."""
    routes = routes_of(setup)
    measured = {}
    for name in ALONE:
        times, errors = [], 0
        for index in range(requests):
            path = routes.get(name) or "/policies/?" + urlencode({"q": SEARCHES[index % len(SEARCHES)]})
            started = time.perf_counter()
            try:
                # Redirects are not followed: a login page in place of the page is an error.
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                connection.request("GET", path, headers=headers_of(name, setup))
                response = connection.getresponse()
                response.read()
                connection.close()
                errors += response.status != 200
            except OSError:
                errors += 1
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        measured[name] = {
            "requests": requests,
            "p50_ms": round(times[len(times) // 2], 1),
            "p95_ms": round(times[int(len(times) * 0.95) - 1], 1),
            "p99_ms": round(times[int(len(times) * 0.99) - 1], 1),
            "errors": errors,
        }
    return measured


def start_gunicorn(port: int, env: dict) -> subprocess.Popen:
    subprocess.run(  # noqa: S603 — our own interpreter and manage.py
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    # As the Procfile runs it, with 2 workers and without the access log (its writes are not the portal's).
    server = subprocess.Popen(  # noqa: S603 — our own interpreter's gunicorn
        [PYTHON, "-m", "gunicorn", "portal.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/healthz", headers={"X-Forwarded-Proto": "https"}
            )
            with urllib.request.urlopen(request, timeout=5):  # noqa: S310
                return server
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise SystemExit("gunicorn did not answer /healthz within 60 s") from None
            time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds of load, after a 3 s warm-up")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--alone", type=int, default=100, help="requests of each route measured alone")
    parser.add_argument(
        "--api-duration", type=float, default=15, help="seconds of the API lists alone, after a 3 s warm-up"
    )
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        parser.error("DATABASE_URL must name the PostgreSQL database bench/seed_scale.py filled")

    env = {**BENCH_ENV, **os.environ, "DJANGO_DEBUG": "0", "DJANGO_SETTINGS_MODULE": "portal.settings"}
    setup = json.loads(
        subprocess.run(  # noqa: S603 — our own interpreter and script
            [PYTHON, "-c", SETUP], cwd=ROOT, env=env, check=True, capture_output=True
        ).stdout
    )
    say(f"gunicorn on 127.0.0.1:{args.port} (2 workers)")
    server = start_gunicorn(args.port, env)
    try:
        host = f"http://127.0.0.1:{args.port}"
        say(f"{args.connections} connections for {args.duration:g} s")
        stats, seconds = run_locust(make_user(host, setup), args.connections, args.duration)
        say(f"the API lists alone: {args.connections} connections for {args.api_duration:g} s")
        api_stats, api_seconds = run_locust(make_api_reader(host), args.connections, args.api_duration)
        say(f"{', '.join(ALONE)}: {args.alone} requests each, one at a time")
        alone = measure_alone(args.port, setup, args.alone)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    routes = {name: percentiles(stats.get(name, "GET"), seconds) for name in ANONYMOUS + LOGGED_IN}
    api = percentiles(api_stats.get("api_lists", "GET"), api_seconds)
    # Per core of this machine: the two web workers, the load generator and the database share them.
    api["rps_per_core"] = round(api["rps"] / (os.cpu_count() or 1), 1)
    result = {
        "total_rps": round(sum(r["rps"] for r in routes.values()), 1),
        "anonymous_rps": round(sum(routes[name]["rps"] for name in ANONYMOUS), 1),
        "errors": sum(r["errors"] for r in routes.values())
        + api["errors"]
        + sum(r["errors"] for r in alone.values()),
        "routes": routes,
        "api": api,
        "alone": alone,
    }
    print(json.dumps(result, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
