from importlib import import_module

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from portal import admin_site, views
from portal.api import StaffOrDebug

# Each app's urls module holds its pages (urlpatterns) and its API (api_urlpatterns, under /api/v1/).
APP_URLS = (
    "portal.accounts.urls",
    "portal.enterprises.urls",
    "portal.content.urls",
    "portal.servicedesk.urls",
    "policies.urls",
    "subsidies.urls",
    "projects.urls",
    "portal.residents.urls",
)

admin.site.site_header = format_lazy("{} {}", settings.ZONE_NAME, gettext_lazy("企业服务门户 · 管理后台"))
admin.site.site_title = gettext_lazy("企业服务门户管理后台")
admin.site.index_title = gettext_lazy("业务管理")
# The staff home on the index and the 系统与安全 section; in production staff sign in to admin with a
# password and a one-time code (django-otp TOTP or static tokens).
admin.site.__class__ = (
    admin_site.otp_site_class() if settings.ADMIN_REQUIRE_OTP else admin_site.PortalAdminSite
)

api_v1 = []
pages = []
for module_name in APP_URLS:
    module = import_module(module_name)
    pages.append(path("", include(module_name)))
    api_v1.extend(getattr(module, "api_urlpatterns", []))

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("elder-mode/", views.elder_mode, name="elder_mode"),
    *(path(f"{page}/", views.site_page, {"page": page}, name=page) for page in views.SITE_PAGES),
    path(f"{settings.MEDIA_URL.strip('/')}/<path:path>", views.media, name="media"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    # Staff only in production; the Swagger page loads its set-up as a script file (no inline script).
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[StaffOrDebug]), name="api-schema"),
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", permission_classes=[StaffOrDebug]),
        name="api-docs",
    ),
    path(
        "api/redoc/",
        SpectacularRedocView.as_view(url_name="api-schema", permission_classes=[StaffOrDebug]),
        name="api-redoc",
    ),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("oidc/", include("portal.oidc")),
    *pages,
]

handler404 = "portal.views.page_not_found"
handler403 = "portal.views.permission_denied"
handler500 = "portal.views.server_error"
