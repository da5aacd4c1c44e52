"""The test OpenID Provider: tests/oidc/provider.js (oidc-provider) as a real process on 127.0.0.1.

``running_provider`` installs its packages with ``npm ci`` when they are missing, starts it with the
accounts the tests sign in with, and stops it afterwards. ``sign_in`` goes through the provider's sign-in
page over HTTP as a browser would and hands the final callback to the portal's test client.
"""

import datetime as dt
import json
import os
import shutil
import subprocess
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

from portal.enterprises.models import make_uscc
from portal.residents.models import make_id_number

HERE = Path(__file__).resolve().parent
CLIENT_ID = "zone-portal"
CLIENT_SECRET = "test-client-secret-0123456789"
START_TIMEOUT = 60

# The enterprises and residents the provider knows; the tests create the portal's side of them.
USCC = make_uscc(9001)
UNKNOWN_USCC = make_uscc(9002)
ID_NUMBER = make_id_number("410105", dt.date(1988, 6, 1), 101)
UNKNOWN_ID_NUMBER = make_id_number("410105", dt.date(1990, 2, 3), 202)
STAFF_ID_NUMBER = make_id_number("410105", dt.date(1979, 9, 9), 303)


def _legal(uscc: str, *, owner: bool = True, name: str = "王建国", **extra) -> dict:
    claims = {"user_type": "legal", "uscc": uscc, "legal_representative": owner, "name": name}
    return {"claims": claims, **extra}


def _natural(id_number: str, name: str = "李秀英", **extra) -> dict:
    return {"claims": {"user_type": "natural", "id_number": id_number, "name": name}, **extra}


ACCOUNTS = {
    "corp-owner": _legal(USCC),
    "corp-agent": _legal(USCC, owner=False, name="赵经办"),
    "corp-unknown": _legal(UNKNOWN_USCC),
    "corp-bad-uscc": _legal(USCC[:-1] + ("0" if USCC[-1] != "0" else "1")),
    "corp-wrong-audience": _legal(USCC, id_token="wrong_audience"),
    "corp-expired": _legal(USCC, id_token="expired"),
    "resident": _natural(ID_NUMBER),
    "resident-unknown": _natural(UNKNOWN_ID_NUMBER),
    "resident-staff": _natural(STAFF_ID_NUMBER),
    "someone-else": {"claims": {"user_type": "robot"}},
}


@dataclass
class Provider:
    issuer: str

    def settings(self) -> dict:
        """The portal's settings that point at this provider."""
        return {
            "OIDC_OP_ISSUER": self.issuer,
            "OIDC_OP_AUTHORIZATION_ENDPOINT": f"{self.issuer}/auth",
            "OIDC_OP_TOKEN_ENDPOINT": f"{self.issuer}/token",
            "OIDC_OP_USER_ENDPOINT": f"{self.issuer}/me",
            "OIDC_OP_JWKS_ENDPOINT": f"{self.issuer}/jwks",
            "OIDC_RP_CLIENT_ID": CLIENT_ID,
            "OIDC_RP_CLIENT_SECRET": CLIENT_SECRET,
        }


def install() -> None:
    """``npm ci`` in tests/oidc when its packages are not installed yet (CI does it beforehand too)."""
    if (HERE / "node_modules" / "oidc-provider" / "package.json").exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed to install the test OpenID Provider (tests/oidc)")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True)  # noqa: S603


@contextmanager
def running_provider(*, redirect_uris: list[str], accounts: dict | None = None):
    """A provider process for these redirect URIs; stopped when the block ends."""
    install()
    config = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uris": redirect_uris,
        "accounts": ACCOUNTS if accounts is None else accounts,
    }
    with tempfile.TemporaryFile(mode="w+") as errors:
        process = subprocess.Popen(  # noqa: S603
            [shutil.which("node") or "node", "provider.js"],
            cwd=HERE,
            env={**os.environ, "OP_CONFIG": json.dumps(config)},
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        # A provider that never says it listens is killed, so the readline below returns.
        watchdog = threading.Timer(START_TIMEOUT, process.kill)
        watchdog.start()
        try:
            line = process.stdout.readline()
            watchdog.cancel()
            if not line:
                errors.seek(0)
                raise RuntimeError(f"the test OpenID Provider did not start: {errors.read()[-2000:]}")
            yield Provider(issuer=json.loads(line)["issuer"])
        finally:
            watchdog.cancel()
            # Killed outright: it keeps nothing worth a clean exit, and a timed wait would sleep on a clock
            # that the clock-moving test passes fake.
            process.kill()
            process.wait()
            process.stdout.close()


def provider_sign_in(authorize_url: str, login: str, callback_prefix: str) -> str:
    """Follow the provider from the authorization URL, sign in as ``login``; the portal callback URL."""
    browser = requests.Session()
    url = authorize_url
    for _ in range(10):
        response = browser.get(url, allow_redirects=False, timeout=10)
        if response.is_redirect:
            url = urljoin(url, response.headers["Location"])
            if url.startswith(callback_prefix):
                return url
            continue
        assert response.status_code == 200, response.text
        # The sign-in page: post the login id to its form.
        response = browser.post(url, data={"login": login}, allow_redirects=False, timeout=10)
        assert response.is_redirect, response.text
        url = urljoin(url, response.headers["Location"])
    raise AssertionError(f"the provider never sent the browser back to the portal (last at {url})")


def sign_in(client, login: str, *, kind: str = "legal"):
    """Log in to the portal's test client through the provider as ``login``: the callback's response."""
    start = client.get(f"/oidc/start/?kind={kind}")
    assert start.status_code == 302, start.content.decode()
    callback = provider_sign_in(start["Location"], login, "http://testserver/oidc/callback/")
    parts = urlsplit(callback)
    return client.get(f"{parts.path}?{parts.query}")


def provider_now(provider: Provider) -> dt.datetime:
    """The provider's clock, from its Date header: the portal's must agree with it to check token times."""
    from email.utils import parsedate_to_datetime

    response = requests.get(f"{provider.issuer}/.well-known/openid-configuration", timeout=10)
    response.raise_for_status()
    return parsedate_to_datetime(response.headers["Date"])
