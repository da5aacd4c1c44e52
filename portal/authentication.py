"""How the API knows who is calling (apart from portal.api: DRF's settings would import that in a cycle)."""

from django.utils.translation import gettext_lazy
from drf_spectacular.authentication import SessionScheme
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import PermissionDenied


class PortalSessionAuthentication(SessionAuthentication):
    """Session login for the API, with the CSRF refusal in Chinese (DRF's own message is untranslated)."""

    def enforce_csrf(self, request):
        try:
            super().enforce_csrf(request)
        except PermissionDenied as exc:
            raise PermissionDenied(gettext_lazy("请求校验失败，请刷新页面后重试。")) from exc


class PortalSessionScheme(SessionScheme):
    """The API schema describes the portal's session login as the cookie login it is."""

    target_class = "portal.authentication.PortalSessionAuthentication"
