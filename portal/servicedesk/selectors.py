"""Reads of the service desk: who sees which problems, timelines, deadlines and the resolution rate."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, F, Max, Prefetch, QuerySet, When
from django.utils import timezone

from portal.accounts.models import Department, User
from portal.servicedesk.models import (
    DEFAULT_ANSWER_WORKDAYS,
    Problem,
    ProblemAttachment,
    ProblemStep,
    ServiceLevel,
    Status,
    Visit,
)


def sees_all_problems(user: User) -> bool:
    """Superusers and the coordinating bureau (创新发展局) see every department's problems."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    if user.is_superuser:
        return True
    department = user.department
    return department is not None and department.is_coordinating


def may_handle(*, user: User, problem: Problem) -> bool:
    """Whether a staff user may transfer or answer this problem: its department, or one that sees all."""
    if sees_all_problems(user):
        return True
    return (
        user.is_authenticated
        and user.is_staff
        and user.department_id is not None
        and user.department_id == problem.department_id
    )


def may_view(*, user: User, problem: Problem) -> bool:
    """Whether a user may see this problem and its files: its enterprise's members, or staff who handle it."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.enterprise_id is not None:
        return user.enterprise_id == problem.enterprise_id
    return may_handle(user=user, problem=problem)


def problems_visible_to(*, user: User) -> QuerySet[Problem]:
    """What a user may see: an enterprise its own; staff their department's; the coordinating bureau all."""
    qs = Problem.objects.select_related("enterprise", "department", "handler")
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.enterprise_id is not None:
        return qs.filter(enterprise_id=user.enterprise_id)
    if sees_all_problems(user):
        return qs
    if user.is_staff and user.department_id is not None:
        return qs.filter(department_id=user.department_id)
    return qs.none()


def problem_with_timeline(*, problem_id: int, queryset: QuerySet[Problem] | None = None) -> Problem:
    """One problem (of ``queryset`` when given) with its steps, files and escalations, in a few queries."""
    if queryset is None:
        queryset = Problem.objects.all()
    return (
        queryset.select_related("enterprise", "department", "handler")
        .prefetch_related(
            Prefetch(
                "steps",
                queryset=ProblemStep.objects.select_related("actor", "department").prefetch_related(
                    "attachments"
                ),
            ),
            Prefetch("attachments", queryset=ProblemAttachment.objects.order_by("uploaded_at", "id")),
            "escalations__department",
            "escalations__notified",
        )
        .get(pk=problem_id)
    )


def enterprise_open_problems(*, enterprise_id: int) -> QuerySet[Problem]:
    """An enterprise's problems still in progress, newest first."""
    return Problem.objects.filter(enterprise_id=enterprise_id).open().select_related("department")


def dashboard_problems(*, enterprise_id: int, limit: int) -> tuple[list[Problem], int, int]:
    """The enterprise's newest ``limit`` open problems, how many are open, and how many of those wait for
    its rating (answered)."""
    open_problems = enterprise_open_problems(enterprise_id=enterprise_id)
    problems = list(open_problems[:limit])
    if len(problems) < limit:
        # These are all of them: counted here rather than by two more queries.
        return problems, len(problems), sum(problem.status == Status.ANSWERED for problem in problems)
    return problems, open_problems.count(), open_problems.filter(status=Status.ANSWERED).count()


def answer_workdays(*, category: str) -> int:
    """The answer deadline of a category in working days: staff's setting, else the default."""
    days = ServiceLevel.objects.filter(category=category).values_list("answer_workdays", flat=True).first()
    return days if days is not None else DEFAULT_ANSWER_WORKDAYS[category]


def department_heads(*, department: Department | None) -> list[User]:
    """Whom to tell about a department's problems: its head, or the coordinating bureau's when unrouted."""
    if department is None:
        return list(
            User.objects.filter(
                pk__in=Department.objects.filter(is_coordinating=True, head__isnull=False).values("head")
            )
        )
    return [department.head] if department.head_id else []


def visits_between(*, start: dt.date, end: dt.date) -> QuerySet[Visit]:
    """Visits dated ``start``..``end`` (both included)."""
    return Visit.objects.filter(date__gte=start, date__lte=end)


@dataclass(frozen=True)
class Resolution:
    collected: int
    resolved: int

    @property
    def rate(self) -> float | None:
        """Resolved / collected, to 4 places; None when nothing was collected (no rate, not 0 or 100%)."""
        if not self.collected:
            return None
        return round(self.resolved / self.collected, 4)


def resolution(*, start: dt.date, end: dt.date) -> Resolution:
    """Of the problems collected in ``start``..``end``, how many are resolved now (问题解决率).

    Resolved: closed with the enterprise satisfied, or closed without a rating when the 5-working-day
    rating window ran out. Withdrawn and still-open problems count as collected and not resolved.
    """
    collected = Problem.objects.created_between(start, end)
    return Resolution(collected=collected.count(), resolved=collected.resolved().count())


def latest_record_day(*, until: dt.date) -> dt.date | None:
    """The last day up to ``until`` with a visit made or a problem collected; None before the first."""
    visit = Visit.objects.filter(date__lte=until).aggregate(day=Max("date"))["day"]
    next_day = timezone.make_aware(dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min))
    created = Problem.objects.filter(created_at__lt=next_day).aggregate(at=Max("created_at"))["at"]
    days = [day for day in (visit, created and timezone.localdate(created)) if day]
    return max(days, default=None)


def overdue_for_staff(*, user: User, now: dt.datetime) -> QuerySet[Problem]:
    """The problems a staff user handles that are past the deadline they wait on, longest overdue first."""
    if not (user.is_authenticated and user.is_staff):
        return Problem.objects.none()
    due = Case(When(status=Status.SUBMITTED, then=F("first_response_due")), default=F("answer_due"))
    return problems_visible_to(user=user).overdue(now).annotate(due=due).order_by("due", "id")
