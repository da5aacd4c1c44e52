"""Pages: an enterprise's projects and their timelines (/me/projects/), staff's weekly dispatch."""

from functools import wraps
from urllib.parse import quote, urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from portal.accounts.decorators import staff_permission_required
from portal.accounts.models import User
from portal.paginators import SitePaginator
from portal.workdays.selectors import WorkCalendar
from projects import exports, selectors, services
from projects.forms import DispatchFilterForm, ReportForm
from projects.models import Project, Stage

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def enterprise_required(view):
    """Logged in as a member of an enterprise; staff and others get 403."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_enterprise_user:
            raise PermissionDenied(_("该页面仅供企业用户使用。"))
        return view(request, *args, **kwargs)

    return wrapped


def _stages(current: str) -> list[dict]:
    order = list(Stage.values)
    reached = order.index(current)
    return [
        {"label": label, "state": "done" if i < reached else "current" if i == reached else "todo"}
        for i, (_value, label) in enumerate(Stage.choices)
    ]


@require_GET
@enterprise_required
def my_projects(request):
    """The enterprise's projects, each with its stage, its four permits and what is overdue."""
    page = SitePaginator(selectors.projects_visible(user=request.user), 20).get_page(request.GET.get("page"))
    calendar, now = WorkCalendar.load(), timezone.now()
    types = selectors.permit_types()
    rows = [
        {
            "project": project,
            "permits": selectors.permits_by_type(project, types=types),
            "overdue": selectors.overdue_items(project, calendar=calendar, now=now),
        }
        for project in page
    ]
    context = {"page": page, "rows": rows, "provisional_years": sorted(calendar.provisional_years)}
    return render(request, "projects/my_projects.html", context)


@enterprise_required
def my_project(request, pk: int):
    """One project's timeline: every step, the working days it took and its target; reports after filing."""
    try:
        project = selectors.project_for(user=request.user, project_id=pk)
    except Project.DoesNotExist as exc:
        raise Http404(_("没有这个项目。")) from exc
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.filing_report_submit(
                project=project,
                kind=form.cleaned_data["kind"],
                reported_on=form.cleaned_data["reported_on"],
                content=form.cleaned_data["content"],
                user=request.user,
            )
        except services.ProjectError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("报告已提交。"))
            return redirect("projects:detail", pk=project.pk)
    calendar, now = WorkCalendar.load(), timezone.now()
    types = selectors.permit_types()
    context = {
        "project": project,
        "stages": _stages(project.stage),
        "timeline": selectors.project_timeline(project, calendar=calendar, now=now),
        "permits": [
            {
                "type": permit_type,
                "permit": permit,
                "workdays": selectors.permit_workdays(permit, calendar=calendar, now=now) if permit else None,
                "overdue": permit.is_overdue_at(now) if permit else False,
            }
            for permit_type, permit in selectors.permits_by_type(project, types=types)
        ],
        "commitments": [
            {"commitment": c, "permit": p, "overdue": c.is_overdue_at(now)}
            for p in project.permits.all()
            for c in p.commitments.all()
        ],
        "overdue": selectors.overdue_items(project, calendar=calendar, now=now),
        "form": form,
    }
    # Read after everything above was counted: the years any of it was counted on provisionally.
    context["provisional_years"] = sorted(calendar.provisional_years)
    return render(request, "projects/my_project.html", context, status=400 if form.errors else 200)


def _dispatch_query(request):
    form = DispatchFilterForm(request.GET or None)
    weeks = selectors.dispatch_weeks()
    week = coordinator_id = None
    if form.is_valid():
        week = form.cleaned_data["week"]
        coordinator_id = form.cleaned_data["coordinator"]
    if week is None and weeks:
        week = weeks[0]
    return weeks, week, coordinator_id


@require_GET
@staff_permission_required("projects.view_dispatch")
def dispatch(request):
    """每周调度: each coordinator's key projects for a week, with notes and resolutions from admin."""
    weeks, week, coordinator_id = _dispatch_query(request)
    dispatches = (
        list(selectors.dispatches_for_week(week_start=week, coordinator_id=coordinator_id)) if week else []
    )
    coordinators = User.objects.filter(dispatches__week_start=week).distinct().order_by("username")
    query = {"week": week.isoformat()} if week else {}
    if coordinator_id:
        query["coordinator"] = coordinator_id
    context = {
        "weeks": weeks,
        "week": week,
        "coordinators": coordinators if week else [],
        "coordinator_id": coordinator_id,
        "dispatches": dispatches,
        "xlsx_query": urlencode(query),
    }
    return render(request, "projects/dispatch.html", context)


@require_GET
@staff_permission_required("projects.view_dispatch")
def dispatch_xlsx(request):
    """The shown week's dispatch (one coordinator's, or all) as an XLSX download."""
    _weeks, week, coordinator_id = _dispatch_query(request)
    if week is None:
        raise Http404(_("还没有调度清单。"))
    dispatches = list(selectors.dispatches_for_week(week_start=week, coordinator_id=coordinator_id))
    if not dispatches:
        raise Http404(_("该周没有调度清单。"))
    name = _("重点项目调度清单-%(week)s.xlsx") % {"week": week.isoformat()}
    response = FileResponse(exports.dispatch_workbook(dispatches), content_type=XLSX)
    response["Content-Disposition"] = (
        f"attachment; filename=\"dispatch-{week.isoformat()}.xlsx\"; filename*=UTF-8''{quote(name)}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
@staff_permission_required("projects.add_dispatch")
def dispatch_build_now(request):
    """Build this week's dispatch now (the Monday job does it too); nothing is duplicated."""
    week = services.monday_of(timezone.localdate())
    try:
        built = services.dispatch_build(week_start=week)
    except services.ProjectError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("本周调度清单已生成：%(n)d 位分包人。") % {"n": len(built)})
    return redirect(f"{reverse('projects:dispatch')}?week={week.isoformat()}")
