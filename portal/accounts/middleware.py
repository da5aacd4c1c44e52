"""Session rules for every request: idle and absolute limits, the staff second factor, expired passwords.

Runs after authentication and django-otp's middleware, so ``request.user.is_verified()`` is known. Pages
answer by logging out and sending the user to the login page with the reason; the API answers 403.
"""

from functools import partial
from urllib.parse import urlencode

from auditlog import get_logentry_model
from auditlog.cid import set_cid
from auditlog.context import _set_extra_data, auditlog_value
from auditlog.middleware import AuditlogMiddleware
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.db.models.signals import pre_save
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from portal.accounts.receivers import SESSION_SEEN, SESSION_STARTED
from portal.accounts.security import client_ip

# Writing the session on every request costs a database write; a minute's precision is enough for idling.
SEEN_PRECISION_SECONDS = 60


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def password_expired(user) -> bool:
    """Staff passwords expire after ``STAFF_PASSWORD_MAX_AGE_DAYS``; enterprise logins do not."""
    if not user.is_staff or not user.has_usable_password():
        return False
    # Accounts made by create_user / createsuperuser hash without set_password: count from joining.
    changed = user.password_changed_at or user.date_joined
    return timezone.now() - changed > settings.STAFF_PASSWORD_MAX_AGE


class SessionSecurityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            refusal = self._refuse(request, user)
            if refusal is not None:
                add_never_cache_headers(refusal)
                return refusal
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # Authenticated pages hold someone's data: never kept by a browser or a shared proxy.
            add_never_cache_headers(response)
        return response

    def _refuse(self, request, user):
        now = int(timezone.now().timestamp())
        session = request.session
        started = session.get(SESSION_STARTED)
        seen = session.get(SESSION_SEEN)
        if started is None or now - started > settings.SESSION_ABSOLUTE_AGE.total_seconds():
            return self._end(request, _("登录已超过 12 小时，请重新登录。"), "absolute")
        if seen is None or now - seen > settings.SESSION_IDLE_AGE.total_seconds():
            return self._end(request, _("超过 30 分钟未操作，已自动退出，请重新登录。"), "idle")
        if settings.ADMIN_REQUIRE_OTP and user.is_staff and not user.is_verified():
            return self._end(request, _("工作人员须使用密码和动态口令登录，请重新登录。"), "second factor")
        if now - seen >= SEEN_PRECISION_SECONDS:
            session[SESSION_SEEN] = now
        if password_expired(user) and request.path not in _password_paths():
            if _is_api(request):
                return JsonResponse({"detail": _("密码已过期，请先在门户修改密码。")}, status=403)
            messages.warning(request, _("密码已超过 90 天未修改，请先修改密码后继续。"))
            return redirect("accounts:password_change")
        return None

    def _end(self, request, message: str, reason: str):
        request.portal_logout_reason = reason
        logout(request)
        if _is_api(request):
            return JsonResponse({"detail": message}, status=403)
        messages.info(request, message)
        return redirect(f"{reverse('accounts:login')}?{urlencode({'next': request.get_full_path()})}")


def _password_paths() -> set[str]:
    return {reverse("accounts:password_change"), reverse("accounts:logout")}


# The one receiver that stamps a request's audit entries with its actor and address (below).
REQUEST_CONTEXT = ("portal", "request audit context")


class AuditContextMiddleware(AuditlogMiddleware):
    """django-auditlog's actor context, with the client address taken behind the configured proxies only.

    django-auditlog connects a receiver for the log entries' ``pre_save`` at the start of every request and
    disconnects it at the end, which empties the signal's receiver cache for every model each time (0.07 ms
    of a cached page's 0.7). Here the receiver, auditlog's own, is connected once; each request sets the
    context it reads and takes it away after, as auditlog's ``set_actor`` does around its own work.
    """

    def __init__(self, get_response=None):
        super().__init__(get_response)
        pre_save.connect(
            partial(_set_extra_data, signal_duid=REQUEST_CONTEXT),
            sender=get_logentry_model(),
            dispatch_uid=REQUEST_CONTEXT,
            weak=False,
        )

    def __call__(self, request):
        set_cid(request)
        token = auditlog_value.set({**self.get_extra_data(request), "signal_duid": REQUEST_CONTEXT})
        try:
            return self.get_response(request)
        finally:
            auditlog_value.reset(token)

    @staticmethod
    def _get_remote_addr(request):
        return client_ip(request)
