"""The portal shell: the home page and the health check."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.static import serve

from portal import blocks


def home(request):
    return render(request, "home.html", {"blocks": blocks.collect(request, "home")})


def _check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return {"ok": True, "backend": connection.vendor}
    except Exception as exc:
        return {"ok": False, "backend": connection.vendor, "error": exc.__class__.__name__}


def _check_cache() -> dict:
    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    try:
        cache.set("healthz", "1", 10)
        ok = cache.get("healthz") == "1"
        return {"ok": ok, "backend": backend}
    except Exception as exc:
        return {"ok": False, "backend": backend, "error": exc.__class__.__name__}


def _check_broker() -> dict:
    if not settings.REDIS_URL:
        return {"ok": True, "backend": "eager"}
    from portal.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return {"ok": True, "backend": "redis"}
    except Exception as exc:
        return {"ok": False, "backend": "redis", "error": exc.__class__.__name__}


@never_cache
@require_GET
def healthz(request):
    """200 when every dependency answers, 503 when one does not; the body names each."""
    checks = {"database": _check_database(), "cache": _check_cache(), "broker": _check_broker()}
    healthy = all(c["ok"] for c in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks}, status=200 if healthy else 503
    )


@login_required
@require_GET
def media(request, path: str):
    """Uploaded files in demo mode, for logged-in users only; production serves none (attachments go
    through their own permission-checked views), so this answers 404 there."""
    if not settings.DEBUG:
        raise Http404
    return serve(request, path, document_root=settings.MEDIA_ROOT)
