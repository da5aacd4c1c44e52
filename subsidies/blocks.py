"""免申即享 on shared pages: the enterprise's awards on /me/, a resident's household subsidies on /resident/,
the publicity lists on the home page."""

from django.utils.translation import gettext_lazy as _

from portal.residents.access import current_person
from subsidies import selectors

NAV = [(30, _("政策计算器"), "subsidies:calculator"), (35, _("兑现公示"), "subsidies:publicity")]


def dashboard(request):
    """What the enterprise's awards wait for: its confirmation, the publicity, the payment."""
    user = request.user
    if not user.is_enterprise_user:
        return None
    counts, latest = selectors.enterprise_award_summary(enterprise_id=user.enterprise_id, latest=3)
    return {
        "order": 20,
        "template": "subsidies/dashboard_block.html",
        "counts": counts,
        "latest": latest,
        "is_owner": user.is_enterprise_owner,
    }


def resident(request):
    """The household subsidies of every purchase the resident is a buyer of, on the resident home."""
    person = current_person(request)
    if person is None:
        return None
    awards = list(selectors.household_awards_of(person=person))
    for award in awards:
        award.status_label = selectors.household_status_label(award.shown_status)
    return {"order": 20, "template": "subsidies/resident_block.html", "awards": awards}


def home(request):
    """The award lists in publicity today, on the home page."""
    lists = selectors.publicity_lists()
    return {"order": 30, "template": "subsidies/home_block.html", "lists": lists[:5], "more": len(lists) > 5}


def staff(request):
    """Schemes whose candidates wait for the staff user's department to review them, on the admin home."""
    if not request.user.has_perm("subsidies.change_award"):
        return None
    return {
        "order": 20,
        "template": "subsidies/staff_block.html",
        "schemes": selectors.schemes_awaiting_review(user=request.user),
    }
