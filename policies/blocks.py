from django.utils.translation import gettext_lazy as _

from policies import selectors

NAV = [(20, _("政策"), "policies:list")]


def home(request):
    """A policy search box and the newest policies on the home page."""
    return {
        "order": 10,
        "template": "policies/home_block.html",
        "policies": selectors.newest_policies(limit=6),
    }


def dashboard(request):
    """An enterprise user's subscriptions and the newest policies in them, on /me/."""
    if not request.user.is_enterprise_user:
        return None
    categories = list(selectors.subscribed_categories(user=request.user))
    policies = selectors.policies_for_subscriber(user=request.user) if categories else []
    return {
        "order": 30,
        "template": "policies/dashboard_block.html",
        "categories": categories,
        "policies": policies,
    }
