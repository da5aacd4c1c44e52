"""The portal shell: the home page, the site's own pages, the elderly-friendly switch and the health check."""

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from portal import blocks

# The pages every government site carries (GB/T 政府网站 norms), each one template under templates/site/.
SITE_PAGES = ("sitemap", "contact", "privacy", "help", "accessibility")
ELDER_MODE_MAX_AGE = 365 * 24 * 3600


def home(request):
    return render(request, "home.html", {"blocks": blocks.collect(request, "home")})


@require_GET
def site_page(request, page: str):
    """网站地图, 联系我们, 隐私政策, 使用帮助 and 无障碍声明."""
    context = {
        "CONTACT_ADDRESS": settings.CONTACT_ADDRESS,
        "CONTACT_EMAIL": settings.CONTACT_EMAIL,
        "nav_sections": blocks.nav_links(),
    }
    return render(request, f"site/{page}.html", context)


@require_POST
def elder_mode(request):
    """Switch the elderly-friendly mode (适老化) on or off for this visitor and go back to the page."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("home")
    response = HttpResponseRedirect(target)
    if request.POST.get("mode") == "on":
        response.set_cookie(
            settings.ELDER_MODE_COOKIE,
            "1",
            max_age=ELDER_MODE_MAX_AGE,
            samesite="Lax",
            secure=request.is_secure(),
            httponly=True,
        )
    else:
        response.delete_cookie(settings.ELDER_MODE_COOKIE, samesite="Lax")
    return response


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
