from django.utils import timezone

from portal.workdays.selectors import WorkCalendar
from projects import selectors

DASHBOARD_PROJECTS = 5


def dashboard(request):
    """The enterprise's projects on /me/: stage and what is overdue, linking to their timelines."""
    if not request.user.is_authenticated or request.user.enterprise_id is None:
        return None
    projects = selectors.projects_visible(user=request.user)
    total = projects.count()
    if not total:
        return None
    calendar, now = WorkCalendar.load(), timezone.now()
    rows = [
        {"project": p, "overdue": len(selectors.overdue_items(p, calendar=calendar, now=now))}
        for p in projects[:DASHBOARD_PROJECTS]
    ]
    return {"order": 40, "template": "projects/dashboard_block.html", "rows": rows, "total": total}
