from django.conf import settings

from portal import blocks


def site(request):
    """What every page's header and footer need."""
    unread = 0
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        from portal.accounts.selectors import unread_count

        unread = unread_count(user=user)
    return {
        "ZONE_NAME": settings.ZONE_NAME,
        "PORTAL_NAME": settings.PORTAL_NAME,
        "SITE_IDENTIFIER": settings.SITE_IDENTIFIER,
        "ICP_RECORD": settings.ICP_RECORD,
        "PUBLIC_SECURITY_RECORD": settings.PUBLIC_SECURITY_RECORD,
        "SERVICE_HOTLINE": settings.SERVICE_HOTLINE,
        "unread_notifications": unread,
        "nav_links": blocks.nav_links(),
    }
