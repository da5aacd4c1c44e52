from django.utils import timezone

from projects import selectors

DASHBOARD_PROJECTS = 5


def dashboard(request):
    """The enterprise's projects on /me/: stage and whether something is overdue, linking to timelines."""
    if not request.user.is_authenticated or request.user.enterprise_id is None:
        return None
    rows, total = selectors.dashboard_projects(
        user=request.user, now=timezone.now(), limit=DASHBOARD_PROJECTS
    )
    if not total:
        return None
    return {"order": 40, "template": "projects/dashboard_block.html", "rows": rows, "total": total}


def staff(request):
    """The permits of the staff user's department due today, on the admin home."""
    if not request.user.has_perm("projects.view_permit"):
        return None
    return {
        "order": 30,
        "template": "projects/staff_block.html",
        "permits": list(selectors.permits_due_on(user=request.user, day=timezone.localdate())),
    }
