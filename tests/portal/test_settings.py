"""Settings in both modes: each case starts a fresh interpreter with its own environment."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'db': settings.DATABASES['default']['ENGINE'], "
    "'eager': settings.CELERY_TASK_ALWAYS_EAGER, "
    "'broker': settings.CELERY_BROKER_URL, 'cache': settings.CACHES['default']['BACKEND'], "
    "'tz': settings.TIME_ZONE, 'lang': settings.LANGUAGE_CODE, 'debug': settings.DEBUG}))"
)


def settings_with(probe: str = PROBE, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_DEBUG"}}
    clean.update({"DJANGO_SETTINGS_MODULE": "portal.settings", "PORTAL_TESTING": "1", **env})
    return subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", probe], cwd=ROOT, env=clean, capture_output=True, text=True, check=False
    )


def test_unset_variables_give_the_embedded_setup():
    result = settings_with()

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "db": "django.db.backends.sqlite3",
        "eager": True,
        "broker": "memory://localhost/",
        "cache": "django.core.cache.backends.locmem.LocMemCache",
        "tz": "Asia/Shanghai",
        "lang": "zh-hans",
        "debug": True,
    }


def test_named_services_give_postgresql_and_redis():
    result = settings_with(
        DATABASE_URL="postgres://u@db.invalid:5432/portal", REDIS_URL="redis://cache.invalid:6379/0"
    )

    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["db"] == "django.db.backends.postgresql"
    assert values["eager"] is False
    assert values["broker"] == "redis://cache.invalid:6379/0"
    assert values["cache"] == "portal.cache.RedisCache"


def test_production_refuses_to_start_without_its_secrets():
    result = settings_with(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="", FIELD_ENCRYPTION_KEY="")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_answers_the_api_in_json_only():
    probe = (
        "import json, django; django.setup(); from rest_framework.settings import api_settings; "
        "print(json.dumps([r.__name__ for r in api_settings.DEFAULT_RENDERER_CLASSES]))"
    )
    result = settings_with(
        probe,
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="s" * 60,
        FIELD_ENCRYPTION_KEY="ZGV2LW9ubHktZmllbGQta2V5LW5vdC1mb3ItcHJvZA==",
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == ["JSONRenderer"]
