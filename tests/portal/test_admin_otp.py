"""Production admin asks for a one-time password; a fresh interpreter sees the production setting."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def admin_site_class(**env) -> str:
    clean = {k: v for k, v in os.environ.items() if k != "ADMIN_REQUIRE_OTP"}
    clean.update({"DJANGO_SETTINGS_MODULE": "portal.settings", "PORTAL_TESTING": "1", **env})
    code = (
        "import django; django.setup(); import portal.urls; from django.contrib import admin; "
        "from django_otp.admin import OTPAdminSite; "
        "print(admin.site.__class__.__name__, isinstance(admin.site, OTPAdminSite))"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_admin_requires_a_one_time_password_when_configured():
    assert admin_site_class(ADMIN_REQUIRE_OTP="1") == "PortalOTPAdminSite True"


def test_the_demo_admin_takes_a_password_alone():
    assert admin_site_class(ADMIN_REQUIRE_OTP="0") == "PortalAdminSite False"
