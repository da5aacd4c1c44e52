from django.utils import timezone

from portal.servicedesk import selectors

# Open problems listed on the dashboard; the rest are one click away.
DASHBOARD_PROBLEMS = 5


def dashboard(request):
    """The enterprise's open problems and the way to raise one, on /me/."""
    enterprise_id = request.user.enterprise_id
    if enterprise_id is None:
        return None
    problems, open_count, awaiting_rating = selectors.dashboard_problems(
        enterprise_id=enterprise_id, limit=DASHBOARD_PROBLEMS
    )
    return {
        "order": 40,
        "template": "servicedesk/dashboard_block.html",
        "problems": problems,
        "open_count": open_count,
        "awaiting_rating": awaiting_rating,
    }


# Overdue problems listed on the staff home in admin; the rest are behind the filtered change list.
STAFF_PROBLEMS = 10


def staff(request):
    """The staff user's overdue problems, on the admin home."""
    overdue = selectors.overdue_for_staff(user=request.user, now=timezone.now())
    problems = list(overdue[:STAFF_PROBLEMS])
    if not problems and not request.user.has_perm("servicedesk.view_problem"):
        return None
    return {
        "order": 10,
        "template": "servicedesk/staff_block.html",
        "problems": problems,
        "count": overdue.count() if len(problems) == STAFF_PROBLEMS else len(problems),
    }
