"""Guards every request passes before a view sees it: hostile input is refused with a Chinese 400."""

import functools

from csp import middleware as csp_middleware
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

NUL = "\x00"
# A JSON body spells NUL as an escape (hex digits of zero have no case).
JSON_NUL_ESCAPE = b"\\u0000"


def refusal(request: HttpRequest, *, status: int, title: str, message: str) -> HttpResponse:
    """A refusal as the client reads it: JSON ``{"detail": ...}`` on the API, a page in the site frame."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=status, json_dumps_params={"ensure_ascii": False})
    return render(request, "refused.html", {"title": title, "message": message}, status=status)


def _dict_has_nul(data) -> bool:
    return any(NUL in key or any(NUL in value for value in values) for key, values in data.lists())


def _has_nul(request: HttpRequest) -> bool:
    if NUL in request.path:
        return True
    if any(NUL in key or NUL in value for key, value in request.COOKIES.items()):
        return True
    if _dict_has_nul(request.GET):
        return True
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return False
    content_type = request.content_type or ""
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        if _dict_has_nul(request.POST):
            return True
        return any(NUL in (upload.name or "") for upload in request.FILES.values())
    if content_type.endswith("json"):
        body = request.body
        return b"\x00" in body or JSON_NUL_ESCAPE in body
    return False


class HostileInputMiddleware:
    """Refuse a NUL byte anywhere in the path, the query, the cookies or a form / JSON body.

    PostgreSQL cannot store or compare a text with NUL in it (psycopg raises before the query runs), so one
    in a filter, a lookup or a form field would otherwise be a 500 on whatever view it reaches.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _has_nul(request):
            return refusal(
                request,
                status=400,
                title=_("请求无法处理"),
                message=_("请求中含有不允许的控制字符（NUL），请删除后重试。"),
            )
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        # SQLite cannot take an integer past 64 bits as a parameter (PostgreSQL compares it as a numeric): a
        # filter such as ?scheme=99999999999999999999 in an admin list would otherwise be a 500.
        if isinstance(exception, OverflowError) and "SQLite INTEGER" in str(exception):
            return refusal(
                request,
                status=400,
                title=_("请求无法处理"),
                message=_("请求中的数字超出范围，请检查地址或筛选条件后重试。"),
            )
        return None


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on the routes with an enterprise's own data (``settings.NO_STORE_PATHS``).

    A shared computer's browser cache or a proxy must not keep an enterprise's awards, bank account or
    problems after its user leaves.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(tuple(settings.NO_STORE_PATHS)):
            add_never_cache_headers(response)
        return response


# The methods the site's pages answer; the API (/api/) answers its own.
PAGE_METHODS = ("GET", "HEAD", "POST")


class MethodNotAllowedPageMiddleware:
    """A 405 a view answers with no body (``require_POST``, the logout view) becomes a page in the site frame.

    A request to a page with a method no page takes (PUT, DELETE, OPTIONS, TRACE…) is refused the same way
    before any view runs, instead of being answered with the page or the CSRF refusal.

    Such an address is a form's target: reached by a bookmark, a typed address or a login's ``next``, it
    would otherwise show the browser's own blank error page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in PAGE_METHODS and not request.path.startswith("/api/"):
            # A page is opened or a form on it submitted; PUT, DELETE, OPTIONS, TRACE… are for the API.
            page = refusal(
                request,
                status=405,
                title=_("不支持此请求方式"),
                message=_("网站的页面只能在浏览器中打开，或通过页面上的按钮提交。请在浏览器中打开此地址。"),
            )
            page["Allow"] = ", ".join(PAGE_METHODS)
            return page
        response = self.get_response(request)
        if response.status_code != 405 or response.content or request.path.startswith("/api/"):
            return response
        page = refusal(
            request,
            status=405,
            title=_("无法直接打开此地址"),
            message=_(
                "此地址只接受页面上按钮（如“确认”“退出登录”）的提交，不能直接打开或收藏。"
                "请回到相应页面，再点击按钮办理。"
            ),
        )
        if response.has_header("Allow"):
            allowed = [method.strip() for method in response["Allow"].split(",")]
            page["Allow"] = ", ".join(method for method in allowed if method in PAGE_METHODS)
        return page


# What django-csp's view decorators set on a response (then django-csp builds the header itself).
_VIEW_CHANGES = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)
_POLICIES = (
    (HEADER, "CONTENT_SECURITY_POLICY", "_csp_exempt", False),
    (HEADER_REPORT_ONLY, "CONTENT_SECURITY_POLICY_REPORT_ONLY", "_csp_exempt_ro", True),
)


@functools.cache
def _policy_text(report_only: bool) -> str:
    """The header text of the settings' policy (or report-only policy) as they stand, built once."""
    return build_policy(report_only=report_only)


def _forget_policy(*, setting, **kwargs) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _policy_text.cache_clear()


setting_changed.connect(_forget_policy, dispatch_uid="portal_csp_policy")


class CSPMiddleware(csp_middleware.CSPMiddleware):
    """django-csp's, with the header built once per process for the responses that carry the settings'
    policy as it is: no view of the portal changes it or asks for a nonce, and building it from the
    settings took 0.06 ms of every response (a cached page takes 0.7). A response a view changed with
    django-csp's decorators, or a request that asked for a nonce, is answered by django-csp itself."""

    def process_response(self, request, response):
        if (
            getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, name) for name in _VIEW_CHANGES)
            or (settings.DEBUG and response.status_code in (404, 500))
        ):
            return super().process_response(request, response)
        for header, setting, exempt, report_only in _POLICIES:
            policy = _policy_text(report_only)
            if not policy or header in response or getattr(response, exempt, False):
                continue
            excluded = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
            if not request.path_info.startswith(tuple(excluded)):
                response[header] = policy
        # As django-csp does: a nonce asked for once the header is written could not be in it.
        request.csp_nonce = csp_middleware.CheckableLazyObject(self._csp_nonce_post_response)
        return response
