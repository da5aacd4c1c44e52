import functools

from django.conf import settings
from django.core.signals import setting_changed
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import gettext_lazy as _

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
    links = [
        {"label": label, "url": url}
        for label, url in _menu(get_script_prefix(), get_urlconf(), authenticated)
    ]
    for link in links:
        url = link["url"]
        if path == url:
            link["current"] = "page"
        elif url != "/" and path.startswith(url):
            link["current"] = "true"
        else:
            link["current"] = ""
    return links


@functools.lru_cache(maxsize=16)
def _menu(script_prefix: str, urlconf, authenticated: bool) -> tuple[tuple[object, str], ...]:
    """The menu's labels (translated when shown) and addresses, worked out once per process for each address
    prefix and URL configuration it is asked for (``reverse`` reads both): they never change while it runs.
    Every page renders the menu, about ten ``reverse()`` and a look through every app's blocks each time."""
    links = [(_("首页"), reverse("home")), *((link["label"], link["url"]) for link in blocks.nav_links())]
    if authenticated:
        links.append((_("我的"), reverse("accounts:dashboard")))
    return tuple(links)


def _forget_menu(*, setting, **kwargs) -> None:
    if setting in ("ROOT_URLCONF", "INSTALLED_APPS"):
        _menu.cache_clear()


setting_changed.connect(_forget_menu, dispatch_uid="portal_main_menu")
