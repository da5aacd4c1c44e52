from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from portal import blocks


def site(request):
    """What every page's header and footer need."""
    unread = 0
    user = getattr(request, "user", None)
    authenticated = user is not None and user.is_authenticated
    if authenticated:
        from portal.accounts.selectors import unread_count

        unread = unread_count(user=user)
    return {
        "ZONE_NAME": settings.ZONE_NAME,
        "PORTAL_NAME": settings.PORTAL_NAME,
        "SITE_IDENTIFIER": settings.SITE_IDENTIFIER,
        "ICP_RECORD": settings.ICP_RECORD,
        "PUBLIC_SECURITY_RECORD": settings.PUBLIC_SECURITY_RECORD,
        "SERVICE_HOTLINE": settings.SERVICE_HOTLINE,
        "GOV_ERROR_REPORT_URL": settings.GOV_ERROR_REPORT_URL,
        "ELDER_MODE": request.COOKIES.get(settings.ELDER_MODE_COOKIE) == "1",
        "unread_notifications": unread,
        "nav_links": main_nav(request.path, authenticated=authenticated),
    }


def main_nav(path: str, *, authenticated: bool) -> list[dict]:
    """The main menu, the current page marked ``page`` and the section of a page inside it ``true``."""
    links = [{"label": _("首页"), "url": reverse("home")}, *blocks.nav_links()]
    if authenticated:
        links.append({"label": _("我的"), "url": reverse("accounts:dashboard")})
    for link in links:
        url = link["url"]
        if path == url:
            link["current"] = "page"
        elif url != "/" and path.startswith(url):
            link["current"] = "true"
        else:
            link["current"] = ""
    return links
