"""Reads of project approval tracking: clocks, timelines, metrics, the lists pages and the API show."""

import datetime as dt
import math
from dataclasses import dataclass

from django.db.models import Count, Exists, F, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.workdays.selectors import WorkCalendar
from projects.models import (
    FOUR_PERMITS,
    Acceptance,
    AcceptanceMode,
    AcceptanceResult,
    Blocker,
    Dispatch,
    DispatchItem,
    Filing,
    FilingOutcome,
    FilingReport,
    FilingStatus,
    Permit,
    PermitStatus,
    PermitStep,
    PermitType,
    Project,
    ReportKind,
    Stage,
    StepKind,
)

# ---------------------------------------------------------------- projects


def _full_prefetch() -> list[Prefetch]:
    """Everything a project's timeline, overdue list and permit summary read: a fixed number of queries."""
    return [
        Prefetch(
            "filings", queryset=Filing.objects.select_related("department").order_by("submitted_at", "id")
        ),
        Prefetch("reports", queryset=FilingReport.objects.order_by("reported_on", "id")),
        Prefetch(
            "permits",
            queryset=Permit.objects.select_related("permit_type", "permit_type__department")
            .prefetch_related(
                Prefetch("steps", queryset=PermitStep.objects.order_by("opened_at", "id")),
                "pauses",
                "commitments",
            )
            .order_by("permit_type__order", "applied_at", "id"),
        ),
        Prefetch(
            "acceptances",
            queryset=Acceptance.objects.prefetch_related("departments").order_by("held_on", "id"),
        ),
        Prefetch(
            "blockers", queryset=Blocker.objects.select_related("department").order_by("raised_on", "id")
        ),
    ]


def projects_visible(*, user) -> QuerySet[Project]:
    """The projects a user may see (staff all, an enterprise its own), with what their pages read."""
    return (
        Project.objects.visible_to(user)
        .select_related("enterprise", "coordinator")
        .prefetch_related(*_full_prefetch())
        .order_by("-id")
    )


def project_list(
    *,
    user,
    stage: str | None = None,
    coordinator_id: int | None = None,
    overdue: bool | None = None,
    now: dt.datetime | None = None,
) -> QuerySet[Project]:
    """The projects a user may see, filtered by stage, coordinator and whether something is overdue now."""
    qs = projects_visible(user=user)
    if stage:
        qs = qs.filter(stage=stage)
    if coordinator_id is not None:
        qs = qs.filter(coordinator_id=coordinator_id)
    if overdue is not None:
        late = Project.objects.overdue(now or timezone.now()).values("pk")
        qs = qs.filter(pk__in=late) if overdue else qs.exclude(pk__in=late)
    return qs


def dashboard_projects(*, user, now: dt.datetime, limit: int) -> tuple[list[dict], int]:
    """The newest projects a user may see, each flagged when something is overdue, and how many there are.

    Overdue is read from stored deadlines, without the calendar: the dashboard shows even when a year's
    holiday schedule is missing.
    """
    projects = Project.objects.visible_to(user)
    newest = list(projects.only("id", "code", "name", "stage").order_by("-id")[:limit])
    if not newest:
        # Most enterprises have no project: no deadlines to read (planning that query alone takes 2 ms).
        return [], 0
    late = set(
        Project.objects.overdue(now).filter(pk__in=[p.pk for p in newest]).values_list("pk", flat=True)
    )
    rows = [{"project": p, "overdue": p.pk in late} for p in newest]
    # Fewer than the limit: those are all of them, and counting them again would be another query.
    return rows, len(rows) if len(rows) < limit else projects.count()


def project_for(*, user, project_id: int) -> Project:
    """One project the user may see, with its records; ``Project.DoesNotExist`` otherwise."""
    return projects_visible(user=user).get(pk=project_id)


def permit_types() -> list[PermitType]:
    return list(PermitType.objects.select_related("department").order_by("order", "id"))


def permits_by_type(project: Project, *, types: list[PermitType]) -> list[tuple[PermitType, Permit | None]]:
    """Each permit type with the project's live permit of it (a refused one if nothing else); prefetched."""
    best: dict[int, Permit] = {}
    for permit in project.permits.all():
        current = best.get(permit.permit_type_id)
        if current is None or current.status == PermitStatus.REJECTED:
            best[permit.permit_type_id] = permit
    return [(permit_type, best.get(permit_type.id)) for permit_type in types]


def stage_from(
    *,
    latest_acceptance: str | None,
    completion_reported: bool,
    start_reported: bool,
    four_issued: int,
    live_permits: bool,
    land_transferred: bool,
    filed: bool,
) -> str:
    """The stage these facts of a project's records put it in: the one rule, used wherever a stage is set."""
    if latest_acceptance == AcceptanceResult.PASSED:
        return Stage.OPERATING
    if latest_acceptance is not None or completion_reported:
        return Stage.ACCEPTANCE
    if start_reported or four_issued >= len(FOUR_PERMITS):
        return Stage.CONSTRUCTION
    if land_transferred or live_permits:
        return Stage.PERMITS
    if filed:
        return Stage.LAND
    return Stage.FILING


def project_stage(*, project_id: int) -> str:
    """The stage a project's records put it in, read in one query."""
    here = OuterRef("pk")
    latest = Acceptance.objects.filter(project=here).order_by("-held_on", "-id").values("result")[:1]
    four = (
        Permit.objects.filter(project=here, status=PermitStatus.ISSUED, permit_type__code__in=FOUR_PERMITS)
        .order_by()
        .values("project")
        .annotate(n=Count("permit_type", distinct=True))
        .values("n")
    )
    facts = (
        Project.objects.filter(pk=project_id)
        .annotate(
            latest_acceptance=Subquery(latest),
            completion_reported=Exists(FilingReport.objects.filter(project=here, kind=ReportKind.COMPLETION)),
            start_reported=Exists(FilingReport.objects.filter(project=here, kind=ReportKind.START)),
            four_issued=Coalesce(Subquery(four), 0),
            live_permits=Exists(Permit.objects.filter(project=here).exclude(status=PermitStatus.REJECTED)),
            land_transferred=Q(land_transferred_on__isnull=False),
            filed=Exists(Filing.objects.filter(project=here, outcome=FilingOutcome.FILED)),
        )
        .values(
            "latest_acceptance",
            "completion_reported",
            "start_reported",
            "four_issued",
            "live_permits",
            "land_transferred",
            "filed",
        )
        .get()
    )
    return stage_from(**facts)


# ---------------------------------------------------------------- clocks


def filing_workdays(filing: Filing, *, calendar: WorkCalendar, now: dt.datetime) -> int:
    """Working days from submission to completion (or to ``now`` while open)."""
    return calendar.elapsed(filing.submitted_at, filing.completed_at or now)


def permit_workdays(permit: Permit, *, calendar: WorkCalendar, now: dt.datetime) -> int:
    """Working days on a permit's clock: applied to decided (or ``now``), less the working days paused."""
    end = permit.issued_at or permit.rejected_at or now
    paused = 0
    for pause in permit.pauses.all():
        if pause.ended_at is not None:
            paused += pause.workdays or 0
        else:
            paused += calendar.elapsed(pause.started_at, end)
    return max(calendar.elapsed(permit.applied_at, end) - paused, 0)


# ---------------------------------------------------------------- timeline


@dataclass(frozen=True)
class TimelineEntry:
    """One step in a project's history, with the working days it took against its target when it has one."""

    at: dt.datetime
    title: str
    detail: str = ""
    workdays: int | None = None
    target: int | None = None
    running: bool = False
    has_time: bool = True
    internal: bool = False
    # A milestone is what a progress meeting hears about; a review step inside a permit is not.
    milestone: bool = True

    @property
    def day(self) -> dt.date:
        return timezone.localdate(self.at)

    @property
    def late(self) -> bool:
        return self.workdays is not None and self.target is not None and self.workdays > self.target

    @property
    def state(self) -> str:
        """ "late", "running", "ok" or "" (no target): for the page's colour."""
        if self.target is None or self.workdays is None:
            return ""
        if self.late:
            return "late"
        return "running" if self.running else "ok"


def _day_at(day: dt.date, hour: int) -> dt.datetime:
    # Events recorded as a date sort at a fixed hour of that day: land at dawn, reports in the evening.
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def project_timeline(
    project: Project, *, calendar: WorkCalendar, now: dt.datetime, include_internal: bool = False
) -> list[TimelineEntry]:
    """Every step of a project in time order, each with its working days against its target."""
    entries: list[TimelineEntry] = []
    for filing in project.filings.all():
        target = Filing.TARGET_WORKDAYS
        running = filing.status != FilingStatus.COMPLETED
        entries.append(
            TimelineEntry(
                filing.submitted_at,
                _("提交企业投资备案"),
                _("办理时限 %(n)d 个工作日") % {"n": target},
                workdays=filing_workdays(filing, calendar=calendar, now=now) if running else None,
                target=target if running else None,
                running=running,
            )
        )
        if filing.accepted_at:
            entries.append(
                TimelineEntry(
                    filing.accepted_at, _("备案受理"), str(filing.department or ""), milestone=False
                )
            )
        if filing.completed_at:
            entries.append(
                TimelineEntry(
                    filing.completed_at,
                    _("备案办结：%(outcome)s") % {"outcome": filing.get_outcome_display()},
                    filing.note,
                    workdays=filing_workdays(filing, calendar=calendar, now=now),
                    target=target,
                )
            )
    if project.land_transferred_on:
        detail = _("地块 %(parcel)s") % {"parcel": project.parcel_number} if project.parcel_number else ""
        if project.is_custom_industrial_land:
            detail = "；".join(filter(None, [detail, _("工业定制地，施工图出让")]))
        entries.append(
            TimelineEntry(
                _day_at(project.land_transferred_on, 0), _("拿地（土地出让）"), detail, has_time=False
            )
        )
    for permit in project.permits.all():
        entries.extend(_permit_entries(permit, calendar=calendar, now=now))
    for report in project.reports.all():
        entries.append(
            TimelineEntry(
                _day_at(report.reported_on, 20),
                _("报告%(kind)s") % {"kind": report.get_kind_display()},
                report.content,
                has_time=False,
            )
        )
    for acceptance in project.acceptances.all():
        departments = "、".join(d.name for d in acceptance.departments.all())
        detail = "；".join(
            filter(
                None,
                [
                    _("参加部门：%(d)s") % {"d": departments} if departments else "",
                    _("发现问题：%(i)s") % {"i": acceptance.issues_found} if acceptance.issues_found else "",
                ],
            )
        )
        entries.append(
            TimelineEntry(
                _day_at(acceptance.held_on, 21),
                _("%(mode)s联合验收：%(result)s")
                % {"mode": acceptance.get_mode_display(), "result": acceptance.get_result_display()},
                detail,
                has_time=False,
            )
        )
    if include_internal:
        for blocker in project.blockers.all():
            entries.append(
                TimelineEntry(
                    _day_at(blocker.raised_on, 8),
                    _("提出堵点"),
                    blocker.description,
                    has_time=False,
                    internal=True,
                )
            )
            if blocker.resolved_on:
                entries.append(
                    TimelineEntry(
                        _day_at(blocker.resolved_on, 19),
                        _("堵点解决"),
                        f"{blocker.description}：{blocker.resolution}",
                        has_time=False,
                        internal=True,
                    )
                )
    return sorted(entries, key=lambda e: e.at)


def _permit_entries(permit: Permit, *, calendar: WorkCalendar, now: dt.datetime) -> list[TimelineEntry]:
    name = permit.permit_type.name
    target = permit.permit_type.sla_workdays
    running = permit.is_open
    clock = permit_workdays(permit, calendar=calendar, now=now)
    detail = _("告知承诺制") if permit.is_commitment else ""
    if running and permit.open_pause is not None:
        detail = "；".join(filter(None, [detail, _("暂停计时中")]))
    entries = [
        TimelineEntry(
            permit.applied_at,
            _("申请%(name)s") % {"name": name},
            detail,
            workdays=clock if running else None,
            target=target if running else None,
            running=running,
        )
    ]
    for step in permit.steps.all():
        if step.closed_at is None:
            continue
        title = (
            _("%(name)s 受理") % {"name": name}
            if step.kind == StepKind.ACCEPTANCE
            else _("%(name)s %(kind)s办结") % {"name": name, "kind": step.get_kind_display()}
        )
        entries.append(
            TimelineEntry(
                step.closed_at,
                title,
                step.note,
                workdays=calendar.elapsed(step.opened_at, step.closed_at),
                milestone=False,
            )
        )
    for pause in permit.pauses.all():
        entries.append(TimelineEntry(pause.started_at, _("%(name)s 暂停计时") % {"name": name}, pause.reason))
        if pause.ended_at is not None:
            entries.append(
                TimelineEntry(
                    pause.ended_at,
                    _("%(name)s 恢复计时") % {"name": name},
                    _("暂停 %(n)d 个工作日") % {"n": pause.workdays or 0},
                )
            )
    if permit.issued_at:
        entries.append(
            TimelineEntry(
                permit.issued_at,
                _("%(name)s 发证") % {"name": name},
                _("证书编号 %(no)s") % {"no": permit.certificate_number},
                workdays=clock,
                target=target,
            )
        )
    if permit.rejected_at:
        entries.append(
            TimelineEntry(
                permit.rejected_at,
                _("%(name)s 不予许可") % {"name": name},
                permit.reason,
                workdays=clock,
                target=target,
            )
        )
    for commitment in permit.commitments.all():
        if commitment.fulfilled_on:
            entries.append(
                TimelineEntry(
                    _day_at(commitment.fulfilled_on, 18),
                    _("承诺事项履行"),
                    f"{name}：{commitment.content}",
                    has_time=False,
                )
            )
    return entries


def overdue_items(project: Project, *, calendar: WorkCalendar, now: dt.datetime) -> list[str]:
    """What is past its deadline on a project at ``now``, one line each (reads prefetched records)."""
    lines = []
    for filing in project.filings.all():
        if filing.is_overdue_at(now):
            lines.append(
                _("企业投资备案超过时限（应于 %(due)s 前办结，已用 %(n)d 个工作日）")
                % {
                    "due": timezone.localtime(filing.due_at).strftime("%Y-%m-%d"),
                    "n": filing_workdays(filing, calendar=calendar, now=now),
                }
            )
    for permit in project.permits.all():
        if permit.is_overdue_at(now):
            lines.append(
                _("%(name)s超过办理时限（应于 %(due)s 前办结，已用 %(n)d / %(sla)d 个工作日）")
                % {
                    "name": permit.permit_type.name,
                    "due": timezone.localtime(permit.due_at).strftime("%Y-%m-%d"),
                    "n": permit_workdays(permit, calendar=calendar, now=now),
                    "sla": permit.permit_type.sla_workdays,
                }
            )
        for commitment in permit.commitments.all():
            if commitment.is_overdue_at(now):
                lines.append(
                    _("告知承诺事项逾期未履行：%(c)s（%(name)s，承诺期限 %(due)s）")
                    % {"c": commitment.content, "name": permit.permit_type.name, "due": commitment.due_on}
                )
    return lines


def open_blockers(project: Project) -> list[Blocker]:
    """Blockers not yet resolved (reads prefetched blockers)."""
    return [b for b in project.blockers.all() if b.resolved_on is None]


# ---------------------------------------------------------------- metrics


@dataclass(frozen=True)
class FilingMetrics:
    """Filings completed with 予以备案 in a period and how many working days they took."""

    count: int
    average_workdays: float | None
    p90_workdays: int | None


def filing_metrics(*, start: dt.date, end: dt.date, calendar: WorkCalendar | None = None) -> FilingMetrics:
    """Filings completed in ``start``..``end``: count, mean and nearest-rank 90th percentile working days."""
    calendar = calendar or WorkCalendar.load()
    rows = Filing.objects.filed_between(start, end).values_list("submitted_at", "completed_at")
    days = sorted(calendar.elapsed(submitted, completed) for submitted, completed in rows)
    if not days:
        return FilingMetrics(0, None, None)
    return FilingMetrics(
        count=len(days),
        average_workdays=sum(days) / len(days),
        p90_workdays=days[math.ceil(0.9 * len(days)) - 1],
    )


def four_permits_same_day_projects(*, start: dt.date, end: dt.date) -> QuerySet[Project]:
    """Projects whose land was transferred in the period and whose four permits were all issued that day."""
    same_day = Count(
        "permits__permit_type",
        filter=Q(
            permits__status=PermitStatus.ISSUED,
            permits__permit_type__code__in=FOUR_PERMITS,
            permits__issued_at__date=F("land_transferred_on"),
        ),
        distinct=True,
    )
    return (
        Project.objects.filter(land_transferred_on__gte=start, land_transferred_on__lte=end)
        .annotate(same_day_permits=same_day)
        .filter(same_day_permits=len(FOUR_PERMITS))
    )


def permits_overdue(*, now: dt.datetime | None = None) -> QuerySet[Permit]:
    """Permits under way whose clock ran past their deadline, as of ``now``."""
    return (
        Permit.objects.overdue(now or timezone.now())
        .select_related("project", "project__coordinator", "permit_type", "permit_type__department")
        .order_by("due_at", "id")
    )


def acceptance_counts(*, start: dt.date, end: dt.date) -> dict[str, int]:
    """Joint acceptances held in the period, online and offline."""
    counts = dict.fromkeys(AcceptanceMode.values, 0)
    rows = (
        Acceptance.objects.filter(held_on__gte=start, held_on__lte=end)
        .values("mode")
        .annotate(n=Count("id"))
        .values_list("mode", "n")
    )
    counts.update(dict(rows))
    return counts


# ---------------------------------------------------------------- dispatch


def dispatch_projects() -> QuerySet[Project]:
    """Key projects with a coordinator that are not yet operating: what the weekly dispatch follows."""
    return (
        Project.objects.filter(is_key=True, coordinator__isnull=False)
        .exclude(stage=Stage.OPERATING)
        .select_related("enterprise", "coordinator")
        .prefetch_related(*_full_prefetch())
        .order_by("coordinator_id", "code")
    )


def dispatch_weeks() -> list[dt.date]:
    """Weeks that have a dispatch, newest first."""
    return list(Dispatch.objects.order_by("-week_start").values_list("week_start", flat=True).distinct())


def dispatches_for_week(*, week_start: dt.date, coordinator_id: int | None = None) -> QuerySet[Dispatch]:
    """A week's dispatches with their items, projects and enterprises."""
    qs = Dispatch.objects.filter(week_start=week_start)
    if coordinator_id is not None:
        qs = qs.filter(coordinator_id=coordinator_id)
    return (
        qs.select_related("coordinator")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=DispatchItem.objects.select_related("project", "project__enterprise").order_by(
                    "project__code"
                ),
            )
        )
        .order_by("coordinator__username")
    )


def latest_filing_day(*, until: dt.date) -> dt.date | None:
    """The last local date up to ``until`` a filing was completed (予以备案); None before the first."""
    qs = Filing.objects.filter(outcome=FilingOutcome.FILED, completed_at__date__lte=until)
    moment = qs.aggregate(at=Max("completed_at"))["at"]
    return timezone.localdate(moment) if moment else None


def permits_due_on(*, user, day: dt.date) -> QuerySet[Permit]:
    """Permits under way whose deadline falls on ``day``: the user's department's, or all for a superuser."""
    if not (user.is_authenticated and user.is_staff):
        return Permit.objects.none()
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    qs = Permit.objects.open().filter(due_at__gte=start, due_at__lt=start + dt.timedelta(days=1))
    if not user.is_superuser:
        if user.department_id is None:
            return Permit.objects.none()
        qs = qs.filter(permit_type__department_id=user.department_id)
    return qs.select_related("project", "permit_type").order_by("due_at", "id")
