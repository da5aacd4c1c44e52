"""Writes of the service desk: every move of a problem, the hourly SLA sweep, and visits.

Each move locks the problem, checks the move against ``TRANSITIONS`` and the actor's right to make it,
sets the deadlines of the clock it starts, writes one timeline step, and tells whoever must act next.
"""

import datetime as dt
import logging
from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, Exists, F, OuterRef, Q, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import stats
from portal.accounts.models import Department, User
from portal.accounts.selectors import enterprise_members
from portal.accounts.services import notify
from portal.attachments import DOCUMENTS, PHOTOS, validate_attachment
from portal.enterprises.models import Enterprise
from portal.servicedesk import selectors
from portal.servicedesk.models import (
    FIRST_RESPONSE_WORKDAYS,
    IN_HANDS,
    MAX_ATTACHMENTS,
    RATING_WORKDAYS,
    TRANSITIONS,
    Action,
    Category,
    Channel,
    Escalation,
    EscalationKind,
    Problem,
    ProblemAttachment,
    ProblemStep,
    Satisfaction,
    Status,
    Visit,
)
from portal.workdays.selectors import WorkCalendar

logger = logging.getLogger(__name__)

TITLE_MAX = 200
STAFF_CHANNELS = (Channel.VISIT, Channel.HOTLINE)
# A problem's attachments: documents, and photos of the site or of a paper notice.
ATTACHMENT_KINDS = DOCUMENTS + PHOTOS


class ProblemError(Exception):
    """A service-desk move that is refused, with a message for people."""


def _deadline(calendar: WorkCalendar, moment: dt.datetime, workdays: int) -> dt.datetime:
    return calendar.deadline(moment, workdays)


def _lock(problem: Problem) -> Problem:
    return (
        Problem.objects.select_for_update(of=("self",))
        .select_related("department__head", "handler")
        .get(pk=problem.pk)
    )


def _check_move(problem: Problem, action: str) -> None:
    allowed_from, _to = TRANSITIONS[action]
    if problem.status not in allowed_from:
        raise ProblemError(
            _("诉求 #%(id)s 当前状态为“%(status)s”，不能%(action)s。")
            % {"id": problem.pk, "status": problem.get_status_display(), "action": Action(action).label}
        )


def _record(
    problem: Problem, action: str, *, actor: User | None, now: dt.datetime, note: str = ""
) -> ProblemStep:
    """Write the step of a checked move and put the problem in its new state (the caller saves it)."""
    to_status = TRANSITIONS[action][1]
    step = ProblemStep.objects.create(
        problem=problem,
        action=action,
        from_status=problem.status if action != Action.SUBMIT else "",
        to_status=to_status,
        actor=actor,
        department=problem.department,
        at=now,
        note=note,
    )
    problem.status = to_status
    return step


def _clean_text(value: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ProblemError(message)
    return value


def _check_files(files: Sequence) -> list[tuple[object, str]]:
    if len(files) > MAX_ATTACHMENTS:
        raise ProblemError(_("附件最多 %(n)d 个。") % {"n": MAX_ATTACHMENTS})
    checked = []
    for file in files:
        try:
            checked.append((file, validate_attachment(file, kinds=ATTACHMENT_KINDS)))
        except ValidationError as exc:
            raise ProblemError(f"{file.name}：{'；'.join(exc.messages)}") from exc
    return checked


def _attach(problem: Problem, step: ProblemStep, files: list[tuple[object, str]], user: User | None) -> None:
    for file, kind in files:
        attachment = ProblemAttachment(
            problem=problem,
            step=step,
            name=(file.name or "")[-200:],
            kind=kind,
            size=file.size,
            uploaded_by=user,
            uploaded_at=step.at,
        )
        attachment.file.save(file.name, file, save=False)
        attachment.save()


def _check_handler(handler: User | None, department: Department) -> None:
    if handler is None:
        return
    if not (handler.is_staff and handler.is_active and handler.department_id == department.pk):
        raise ProblemError(
            _("经办人 %(user)s 不是%(department)s的在岗工作人员。")
            % {"user": handler, "department": department}
        )


def _staff_url(problem: Problem) -> str:
    return reverse("admin:servicedesk_problem_change", args=[problem.pk])


def _enterprise_url(problem: Problem) -> str:
    return reverse("servicedesk:problem_detail", args=[problem.pk])


def _tell_department(problem: Problem, step: ProblemStep, title: str) -> None:
    recipients = {u.pk: u for u in selectors.department_heads(department=problem.department)}
    if problem.handler_id:
        recipients[problem.handler_id] = problem.handler
    notify(
        recipients=recipients.values(),
        key=f"servicedesk:problem:{problem.pk}:step:{step.pk}",
        title=title,
        body=f"{problem.enterprise.name}：{problem.title}",
        url=_staff_url(problem),
    )


def _changed() -> None:
    transaction.on_commit(stats.invalidate)


@transaction.atomic
def problem_submit(
    *,
    enterprise: Enterprise,
    user: User,
    channel: str,
    category: str,
    title: str,
    description: str,
    attachments: Iterable = (),
    visit: Visit | None = None,
) -> Problem:
    """Take in an enterprise's problem from any channel; it is to be routed within 1 working day."""
    if channel not in Channel.values:
        raise ProblemError(_("未知的诉求来源渠道：%(v)s。") % {"v": channel})
    if category not in Category.values:
        raise ProblemError(_("未知的诉求类别：%(v)s。") % {"v": category})
    title = _clean_text(title, _("请填写诉求标题。"))
    if len(title) > TITLE_MAX:
        raise ProblemError(_("诉求标题不能超过 %(n)d 个字。") % {"n": TITLE_MAX})
    description = _clean_text(description, _("请填写诉求内容。"))
    if channel in STAFF_CHANNELS:
        if not user.is_staff:
            raise ProblemError(_("走访和热线诉求由园区工作人员登记。"))
    elif user.enterprise_id != enterprise.pk:
        raise ProblemError(_("只能为本企业提交诉求。"))
    if channel == Channel.VISIT:
        if visit is None:
            raise ProblemError(_("走访收集的诉求须关联走访记录。"))
        if visit.enterprise_id != enterprise.pk:
            raise ProblemError(_("走访记录的企业与诉求企业不一致。"))
    elif visit is not None:
        raise ProblemError(_("只有走访收集的诉求可以关联走访记录。"))
    files = _check_files(list(attachments))

    now = timezone.now()
    problem = Problem.objects.create(
        enterprise=enterprise,
        channel=channel,
        visit=visit,
        category=category,
        title=title,
        description=description,
        raised_by=user,
        created_at=now,
        first_response_due=_deadline(WorkCalendar.load(), now, FIRST_RESPONSE_WORKDAYS),
    )
    step = _record(problem, Action.SUBMIT, actor=user, now=now)
    _attach(problem, step, files, user)
    notify(
        recipients=selectors.department_heads(department=None),
        key=f"servicedesk:problem:{problem.pk}:submitted",
        title=_("新诉求待交办：%(title)s") % {"title": title},
        body=f"{enterprise.name}（{Channel(channel).label}）",
        url=_staff_url(problem),
    )
    _changed()
    return problem


@transaction.atomic
def problem_assign(
    *, problem: Problem, user: User, department: Department, handler: User | None = None, note: str = ""
) -> Problem:
    """交办: the coordinating bureau routes a new problem to the responsible department; its clock starts."""
    if not selectors.sees_all_problems(user):
        raise ProblemError(_("只有牵头协调部门可以交办诉求。"))
    problem = _lock(problem)
    _check_move(problem, Action.ASSIGN)
    _check_handler(handler, department)
    now = timezone.now()
    problem.department = department
    problem.handler = handler
    problem.responded_at = now
    problem.answer_started_at = now
    problem.answer_due = _deadline(
        WorkCalendar.load(), now, selectors.answer_workdays(category=problem.category)
    )
    step = _record(problem, Action.ASSIGN, actor=user, now=now, note=(note or "").strip())
    problem.save()
    _tell_department(problem, step, _("新交办诉求：%(title)s") % {"title": problem.title})
    _changed()
    return problem


@transaction.atomic
def problems_assign(
    *,
    problems: Iterable[Problem],
    user: User,
    department: Department,
    handler: User | None = None,
    note: str = "",
) -> list[Problem]:
    """交办 several problems to one department; all or none."""
    return [
        problem_assign(problem=problem, user=user, department=department, handler=handler, note=note)
        for problem in problems
    ]


@transaction.atomic
def problem_transfer(
    *, problem: Problem, user: User, department: Department, reason: str, handler: User | None = None
) -> Problem:
    """转办: pass a problem to another department, with the reason; the new department's clock starts."""
    reason = _clean_text(reason, _("转办须说明理由。"))
    problem = _lock(problem)
    _check_move(problem, Action.TRANSFER)
    if not selectors.may_handle(user=user, problem=problem):
        raise ProblemError(_("只有承办部门或牵头协调部门可以转办该诉求。"))
    if department.pk == problem.department_id:
        raise ProblemError(_("转办的目标部门与当前承办部门相同。"))
    _check_handler(handler, department)
    now = timezone.now()
    problem.department = department
    problem.handler = handler
    problem.answer_started_at = now
    problem.answer_due = _deadline(
        WorkCalendar.load(), now, selectors.answer_workdays(category=problem.category)
    )
    step = _record(problem, Action.TRANSFER, actor=user, now=now, note=reason)
    problem.save()
    _tell_department(problem, step, _("转办诉求：%(title)s") % {"title": problem.title})
    _changed()
    return problem


@transaction.atomic
def problem_answer(*, problem: Problem, user: User, answer: str, attachments: Iterable = ()) -> Problem:
    """反馈: the department answers the enterprise, which then has 5 working days to rate the answer."""
    answer = _clean_text(answer, _("请填写反馈内容。"))
    problem = _lock(problem)
    _check_move(problem, Action.ANSWER)
    if not selectors.may_handle(user=user, problem=problem):
        raise ProblemError(_("只有承办部门或牵头协调部门可以反馈该诉求。"))
    files = _check_files(list(attachments))
    now = timezone.now()
    problem.handler = problem.handler or user
    problem.answered_at = now
    problem.rating_due = _deadline(WorkCalendar.load(), now, RATING_WORKDAYS)
    problem.satisfaction = ""
    problem.rating_comment = ""
    step = _record(problem, Action.ANSWER, actor=user, now=now, note=answer)
    problem.save()
    _attach(problem, step, files, user)
    notify(
        recipients=enterprise_members(enterprise_ids=[problem.enterprise_id]),
        key=f"servicedesk:problem:{problem.pk}:step:{step.pk}",
        title=_("您的诉求已有答复，请评价：%(title)s") % {"title": problem.title},
        body=answer,
        url=_enterprise_url(problem),
        email=True,
    )
    _changed()
    return problem


@transaction.atomic
def problem_rate(*, problem: Problem, user: User, satisfied: bool, comment: str = "") -> Problem:
    """Rate an answer: satisfied closes it, not satisfied sends it back to the department (退回重办).

    The enterprise rates on the portal; the coordinating bureau may record the rating it took in a
    call-back (回访) for enterprises without a login, with what was said, under its own name.
    """
    problem = _lock(problem)
    comment = (comment or "").strip()
    if user.enterprise_id is not None:
        if user.enterprise_id != problem.enterprise_id:
            raise ProblemError(_("只能评价本企业的诉求。"))
    elif selectors.sees_all_problems(user):
        if not comment:
            raise ProblemError(_("回访评价须记录回访情况。"))
    else:
        raise ProblemError(_("诉求由企业评价，或由牵头协调部门回访后登记。"))
    _check_move(problem, Action.CLOSE if satisfied else Action.REOPEN)
    if not satisfied and not comment:
        raise ProblemError(_("请说明不满意的原因，以便承办部门重新办理。"))
    now = timezone.now()
    problem.rating_comment = comment
    if satisfied:
        problem.satisfaction = Satisfaction.SATISFIED
        problem.closed_at = now
        _record(problem, Action.CLOSE, actor=user, now=now, note=comment)
        problem.save()
    else:
        problem.satisfaction = Satisfaction.UNSATISFIED
        problem.rating_due = None
        problem.answer_started_at = now
        problem.answer_due = _deadline(
            WorkCalendar.load(), now, selectors.answer_workdays(category=problem.category)
        )
        step = _record(problem, Action.REOPEN, actor=user, now=now, note=comment)
        problem.save()
        _tell_department(problem, step, _("企业不满意，诉求退回重办：%(title)s") % {"title": problem.title})
    _changed()
    return problem


@transaction.atomic
def problem_withdraw(*, problem: Problem, user: User, reason: str = "") -> Problem:
    """The enterprise withdraws a problem it no longer needs solved (撤回)."""
    problem = _lock(problem)
    if user.enterprise_id is None or user.enterprise_id != problem.enterprise_id:
        raise ProblemError(_("只能撤回本企业的诉求。"))
    _check_move(problem, Action.WITHDRAW)
    step = _record(problem, Action.WITHDRAW, actor=user, now=timezone.now(), note=(reason or "").strip())
    problem.save()
    if problem.department_id:
        _tell_department(problem, step, _("企业已撤回诉求：%(title)s") % {"title": problem.title})
    _changed()
    return problem


@transaction.atomic
def problem_close_unrated(*, problem: Problem, now: dt.datetime | None = None) -> Problem:
    """Close an answered problem the enterprise did not rate within 5 working days (视为办结)."""
    now = now or timezone.now()
    problem = _lock(problem)
    _check_move(problem, Action.AUTO_CLOSE)
    if problem.rating_due is None or problem.rating_due >= now:
        raise ProblemError(_("诉求 #%(id)s 的评价期尚未结束。") % {"id": problem.pk})
    problem.closed_at = now
    _record(
        problem,
        Action.AUTO_CLOSE,
        actor=None,
        now=now,
        note=_("企业在 %(n)d 个工作日内未评价，系统自动办结。") % {"n": RATING_WORKDAYS},
    )
    problem.save()
    _changed()
    return problem


@transaction.atomic
def problem_escalate(*, problem: Problem, now: dt.datetime | None = None) -> Escalation | None:
    """Report a missed deadline to the responsible head once (超期督办); None if not due or already done."""
    now = now or timezone.now()
    problem = _lock(problem)
    due = problem.current_due
    if due is None or due >= now:
        return None
    if problem.status == Status.SUBMITTED:
        kind, department = EscalationKind.FIRST_RESPONSE, None
    else:
        kind, department = EscalationKind.ANSWER, problem.department
    heads = selectors.department_heads(department=department) or selectors.department_heads(department=None)
    escalation, created = Escalation.objects.get_or_create(
        problem=problem,
        kind=kind,
        due=due,
        defaults={"department": department, "notified": heads[0] if heads else None, "created_at": now},
    )
    if not created:
        return None
    label = EscalationKind(kind).label
    notify(
        recipients=heads,
        key=f"servicedesk:escalation:{escalation.pk}",
        title=_("超期督办（%(kind)s）：%(title)s") % {"kind": label, "title": problem.title},
        body=_("%(enterprise)s 的诉求已超过时限 %(due)s，请督促办理。")
        % {"enterprise": problem.enterprise.name, "due": timezone.localtime(due).strftime("%Y-%m-%d %H:%M")},
        url=_staff_url(problem),
        email=True,
    )
    return escalation


def problem_deadlines_recompute(*, calendar: WorkCalendar, since: dt.date | None) -> int:
    """Compute again the running clocks' deadlines from ``since`` on (None: only those never set)."""
    days_by_category: dict[str, int] = {}

    def answer_days(problem: Problem) -> int:
        if problem.category not in days_by_category:
            days_by_category[problem.category] = selectors.answer_workdays(category=problem.category)
        return days_by_category[problem.category]

    clocks = [
        (Q(status=Status.SUBMITTED), "created_at", "first_response_due", lambda p: FIRST_RESPONSE_WORKDAYS),
        (
            Q(status__in=IN_HANDS, answer_started_at__isnull=False),
            "answer_started_at",
            "answer_due",
            answer_days,
        ),
        (
            Q(status=Status.ANSWERED, answered_at__isnull=False),
            "answered_at",
            "rating_due",
            lambda p: RATING_WORKDAYS,
        ),
    ]
    changed = 0
    for running, start, field, workdays in clocks:
        reach = Q(**{f"{field}__isnull": True})
        if since is not None:
            reach |= Q(**{f"{field}__date__gte": since})
        for problem in Problem.objects.filter(running & reach).order_by("pk"):
            due = _deadline(calendar, getattr(problem, start), workdays(problem))
            if due != getattr(problem, field):
                # Only if the clock has not moved on since the problem was read.
                changed += Problem.objects.filter(pk=problem.pk, status=problem.status).update(**{field: due})
    return changed


def problems_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The hourly SLA sweep: fill open deadlines, close unrated answers, escalate missed deadlines once."""
    now = now or timezone.now()
    filled = problem_deadlines_recompute(calendar=WorkCalendar.load(), since=None)
    closed = 0
    for pk in Problem.objects.filter(status=Status.ANSWERED, rating_due__lt=now).values_list("pk", flat=True):
        try:
            problem_close_unrated(problem=Problem(pk=pk), now=now)
        except ProblemError:
            continue  # rated or changed since the query: nothing to close
        closed += 1
    current_due = Case(
        When(status=Status.SUBMITTED, then=F("first_response_due")),
        default=F("answer_due"),
    )
    pending = (
        Problem.objects.overdue(now)
        .annotate(current_due_at=current_due)
        .exclude(Exists(Escalation.objects.filter(problem=OuterRef("pk"), due=OuterRef("current_due_at"))))
        .values_list("pk", flat=True)
    )
    escalated = sum(1 for pk in pending if problem_escalate(problem=Problem(pk=pk), now=now))
    return {"deadlines_filled": filled, "closed_unrated": closed, "escalated": escalated}


def visit_check(*, staff: User, enterprise: Enterprise, date: dt.date, visit: Visit | None = None) -> None:
    """Refuse a visit record that cannot be right: not by staff, in the future, or moving its problems."""
    if not staff.is_staff:
        raise ProblemError(_("走访人员须为园区工作人员。"))
    if date > timezone.localdate():
        raise ProblemError(_("走访日期不能晚于今天。"))
    if visit is not None and enterprise.pk != visit.enterprise_id and visit.problems.exists():
        raise ProblemError(_("该走访已登记诉求，不能更换企业。"))


@transaction.atomic
def visit_record(
    *, staff: User, enterprise: Enterprise, date: dt.date, participants: str = "", notes: str = ""
) -> Visit:
    """Record an enterprise visit (走访) made by a staff member."""
    visit_check(staff=staff, enterprise=enterprise, date=date)
    visit = Visit.objects.create(
        staff=staff, enterprise=enterprise, date=date, participants=participants.strip(), notes=notes.strip()
    )
    _changed()
    return visit


@transaction.atomic
def visit_update(
    *,
    visit: Visit,
    staff: User,
    enterprise: Enterprise,
    date: dt.date,
    participants: str = "",
    notes: str = "",
) -> Visit:
    """Correct a visit record; its enterprise stays once problems were raised on the visit."""
    visit_check(staff=staff, enterprise=enterprise, date=date, visit=visit)
    visit.staff, visit.enterprise, visit.date = staff, enterprise, date
    visit.participants, visit.notes = participants.strip(), notes.strip()
    visit.save()
    _changed()
    return visit
