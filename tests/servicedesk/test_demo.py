"""The demo campaign: the H1 2023 figures come from records whose timelines obey the state machine."""

import datetime as dt
import io
from collections import defaultdict

import pytest
from django.utils import timezone

from portal.accounts import demo as accounts_demo
from portal.enterprises import demo as enterprises_demo
from portal.servicedesk import demo
from portal.servicedesk.models import (
    FIRST_RESPONSE_WORKDAYS,
    RATING_WORKDAYS,
    TRANSITIONS,
    Action,
    Escalation,
    Problem,
    ProblemStep,
    Status,
    Visit,
)
from portal.servicedesk.selectors import answer_workdays
from portal.servicedesk.stats import figures
from portal.workdays.selectors import WorkCalendar

H1 = {"start": dt.date(2023, 1, 1), "end": dt.date(2023, 6, 30)}
STAFF_ACTIONS = (Action.ASSIGN, Action.TRANSFER, Action.ANSWER)
CLOCK_STARTS = (Action.ASSIGN, Action.TRANSFER, Action.REOPEN)


def _check_timeline(problem, steps, calendar, sla):
    """Replay one problem's steps and check its stored state is where they lead."""
    assert steps[0].action == Action.SUBMIT and steps[0].at == problem.created_at
    assert problem.first_response_due == calendar.deadline(problem.created_at, FIRST_RESPONSE_WORKDAYS)
    status, department, answer_due, rating_due = "", None, None, None
    for before, step in zip([None, *steps], steps, strict=False):
        allowed_from, to_status = TRANSITIONS[step.action]
        assert step.from_status == status
        assert step.action == Action.SUBMIT or status in allowed_from
        assert step.to_status == to_status
        if before is not None:
            assert step.at > before.at
        if step.action in STAFF_ACTIONS:
            local = timezone.localtime(step.at)
            assert calendar.is_workday(local.date()) and 8 <= local.hour < 18
        if step.action == Action.ASSIGN:
            assert step.at <= problem.first_response_due
        if step.action in (Action.ASSIGN, Action.TRANSFER):
            department = step.department
        if step.action in CLOCK_STARTS:
            answer_due = calendar.deadline(step.at, sla)
        if step.action == Action.ANSWER:
            rating_due = calendar.deadline(step.at, RATING_WORKDAYS)
        if step.action == Action.AUTO_CLOSE:
            assert step.actor is None and step.at > rating_due
        assert step.department == department
        status = to_status
    assert problem.status == status
    assert problem.department == department
    assert problem.answer_due == answer_due
    if status == Status.CLOSED:
        assert problem.closed_at == steps[-1].at
        assert problem.rating_due == rating_due


@pytest.mark.django_db
def test_the_demo_campaign_is_resolved_at_99_9_percent_from_consistent_records_and_loads_once():
    out = io.StringIO()
    accounts_demo.load(out)
    enterprises_demo.load(out)
    demo.load(out)

    assert figures(**H1) == {
        "enterprise_visits": 2810,
        "problems_collected": 1043,
        "problems_resolved": 1042,
        "problem_resolution_rate": 0.999,
    }

    calendar = WorkCalendar.load()
    staff_names = {name for name, *_ in accounts_demo.STAFF}
    visits = Visit.objects.filter(date__range=(H1["start"], H1["end"])).select_related("staff")
    assert all(calendar.is_workday(v.date) and v.staff.username in staff_names for v in visits)
    assert Visit.objects.values("enterprise").distinct().count() > 2000

    problems = list(Problem.objects.created_between(H1["start"], H1["end"]).select_related("department"))
    steps = defaultdict(list)
    for step in ProblemStep.objects.filter(problem__in=problems).select_related("actor", "department"):
        steps[step.problem_id].append(step)
    slas = {c: answer_workdays(category=c) for c in {p.category for p in problems}}
    for problem in problems:
        _check_timeline(problem, steps[problem.pk], calendar, slas[problem.category])
        if problem.visit_id:
            assert problem.visit.enterprise_id == problem.enterprise_id
            assert problem.visit.date == timezone.localdate(problem.created_at)

    still_open = [p for p in problems if not p.is_resolved]
    assert [(p.status, p.category) for p in still_open] == [(Status.REOPENED, "land")]
    assert still_open[0].escalations.get().due == still_open[0].answer_due
    for escalation in Escalation.objects.select_related("problem"):
        assert escalation.created_at > escalation.due
        answers_after = [
            s for s in steps[escalation.problem_id] if s.action == Action.ANSWER and s.at > escalation.due
        ]
        assert answers_after or escalation.problem.status == Status.REOPENED
    counts = (
        Visit.objects.count(),
        Problem.objects.count(),
        ProblemStep.objects.count(),
        Escalation.objects.count(),
    )

    demo.load(out)

    assert (
        Visit.objects.count(),
        Problem.objects.count(),
        ProblemStep.objects.count(),
        Escalation.objects.count(),
    ) == counts
