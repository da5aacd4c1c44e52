"""The portal shell: the home page, the site's own pages, the elderly-friendly switch, the health check
and the error pages."""

import logging
import re

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import connection
from django.http import Http404, HttpResponseRedirect, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.urls import Resolver404, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.static import serve

from portal import blocks, public_cache

# The pages every government site carries (GB/T 政府网站 norms), each one template under templates/site/.
SITE_PAGES = ("sitemap", "contact", "privacy", "help", "accessibility")
ELDER_MODE_MAX_AGE = 365 * 24 * 3600


@public_cache.cache_public
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


# Error pages. Pages answer in Chinese inside the site frame with a way back; the API answers JSON
# in the same {"detail": ...} shape as its other errors.

logger = logging.getLogger(__name__)

# Django's own 404 messages name models in English; only the messages the portal wrote are shown.
_GENERIC_404 = re.compile(r"^No .+ matches the given query\.$")


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def _not_found_message(exception) -> str:
    if isinstance(exception, Http404) and not isinstance(exception, Resolver404) and exception.args:
        message = exception.args[0]
        if isinstance(message, str) and message and not _GENERIC_404.match(message):
            return message
    return ""


def page_not_found(request, exception=None):
    """404: the page does not exist (or is not public)."""
    if _is_api(request):
        return JsonResponse({"detail": _("没有找到这个地址对应的内容，请核对网址。")}, status=404)
    return render(request, "404.html", {"message": _not_found_message(exception)}, status=404)


def permission_denied(request, exception=None):
    """403: signed in as someone who may not see this page."""
    if _is_api(request):
        return JsonResponse({"detail": _("您没有执行此操作的权限。")}, status=403)
    return render(request, "403.html", status=403)


def csrf_failure(request, reason: str = ""):
    """403 for a form sent without a valid token: usually a page left open too long before submitting."""
    if _is_api(request):
        return JsonResponse({"detail": _("请求校验失败，请刷新页面后重试。")}, status=403)
    return render(request, "403_csrf.html", {"retry_url": request.get_full_path()}, status=403)


def server_error(request):
    """500: rendered from settings only: the request's context (session, user, database) may have failed."""
    if _is_api(request):
        return JsonResponse(
            {"detail": _("服务器出现错误，请稍后重试；如仍有问题请拨打服务热线。")}, status=500
        )
    context = {
        "ZONE_NAME": settings.ZONE_NAME,
        "PORTAL_NAME": settings.PORTAL_NAME,
        "SERVICE_HOTLINE": settings.SERVICE_HOTLINE,
    }
    try:
        body = loader.get_template("500.html").render(context)
    except Exception:
        logger.exception("The 500 page failed to render")
        body = _("服务器出现错误，请稍后重试。服务热线：%(hotline)s") % {"hotline": settings.SERVICE_HOTLINE}
        return HttpResponseServerError(body, content_type="text/plain; charset=utf-8")
    return HttpResponseServerError(body)


@login_required
@require_GET
def media(request, path: str):
    """Uploaded files in demo mode, for logged-in users only; production serves none (attachments go
    through their own permission-checked views), so this answers 404 there."""
    if not settings.DEBUG:
        raise Http404
    return serve(request, path, document_root=settings.MEDIA_ROOT)
