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
