"""Writes of project approval tracking: every transition of a project, its filing, permits and dispatch."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import stats
from portal.accounts.models import Department, User
from portal.accounts.selectors import enterprise_members
from portal.accounts.services import notify
from portal.workdays.selectors import WorkCalendar
from projects import selectors
from projects.models import (
    CONSTRUCTION,
    STEP_SEQUENCE,
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
    PermitCommitment,
    PermitPause,
    PermitStatus,
    PermitStep,
    PermitType,
    Project,
    ReportKind,
    StepKind,
)


class ProjectError(Exception):
    """A project write that is refused, with a message for people."""


# ---------------------------------------------------------------- helpers


def _moment(at: dt.datetime | None, *, after: dt.datetime | None = None, what: str = "") -> dt.datetime:
    """``at`` or now; never naive, never in the future, never before the step it follows."""
    now = timezone.now()
    if at is None:
        at = now
    if timezone.is_naive(at):
        raise ProjectError(_("时间须带时区。"))
    if at > now:
        raise ProjectError(_("时间不能晚于当前时间：%(at)s") % {"at": _fmt(at)})
    if after is not None and at < after:
        raise ProjectError(
            _("%(what)s时间 %(at)s 不能早于 %(after)s。")
            % {"what": what, "at": _fmt(at), "after": _fmt(after)}
        )
    return at


def _day(on: dt.date | None, *, after: dt.date | None = None, what: str = "") -> dt.date:
    today = timezone.localdate()
    on = on or today
    if on > today:
        raise ProjectError(_("%(what)s日期不能晚于今天：%(on)s") % {"what": what, "on": on})
    if after is not None and on < after:
        raise ProjectError(
            _("%(what)s日期 %(on)s 不能早于 %(after)s。") % {"what": what, "on": on, "after": after}
        )
    return on


def _fmt(at: dt.datetime) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M")


def _calendar() -> WorkCalendar:
    return WorkCalendar.load()


def _deadline(calendar: WorkCalendar, moment: dt.datetime, n: int) -> dt.datetime:
    return calendar.deadline(moment, n)


def _elapsed(calendar: WorkCalendar, start: dt.datetime, end: dt.datetime) -> int:
    return calendar.elapsed(start, end)


def _lock(model, pk: int):
    """The row, locked until the transaction ends, so two clicks cannot both make a transition."""
    return model.objects.select_for_update().get(pk=pk)


def _figures_changed() -> None:
    transaction.on_commit(stats.invalidate)


def _validate(instance) -> None:
    try:
        instance.full_clean()
    except ValidationError as exc:
        raise ProjectError("；".join(exc.messages)) from exc


def _check_coordinator(coordinator: User | None) -> None:
    if coordinator is not None and not (coordinator.is_staff and coordinator.is_active):
        raise ProjectError(_("分包人须为在岗的园区工作人员：%(u)s") % {"u": coordinator})


# ---------------------------------------------------------------- projects

PROJECT_FIELDS = (
    "name",
    "site",
    "parcel_number",
    "total_investment",
    "industry",
    "is_key",
    "coordinator",
    "land_transferred_on",
    "is_custom_industrial_land",
)


@transaction.atomic
def project_create(
    *,
    code: str,
    enterprise,
    name: str,
    site: str,
    total_investment: Decimal,
    parcel_number: str = "",
    industry: str = "",
    is_key: bool = False,
    coordinator: User | None = None,
    land_transferred_on: dt.date | None = None,
    is_custom_industrial_land: bool = False,
) -> Project:
    """Register a project under its national project code."""
    _check_coordinator(coordinator)
    if land_transferred_on is not None:
        _day(land_transferred_on, what=_("拿地"))
    project = Project(
        code=code.strip(),
        enterprise=enterprise,
        name=name,
        site=site,
        total_investment=total_investment,
        parcel_number=parcel_number,
        industry=industry,
        is_key=is_key,
        coordinator=coordinator,
        land_transferred_on=land_transferred_on,
        is_custom_industrial_land=is_custom_industrial_land,
    )
    _validate(project)
    project.save()
    return project_stage_refresh(project=project)


@transaction.atomic
def project_update(*, project: Project, data: dict[str, Any]) -> Project:
    """Change a project's particulars (not its code, enterprise or stage); the stage follows."""
    unknown = set(data) - set(PROJECT_FIELDS)
    if unknown:
        raise ProjectError(_("不可修改的字段：%(f)s") % {"f": "、".join(sorted(unknown))})
    project = _lock(Project, project.pk)
    if "coordinator" in data:
        _check_coordinator(data["coordinator"])
    if data.get("land_transferred_on") is not None:
        _day(data["land_transferred_on"], what=_("拿地"))
    land_changed = (
        "land_transferred_on" in data and data["land_transferred_on"] != project.land_transferred_on
    )
    for field, value in data.items():
        setattr(project, field, value)
    _validate(project)
    project.save()
    if land_changed:
        _figures_changed()
    return project_stage_refresh(project=project)


@transaction.atomic
def project_stage_refresh(*, project: Project) -> Project:
    """Recompute the stage from the project's records and store it when it moved."""
    stored = Project.objects.select_for_update().values_list("stage", flat=True).get(pk=project.pk)
    stage = selectors.project_stage(project_id=project.pk)
    if stored != stage:
        Project.objects.filter(pk=project.pk).update(stage=stage, updated_at=timezone.now())
    project.stage = stage
    return project


# ---------------------------------------------------------------- filing (企业投资备案)


@transaction.atomic
def filing_submit(
    *, project: Project, submitted_at: dt.datetime | None = None, department: Department | None = None
) -> Filing:
    """Record a filing submitted for a project; its deadline is one working day on."""
    submitted_at = _moment(submitted_at)
    project = _lock(Project, project.pk)
    if project.filings.exclude(outcome=FilingOutcome.RETURNED).exists():
        raise ProjectError(_("该项目已有在办或已完成的备案。"))
    filing = Filing.objects.create(
        project=project,
        department=department,
        submitted_at=submitted_at,
        due_at=_deadline(_calendar(), submitted_at, Filing.TARGET_WORKDAYS),
    )
    return filing


@transaction.atomic
def filing_accept(*, filing: Filing, reviewer: User, at: dt.datetime | None = None) -> Filing:
    """Accept a submitted filing for review (受理)."""
    filing = _lock(Filing, filing.pk)
    if filing.status != FilingStatus.SUBMITTED:
        raise ProjectError(
            _("只有已提交的备案可以受理（当前：%(s)s）。") % {"s": filing.get_status_display()}
        )
    filing.accepted_at = _moment(at, after=filing.submitted_at, what=_("受理"))
    filing.status = FilingStatus.ACCEPTED
    filing.reviewer = reviewer
    filing.save(update_fields=["accepted_at", "status", "reviewer"])
    return filing


@transaction.atomic
def filing_complete(
    *, filing: Filing, reviewer: User, outcome: str, note: str = "", at: dt.datetime | None = None
) -> Filing:
    """Complete an accepted filing: 予以备案, or 退回补正 with a reason."""
    if outcome not in FilingOutcome.values:
        raise ProjectError(_("办理结果无效：%(o)s") % {"o": outcome})
    if outcome == FilingOutcome.RETURNED and not note.strip():
        raise ProjectError(_("退回补正须写明原因。"))
    filing = _lock(Filing, filing.pk)
    if filing.status != FilingStatus.ACCEPTED:
        raise ProjectError(
            _("只有已受理的备案可以办结（当前：%(s)s）。") % {"s": filing.get_status_display()}
        )
    filing.completed_at = _moment(at, after=filing.accepted_at, what=_("办结"))
    filing.status = FilingStatus.COMPLETED
    filing.outcome = outcome
    filing.reviewer = reviewer
    filing.note = note.strip()
    filing.save(update_fields=["completed_at", "status", "outcome", "reviewer", "note"])
    _figures_changed()
    project_stage_refresh(project=filing.project)
    return filing


@transaction.atomic
def filing_report_submit(
    *, project: Project, kind: str, reported_on: dt.date, content: str = "", user: User | None = None
) -> FilingReport:
    """The enterprise reports construction start, a change or completion after filing (开工 / 变更 / 竣工)."""
    if kind not in ReportKind.values:
        raise ProjectError(_("报告类型无效：%(k)s") % {"k": kind})
    project = _lock(Project, project.pk)
    filed = project.filings.filter(outcome=FilingOutcome.FILED).order_by("completed_at").first()
    if filed is None:
        raise ProjectError(_("项目备案完成后才能报告开工、变更或竣工。"))
    reported_on = _day(reported_on, after=timezone.localdate(filed.completed_at), what=_("报告"))
    kinds = dict(project.reports.values_list("kind", "reported_on"))
    if kind in (ReportKind.START, ReportKind.COMPLETION) and kind in kinds:
        raise ProjectError(_("已报告过%(k)s。") % {"k": ReportKind(kind).label})
    if kind == ReportKind.START:
        construction_permit = project.permits.filter(
            permit_type__code=CONSTRUCTION, status=PermitStatus.ISSUED
        ).first()
        if construction_permit is None:
            raise ProjectError(_("取得建筑工程施工许可证后才能报告开工。"))
        if reported_on < timezone.localdate(construction_permit.issued_at):
            raise ProjectError(_("开工日期不能早于施工许可证发证日期。"))
    if kind == ReportKind.COMPLETION:
        if ReportKind.START not in kinds:
            raise ProjectError(_("报告开工后才能报告竣工。"))
        if reported_on < kinds[ReportKind.START]:
            raise ProjectError(_("竣工日期不能早于开工日期。"))
    if kind == ReportKind.CHANGE and not content.strip():
        raise ProjectError(_("请写明变更内容。"))
    report = FilingReport.objects.create(
        project=project, kind=kind, reported_on=reported_on, content=content.strip(), reported_by=user
    )
    project_stage_refresh(project=project)
    return report


# ---------------------------------------------------------------- permits


@transaction.atomic
def permit_apply(
    *,
    project: Project,
    permit_type: PermitType,
    applied_at: dt.datetime | None = None,
    is_commitment: bool = False,
    commitments: Iterable[tuple[str, dt.date]] = (),
) -> Permit:
    """Record an application for a permit; its clock starts and the 受理 step opens."""
    applied_at = _moment(applied_at)
    project = _lock(Project, project.pk)
    if project.permits.filter(permit_type=permit_type).exclude(status=PermitStatus.REJECTED).exists():
        raise ProjectError(_("该项目已申请过%(t)s。") % {"t": permit_type.name})
    commitments = list(commitments)
    if commitments and not is_commitment:
        raise ProjectError(_("只有告知承诺制办理的证照才有承诺事项。"))
    permit = Permit.objects.create(
        project=project,
        permit_type=permit_type,
        applied_at=applied_at,
        due_at=_deadline(_calendar(), applied_at, permit_type.sla_workdays),
        is_commitment=is_commitment,
    )
    PermitStep.objects.create(permit=permit, kind=StepKind.ACCEPTANCE, opened_at=applied_at)
    for content, due_on in commitments:
        permit_commitment_add(permit=permit, content=content, due_on=due_on)
    project_stage_refresh(project=project)
    return permit


def _open_permit(permit: Permit) -> Permit:
    permit = _lock(Permit, permit.pk)
    if permit.status not in (PermitStatus.APPLIED, PermitStatus.UNDER_REVIEW):
        raise ProjectError(_("该证照已办结（%(s)s）。") % {"s": permit.get_status_display()})
    return permit


def _not_paused(permit: Permit) -> None:
    if permit.pauses.filter(ended_at__isnull=True).exists():
        raise ProjectError(
            _("%(t)s正在暂停计时（等待申请人），请先恢复计时。") % {"t": permit.permit_type.name}
        )


@transaction.atomic
def permit_accept(*, permit: Permit, user: User, at: dt.datetime | None = None) -> Permit:
    """Accept an application (受理): the 受理 step closes and 审查 opens."""
    permit = _open_permit(permit)
    if permit.status != PermitStatus.APPLIED:
        raise ProjectError(_("该证照已受理。"))
    _not_paused(permit)
    at = _moment(at, after=permit.applied_at, what=_("受理"))
    step = permit.steps.get(kind=StepKind.ACCEPTANCE, closed_at__isnull=True)
    step.closed_at, step.handler = at, user
    step.save(update_fields=["closed_at", "handler"])
    PermitStep.objects.create(permit=permit, kind=StepKind.REVIEW, opened_at=at)
    permit.status, permit.accepted_at = PermitStatus.UNDER_REVIEW, at
    permit.save(update_fields=["status", "accepted_at"])
    return permit


@transaction.atomic
def permit_step_close(
    *, step: PermitStep, user: User, note: str = "", at: dt.datetime | None = None
) -> PermitStep:
    """Close a review step (审查 / 审批); closing 审查 opens 审批."""
    step = _lock(PermitStep, step.pk)
    permit = _open_permit(step.permit)
    if step.closed_at is not None:
        raise ProjectError(_("该环节已办结。"))
    if step.kind == StepKind.ACCEPTANCE:
        raise ProjectError(_("受理环节请用“受理”操作办理。"))
    _not_paused(permit)
    step.closed_at = _moment(at, after=step.opened_at, what=_("办结"))
    step.handler, step.note = user, note.strip()
    step.save(update_fields=["closed_at", "handler", "note"])
    following = STEP_SEQUENCE[STEP_SEQUENCE.index(step.kind) + 1 :]
    if following and not permit.steps.filter(kind=following[0], closed_at__isnull=True).exists():
        PermitStep.objects.create(permit=permit, kind=following[0], opened_at=step.closed_at)
    return step


@transaction.atomic
def permit_step_open(
    *, permit: Permit, kind: str, user: User | None = None, at: dt.datetime | None = None
) -> PermitStep:
    """Open another round of review (e.g. a second 审查 after a supplement); it must close before issue."""
    if kind not in (StepKind.REVIEW, StepKind.APPROVAL):
        raise ProjectError(_("只能增开审查或审批环节。"))
    permit = _open_permit(permit)
    if permit.status != PermitStatus.UNDER_REVIEW:
        raise ProjectError(_("受理后才能增开审查环节。"))
    if permit.steps.filter(kind=kind, closed_at__isnull=True).exists():
        raise ProjectError(_("已有未办结的%(k)s环节。") % {"k": StepKind(kind).label})
    return PermitStep.objects.create(
        permit=permit,
        kind=kind,
        opened_at=_moment(at, after=permit.accepted_at, what=_("开始")),
        handler=user,
    )


@transaction.atomic
def permit_issue(
    *, permit: Permit, user: User, certificate_number: str, at: dt.datetime | None = None
) -> Permit:
    """Issue a permit; refused while any of its review steps is open or its clock is paused."""
    permit = _open_permit(permit)
    if permit.status != PermitStatus.UNDER_REVIEW:
        raise ProjectError(_("证照受理并审查后才能发证。"))
    _not_paused(permit)
    open_steps = list(permit.steps.filter(closed_at__isnull=True))
    if open_steps:
        raise ProjectError(
            _("%(t)s尚有未办结的环节：%(steps)s，不能发证。")
            % {"t": permit.permit_type.name, "steps": "、".join(s.get_kind_display() for s in open_steps)}
        )
    number = certificate_number.strip()
    if not number:
        raise ProjectError(_("请填写证书编号。"))
    if Permit.objects.filter(permit_type=permit.permit_type, certificate_number=number).exists():
        raise ProjectError(_("证书编号 %(n)s 已被使用。") % {"n": number})
    last_step = permit.steps.order_by("-closed_at").first()
    permit.issued_at = _moment(
        at, after=last_step.closed_at if last_step else permit.accepted_at, what=_("发证")
    )
    permit.status, permit.certificate_number = PermitStatus.ISSUED, number
    permit.save(update_fields=["issued_at", "status", "certificate_number"])
    _figures_changed()
    project_stage_refresh(project=permit.project)
    return permit


@transaction.atomic
def permit_pause(*, permit: Permit, user: User, reason: str, at: dt.datetime | None = None) -> PermitPause:
    """Stop a permit's clock while it waits on the applicant (补正材料)."""
    if not reason.strip():
        raise ProjectError(_("请写明暂停计时的原因。"))
    permit = _open_permit(permit)
    _not_paused(permit)
    latest = max(
        filter(
            None, [permit.applied_at, permit.accepted_at, *permit.steps.values_list("closed_at", flat=True)]
        )
    )
    started = _moment(at, after=latest, what=_("暂停"))
    return PermitPause.objects.create(permit=permit, started_at=started, reason=reason.strip()[:200])


@transaction.atomic
def permit_resume(*, permit: Permit, user: User, at: dt.datetime | None = None) -> Permit:
    """Restart a paused permit's clock; its deadline moves on by the working days it was paused."""
    permit = _open_permit(permit)
    pause = permit.pauses.select_for_update().filter(ended_at__isnull=True).first()
    if pause is None:
        raise ProjectError(_("%(t)s没有暂停计时。") % {"t": permit.permit_type.name})
    calendar = _calendar()
    pause.ended_at = _moment(at, after=pause.started_at, what=_("恢复"))
    pause.workdays = _elapsed(calendar, pause.started_at, pause.ended_at)
    pause.save(update_fields=["ended_at", "workdays"])
    if pause.workdays:
        permit.due_at = _deadline(calendar, permit.due_at, pause.workdays)
        permit.save(update_fields=["due_at"])
    return permit


def deadlines_recompute(*, calendar: WorkCalendar, since: dt.date) -> int:
    """Compute again the deadlines of open filings and permits that reach ``since`` (a calendar change)."""
    changed = 0
    for filing in Filing.objects.open().filter(due_at__date__gte=since).order_by("pk"):
        due = _deadline(calendar, filing.submitted_at, Filing.TARGET_WORKDAYS)
        if due != filing.due_at:
            filing.due_at = due
            filing.save(update_fields=["due_at"])
            changed += 1
    permits = Permit.objects.open().filter(due_at__date__gte=since).select_related("permit_type")
    for permit in permits.prefetch_related("pauses").order_by("pk"):
        # The clock as the services ran it: the type's time limit, then each pause's working days on top.
        due = _deadline(calendar, permit.applied_at, permit.permit_type.sla_workdays)
        for pause in sorted(permit.pauses.all(), key=lambda p: p.started_at):
            if pause.ended_at is None:
                continue
            workdays = _elapsed(calendar, pause.started_at, pause.ended_at)
            if workdays != pause.workdays:
                pause.workdays = workdays
                pause.save(update_fields=["workdays"])
            if workdays:
                due = _deadline(calendar, due, workdays)
        if due != permit.due_at:
            permit.due_at = due
            permit.save(update_fields=["due_at"])
            changed += 1
    return changed


@transaction.atomic
def permit_reject(*, permit: Permit, user: User, reason: str, at: dt.datetime | None = None) -> Permit:
    """Refuse a permit (不予许可) with its reason; open steps and a running pause end with it."""
    if not reason.strip():
        raise ProjectError(_("不予许可须写明理由。"))
    permit = _open_permit(permit)
    at = _moment(at, after=permit.accepted_at or permit.applied_at, what=_("不予许可"))
    calendar = _calendar()
    for pause in permit.pauses.filter(ended_at__isnull=True):
        pause.ended_at = max(at, pause.started_at)
        pause.workdays = _elapsed(calendar, pause.started_at, pause.ended_at)
        pause.save(update_fields=["ended_at", "workdays"])
    for step in permit.steps.filter(closed_at__isnull=True):
        step.closed_at, step.handler, step.note = max(at, step.opened_at), user, reason.strip()
        step.save(update_fields=["closed_at", "handler", "note"])
    permit.status, permit.rejected_at, permit.reason = PermitStatus.REJECTED, at, reason.strip()
    permit.save(update_fields=["status", "rejected_at", "reason"])
    project_stage_refresh(project=permit.project)
    return permit


@transaction.atomic
def permit_commitment_add(*, permit: Permit, content: str, due_on: dt.date) -> PermitCommitment:
    """Record a written commitment under 告知承诺制: what the applicant supplies, by when."""
    if not permit.is_commitment:
        raise ProjectError(_("只有告知承诺制办理的证照才有承诺事项。"))
    if not content.strip():
        raise ProjectError(_("请写明承诺事项。"))
    if due_on < timezone.localdate(permit.applied_at):
        raise ProjectError(_("承诺期限不能早于申请日期。"))
    return PermitCommitment.objects.create(permit=permit, content=content.strip()[:200], due_on=due_on)


@transaction.atomic
def permit_commitment_fulfil(*, commitment: PermitCommitment, on: dt.date | None = None) -> PermitCommitment:
    """Record that the applicant supplied what it committed to."""
    commitment = _lock(PermitCommitment, commitment.pk)
    if commitment.fulfilled_on is not None:
        raise ProjectError(_("该承诺事项已履行。"))
    commitment.fulfilled_on = _day(on, after=timezone.localdate(commitment.permit.applied_at), what=_("履行"))
    commitment.save(update_fields=["fulfilled_on"])
    return commitment


# ---------------------------------------------------------------- joint acceptance, blockers


@transaction.atomic
def acceptance_record(
    *,
    project: Project,
    mode: str,
    held_on: dt.date,
    result: str,
    departments: Iterable[Department] = (),
    issues_found: str = "",
    user: User | None = None,
) -> Acceptance:
    """Record a joint acceptance (联合验收), online or offline; a failed one names the issues found."""
    if mode not in AcceptanceMode.values:
        raise ProjectError(_("验收方式无效：%(m)s") % {"m": mode})
    if result not in AcceptanceResult.values:
        raise ProjectError(_("验收结果无效：%(r)s") % {"r": result})
    if result == AcceptanceResult.FAILED and not issues_found.strip():
        raise ProjectError(_("验收未通过须写明发现的问题。"))
    project = _lock(Project, project.pk)
    completion = project.reports.filter(kind=ReportKind.COMPLETION).first()
    if completion is None:
        raise ProjectError(_("项目报告竣工后才能组织联合验收。"))
    held_on = _day(held_on, after=completion.reported_on, what=_("验收"))
    acceptance = Acceptance.objects.create(
        project=project,
        mode=mode,
        held_on=held_on,
        result=result,
        issues_found=issues_found.strip(),
        recorded_by=user,
    )
    acceptance.departments.set(departments)
    _figures_changed()
    project_stage_refresh(project=project)
    return acceptance


@transaction.atomic
def blocker_raise(
    *,
    project: Project,
    description: str,
    department: Department | None = None,
    raised_on: dt.date | None = None,
) -> Blocker:
    """Put a problem holding the project back on its list, for the weekly dispatch."""
    if not description.strip():
        raise ProjectError(_("请写明问题。"))
    return Blocker.objects.create(
        project=project, description=description.strip(), department=department, raised_on=_day(raised_on)
    )


@transaction.atomic
def blocker_resolve(*, blocker: Blocker, resolution: str, resolved_on: dt.date | None = None) -> Blocker:
    """Close a blocker with how it was solved."""
    if not resolution.strip():
        raise ProjectError(_("请写明解决情况。"))
    blocker = _lock(Blocker, blocker.pk)
    if blocker.resolved_on is not None:
        raise ProjectError(_("该堵点已解决。"))
    blocker.resolved_on = _day(resolved_on, after=blocker.raised_on, what=_("解决"))
    blocker.resolution = resolution.strip()
    blocker.save(update_fields=["resolved_on", "resolution"])
    return blocker


# ---------------------------------------------------------------- weekly dispatch (每周调度)


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@transaction.atomic
def dispatch_build(*, week_start: dt.date, now: dt.datetime | None = None) -> list[Dispatch]:
    """Each coordinator's dispatch for the week from ``week_start``; building a week twice adds nothing."""
    if week_start.weekday() != 0:
        raise ProjectError(_("调度周须从周一开始：%(d)s") % {"d": week_start})
    return _dispatch_build(week_start=week_start, now=now or timezone.now())


def _dispatch_build(*, week_start: dt.date, now: dt.datetime) -> list[Dispatch]:
    calendar = _calendar()
    last_week = (week_start - dt.timedelta(days=7), week_start - dt.timedelta(days=1))
    by_coordinator: dict[int, list[Project]] = defaultdict(list)
    for project in selectors.dispatch_projects():
        by_coordinator[project.coordinator_id].append(project)
    dispatches = []
    for coordinator_id, projects in by_coordinator.items():
        dispatch, created = Dispatch.objects.get_or_create(
            coordinator_id=coordinator_id, week_start=week_start, defaults={"generated_at": now}
        )
        # Items already there are the record of that week: kept as they are, notes included.
        known = set(dispatch.items.values_list("project_id", flat=True))
        items = [
            _dispatch_item(dispatch, project, calendar=calendar, now=now, window=last_week)
            for project in projects
            if project.pk not in known
        ]
        DispatchItem.objects.bulk_create(items, ignore_conflicts=True)
        if created:
            coordinator = projects[0].coordinator
            notify(
                recipients=[coordinator],
                key=f"projects:dispatch:{dispatch.pk}",
                title=_("%(week)s 周重点项目调度清单已生成（%(n)d 个项目）")
                % {"week": week_start.isoformat(), "n": len(projects)},
                url=reverse("projects:dispatch") + f"?week={week_start.isoformat()}",
            )
        dispatches.append(dispatch)
    return dispatches


def _dispatch_item(dispatch, project, *, calendar, now, window) -> DispatchItem:
    start, end = window
    moved = [
        f"{e.day:%m-%d} {e.title}" + (f"（{e.detail}）" if e.detail else "")
        for e in selectors.project_timeline(project, calendar=calendar, now=now, include_internal=True)
        if e.milestone and start <= e.day <= end
    ]
    blockers = [
        f"{b.description}" + (f"（{b.department}）" if b.department else "")
        for b in selectors.open_blockers(project)
    ]
    return DispatchItem(
        dispatch=dispatch,
        project=project,
        stage=project.stage,
        moved="\n".join(moved),
        overdue="\n".join(selectors.overdue_items(project, calendar=calendar, now=now)),
        blockers="\n".join(blockers),
    )


@transaction.atomic
def dispatch_item_annotate(*, item: DispatchItem, note: str, resolution: str) -> DispatchItem:
    """Staff write the meeting's instruction (调度意见) and what was done (落实情况) on a dispatch item."""
    item = _lock(DispatchItem, item.pk)
    item.note, item.resolution = note.strip(), resolution.strip()
    item.save(update_fields=["note", "resolution"])
    return item


@transaction.atomic
def dispatch_note(*, dispatch: Dispatch, note: str) -> Dispatch:
    """Staff write the minutes of the week's meeting (调度纪要) on a coordinator's dispatch."""
    dispatch = _lock(Dispatch, dispatch.pk)
    dispatch.note = note.strip()
    dispatch.save(update_fields=["note"])
    return dispatch


# ---------------------------------------------------------------- SLA sweep


def _department_people(department: Department | None) -> list[User]:
    if department is None:
        return []
    if department.head_id and department.head.is_active:
        return [department.head]
    return list(User.objects.filter(department=department, is_active=True, is_staff=True))


def _recipients(project: Project, department: Department | None) -> list[User]:
    people = _department_people(department)
    if project.coordinator_id and project.coordinator.is_active:
        people.append(project.coordinator)
    return list({u.pk: u for u in people}.values())


def _claim(model, pk: int, now: dt.datetime) -> bool:
    # The flag is claimed with a conditional update, so two sweeps at once flag and notify an item once.
    return bool(model.objects.filter(pk=pk, overdue_flagged_at__isnull=True).update(overdue_flagged_at=now))


def sla_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Flag each filing, permit and commitment past its deadline; tell coordinator and department once."""
    now = now or timezone.now()
    counts = {"filings": 0, "permits": 0, "commitments": 0}
    filings = (
        Filing.objects.overdue(now)
        .filter(overdue_flagged_at__isnull=True)
        .select_related("project__coordinator", "department__head")
    )
    for filing in filings:
        with transaction.atomic():
            if not _claim(Filing, filing.pk, now):
                continue
            notify(
                recipients=_recipients(filing.project, filing.department),
                key=f"projects:filing-overdue:{filing.pk}",
                title=_("【超时】%(p)s 企业投资备案已超过办理时限") % {"p": filing.project.name},
                body=_("应于 %(due)s 前办结。") % {"due": _fmt(filing.due_at)},
                url=reverse("admin:projects_filing_change", args=[filing.pk]),
            )
            counts["filings"] += 1
    permits = (
        Permit.objects.overdue(now)
        .filter(overdue_flagged_at__isnull=True)
        .select_related("project__coordinator", "permit_type__department__head")
    )
    for permit in permits:
        with transaction.atomic():
            if not _claim(Permit, permit.pk, now):
                continue
            notify(
                recipients=_recipients(permit.project, permit.permit_type.department),
                key=f"projects:permit-overdue:{permit.pk}",
                title=_("【超时】%(p)s %(t)s已超过办理时限")
                % {"p": permit.project.name, "t": permit.permit_type.name},
                body=_("应于 %(due)s 前办结。") % {"due": _fmt(permit.due_at)},
                url=reverse("admin:projects_permit_change", args=[permit.pk]),
            )
            counts["permits"] += 1
    commitments = (
        PermitCommitment.objects.overdue(now)
        .filter(overdue_flagged_at__isnull=True)
        .select_related("permit__project__coordinator", "permit__permit_type__department__head")
    )
    for commitment in commitments:
        with transaction.atomic():
            if not _claim(PermitCommitment, commitment.pk, now):
                continue
            permit = commitment.permit
            title = _("【逾期】%(p)s 告知承诺事项逾期未履行：%(c)s") % {
                "p": permit.project.name,
                "c": commitment.content,
            }
            body = _("%(t)s，承诺期限 %(due)s。") % {"t": permit.permit_type.name, "due": commitment.due_on}
            key = f"projects:commitment-overdue:{commitment.pk}"
            notify(
                recipients=_recipients(permit.project, permit.permit_type.department),
                key=key,
                title=title,
                body=body,
                url=reverse("admin:projects_permitcommitment_change", args=[commitment.pk]),
            )
            # The enterprise owes the documents: it hears of it too, on its own project page.
            notify(
                recipients=enterprise_members(enterprise_ids=[permit.project.enterprise_id]),
                key=key,
                title=title,
                body=body,
                url=reverse("projects:detail", args=[permit.project_id]),
            )
            counts["commitments"] += 1
    return counts
