"""Response headers and production switches: CSP without inline scripts, no-store on an enterprise's own
data, API docs for staff only in production, the payment file and /media/ behind a login, no demo in
production, and ``check --deploy`` clean with production settings."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from portal.accounts.models import User

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PUBLIC_PAGES = [
    "/",
    "/policies/",
    "/faq/",
    "/news/",
    "/calculator/",
    "/publicity/",
    "/economy/",
    "/performance/",
]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)


def directives(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in policy.split(";") if part.strip()}


def test_every_page_carries_a_csp_that_allows_no_inline_or_outside_script(client):
    for url in PUBLIC_PAGES:
        response = client.get(url)
        csp = directives(response)
        assert response.status_code == 200, url
        assert csp["script-src"] == "script-src 'self'"
        assert csp["frame-ancestors"] == "frame-ancestors 'none'"
        assert csp["object-src"] == "object-src 'none'"
        assert response["X-Frame-Options"] == "DENY"


def test_the_kept_policy_is_the_one_django_csp_builds_and_follows_the_settings(client, settings):
    from csp.utils import build_policy

    assert client.get("/").headers["Content-Security-Policy"] == build_policy()

    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {"default-src": ["'self'"], "img-src": ["https://img.example"]}
    }
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {
        "DIRECTIVES": {"default-src": ["'none'"]},
        "EXCLUDE_URL_PREFIXES": ["/news/"],
    }

    home = client.get("/")
    assert set(home.headers["Content-Security-Policy"].split("; ")) == {
        "default-src 'self'",
        "img-src https://img.example",
    }
    assert home.headers["Content-Security-Policy-Report-Only"] == "default-src 'none'"
    assert "Content-Security-Policy-Report-Only" not in client.get("/news/").headers


def test_a_view_that_changes_the_policy_or_asks_for_a_nonce_gets_its_own(rf, settings):
    from csp.constants import NONCE, SELF
    from csp.decorators import csp_exempt, csp_update
    from django.http import HttpResponse

    from portal.middleware import CSPMiddleware

    def nonce_page(request):
        return HttpResponse(f"<script nonce='{request.csp_nonce}'></script>")

    def run(view):
        middleware = CSPMiddleware(view)
        return middleware(rf.get("/x/"))

    updated = run(csp_update({"img-src": "https://maps.example"})(lambda request: HttpResponse("map")))
    assert "https://maps.example" in updated.headers["Content-Security-Policy"]
    assert "Content-Security-Policy" not in run(csp_exempt()(lambda request: HttpResponse("free"))).headers
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": [SELF], "script-src": [SELF, NONCE]}}
    with_nonce = run(nonce_page)
    assert "'nonce-" in with_nonce.headers["Content-Security-Policy"]
    assert "'nonce-" not in run(lambda request: HttpResponse("plain")).headers["Content-Security-Policy"]


def test_no_page_template_holds_an_inline_script_or_handler():
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        if INLINE_SCRIPT.search(text) or re.search(r"\son[a-z]+=\"", text) or "javascript:" in text:
            offenders.append(str(path.relative_to(ROOT)))

    assert offenders == []


def test_the_staff_pages_render_under_the_csp_without_inline_scripts(client, staff):
    client.force_login(staff)

    for url in ["/admin/", "/admin/subsidies/paymentbatch/", "/admin/servicedesk/problem/add/", "/api/docs/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert directives(response)["script-src"] == "script-src 'self'"
        assert INLINE_SCRIPT.findall(response.content.decode()) == [], url


@pytest.mark.parametrize(
    "url", ["/me/", "/me/awards/", "/me/problems/", "/api/v1/awards/", "/api/v1/problems/"]
)
def test_an_enterprise_s_own_pages_and_api_are_never_cached(client, owner, url):
    client.force_login(owner)

    response = client.get(url)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_public_pages_are_not_marked_no_store(client):
    assert "Cache-Control" not in client.get("/policies/")


def test_the_api_schema_and_docs_are_for_staff_only_in_production(client, owner, settings):
    settings.DEBUG = False
    anonymous = [client.get(url).status_code for url in ("/api/schema/", "/api/docs/", "/api/redoc/")]
    client.force_login(owner)
    enterprise = [client.get(url).status_code for url in ("/api/schema/", "/api/docs/", "/api/redoc/")]

    assert anonymous == [403, 403, 403]
    assert enterprise == [403, 403, 403]


def test_the_api_schema_is_open_on_a_development_set_up(client, settings):
    settings.DEBUG = True

    assert client.get("/api/schema/").status_code == 200


def test_load_demo_refuses_to_run_in_production(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DJANGO_DEBUG 已关闭"):
        call_command("load_demo")

    assert User.objects.count() == 0


def test_media_files_need_a_login_in_demo_mode_and_are_not_served_in_production(client, owner, settings):
    settings.DEBUG = True
    settings.MEDIA_ROOT.mkdir(parents=True, exist_ok=True)
    (settings.MEDIA_ROOT / "doc.pdf").write_bytes(b"%PDF-1.4 secret")

    anonymous = client.get("/media/doc.pdf")
    client.force_login(owner)
    logged_in = client.get("/media/doc.pdf")
    settings.DEBUG = False
    production = client.get("/media/doc.pdf")

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")
    assert logged_in.status_code == 200
    assert b"".join(logged_in.streaming_content) == b"%PDF-1.4 secret"
    assert production.status_code == 404


def test_check_deploy_is_clean_at_warning_level_with_production_settings(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        "DJANGO_DEBUG": "0",
        "PORTAL_TESTING": "0",
        "DJANGO_SECRET_KEY": "deploy-check-" + "k3Y$x9!Qz" * 8,
        "FIELD_ENCRYPTION_KEY": "bGludC1vbmx5LWZpZWxkLWtleS0zMi1ieXRlcy1sb25nIQ==",
    }
    for inherited in ("REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"):  # the latter is set by the browser tests
        env.pop(inherited, None)

    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 0, done.stderr
