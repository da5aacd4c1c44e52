"""The portal's URLs plus views that fail on purpose, to see the error pages (used by test_errors)."""

from django.core.exceptions import PermissionDenied
from django.urls import path

from portal.urls import handler403, handler404, handler500
from portal.urls import urlpatterns as portal_urlpatterns


def _broken(request):
    raise RuntimeError("the view failed")


def _forbidden(request):
    raise PermissionDenied


urlpatterns = [
    path("broken/", _broken),
    path("forbidden/", _forbidden),
    path("api/v1/broken/", _broken),
    path("api/v1/forbidden/", _forbidden),
    *portal_urlpatterns,
]

__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]
