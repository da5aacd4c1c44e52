"""The security trail's receivers for Django's and django-axes' login signals (connected in apps.ready)."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.utils import timezone

from portal.accounts import services
from portal.accounts.models import SecurityEvent
from portal.accounts.security import address_failure_add, client_ip

SESSION_STARTED = "portal_auth_started_at"
SESSION_SEEN = "portal_last_seen_at"


@receiver(user_logged_in, dispatch_uid="portal-security-login")
def on_login(sender, request, user, **kwargs):
    if request is None:
        return
    now = int(timezone.now().timestamp())
    if hasattr(request, "session"):
        request.session[SESSION_STARTED] = now
        request.session[SESSION_SEEN] = now
    services.security_event_record(
        kind=SecurityEvent.Kind.LOGIN, request=request, actor=user, username=user.get_username()
    )


@receiver(user_login_failed, dispatch_uid="portal-security-login-failed")
def on_login_failed(sender, credentials, request=None, **kwargs):
    if request is None:
        return
    address_failure_add(client_ip(request))
    services.security_event_record(
        kind=SecurityEvent.Kind.LOGIN_FAILED,
        request=request,
        username=str(credentials.get("username", "")),
        success=False,
        detail=getattr(request, "portal_login_failure_reason", ""),
    )


@receiver(user_logged_out, dispatch_uid="portal-security-logout")
def on_logout(sender, request, user, **kwargs):
    if request is None or user is None:
        return
    services.security_event_record(
        kind=SecurityEvent.Kind.LOGOUT,
        request=request,
        actor=user,
        username=user.get_username(),
        detail=getattr(request, "portal_logout_reason", ""),
    )


def on_locked_out(sender, request, username, ip_address, **kwargs):
    services.security_event_record(
        kind=SecurityEvent.Kind.LOCKED_OUT, request=request, username=username or "", success=False
    )
