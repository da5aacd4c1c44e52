"""Deadlines in working days, the hourly sweep, escalation exactly once, and closing unrated answers."""

import datetime as dt

import pytest

from portal.accounts.models import Notification
from portal.servicedesk import services
from portal.servicedesk.models import (
    Action,
    Category,
    Escalation,
    EscalationKind,
    Problem,
    ServiceLevel,
    Status,
)
from portal.workdays.services import calendar_year_load
from tests.servicedesk.conftest import local
from tests.servicedesk.factories import bring_to, submit

pytestmark = pytest.mark.django_db


def end_of(y, m, d) -> dt.datetime:
    return local(y, m, d, 23, 59, 59, 999999)


def test_deadlines_count_working_days_across_the_labour_day_holiday(desk, time_machine):
    # Friday 28 April 2023; 29 April to 3 May off, Saturday 6 May a make-up working day.
    time_machine.move_to(local(2023, 4, 28, 10, 0), tick=False)
    problem = submit(desk, category=Category.PERMITS)
    assert problem.first_response_due == end_of(2023, 5, 4)

    time_machine.move_to(local(2023, 4, 28, 11, 0), tick=False)
    problem = services.problem_assign(problem=problem, user=desk.coordinator, department=desk.land)
    # Permits: 5 working days — 4, 5, 6 (Saturday, make-up), 8, 9 May.
    assert problem.answer_due == end_of(2023, 5, 9)

    time_machine.move_to(local(2023, 5, 9, 16, 0), tick=False)
    problem = services.problem_answer(problem=problem, user=desk.land_staff, answer="已办理。")
    # Rating window: 5 working days — 10, 11, 12, 15, 16 May.
    assert problem.rating_due == end_of(2023, 5, 16)


def test_the_answer_deadline_follows_the_category_setting_staff_changed(desk, monday):
    ServiceLevel.objects.update_or_create(category=Category.UTILITIES, defaults={"answer_workdays": 2})
    problem = submit(desk, category=Category.UTILITIES)

    problem = services.problem_assign(problem=problem, user=desk.coordinator, department=desk.land)

    assert problem.answer_due == end_of(2023, 6, 7)


def test_the_sweep_escalates_a_missed_answer_deadline_once_to_the_department_head(desk, monday):
    problem = bring_to(desk, Status.ASSIGNED)  # permits: due end of 12 June
    monday.move_to(local(2023, 6, 12, 23, 0))
    assert services.problems_sweep()["escalated"] == 0

    monday.move_to(local(2023, 6, 13, 0, 5))
    first = services.problems_sweep()
    second = services.problems_sweep()
    monday.move_to(local(2023, 6, 14, 9, 5))
    third = services.problems_sweep()

    assert (first["escalated"], second["escalated"], third["escalated"]) == (1, 0, 0)
    escalation = Escalation.objects.get()
    assert (escalation.problem, escalation.kind, escalation.department, escalation.notified) == (
        problem,
        EscalationKind.ANSWER,
        desk.land,
        desk.land_staff,
    )
    assert escalation.due == end_of(2023, 6, 12)
    notes = Notification.objects.filter(key=f"servicedesk:escalation:{escalation.pk}")
    assert [n.recipient for n in notes] == [desk.land_staff]
    assert notes.get().title.startswith("超期督办（超时未反馈）")


def test_a_new_deadline_missed_again_is_escalated_again_once(desk, monday):
    problem = bring_to(desk, Status.ASSIGNED)
    monday.move_to(local(2023, 6, 13, 9, 0))
    services.problems_sweep()

    problem = services.problem_transfer(
        problem=problem, user=desk.land_staff, department=desk.finance, reason="属融资"
    )
    monday.move_to(local(2023, 6, 21, 9, 0))  # permits: 5 working days from 13 June end on 20 June
    services.problems_sweep()
    services.problems_sweep()

    escalations = list(
        Escalation.objects.order_by("id").values_list("department__code", "notified__username")
    )
    assert escalations == [("gtgh", "gtgh"), ("czjr", "czjr")]


def test_an_unrouted_problem_past_its_first_response_deadline_goes_to_the_coordinating_head(desk, monday):
    problem = submit(desk)
    monday.move_to(local(2023, 6, 7, 0, 5))

    services.problems_sweep()
    services.problems_sweep()

    escalation = Escalation.objects.get()
    assert (escalation.problem, escalation.kind, escalation.department, escalation.notified) == (
        problem,
        EscalationKind.FIRST_RESPONSE,
        None,
        desk.coordinator,
    )


def test_escalations_are_listed_on_the_problem(desk, monday):
    problem = bring_to(desk, Status.ASSIGNED)
    monday.move_to(local(2023, 6, 13, 9, 0))
    services.problems_sweep()

    assert [e.kind for e in problem.escalations.all()] == [EscalationKind.ANSWER]


def test_answered_problems_are_not_escalated(desk, monday):
    bring_to(desk, Status.ANSWERED)
    monday.move_to(local(2023, 6, 13, 9, 0))

    assert services.problems_sweep()["escalated"] == 0
    assert not Escalation.objects.exists()


def test_an_answer_not_rated_in_5_working_days_closes_without_a_rating(desk, monday):
    problem = bring_to(desk, Status.ANSWERED)  # answered Monday 5 June: rating due end of 12 June
    monday.move_to(local(2023, 6, 12, 23, 59))
    assert services.problems_sweep()["closed_unrated"] == 0

    monday.move_to(local(2023, 6, 13, 0, 5))
    result = services.problems_sweep()

    problem.refresh_from_db()
    assert result["closed_unrated"] == 1
    assert problem.status == Status.CLOSED
    assert problem.satisfaction == ""
    assert problem.is_resolved
    step = problem.steps.last()
    assert (step.action, step.actor, step.at) == (Action.AUTO_CLOSE, None, local(2023, 6, 13, 0, 5))
    assert services.problems_sweep()["closed_unrated"] == 0


def test_closing_unrated_is_refused_while_the_rating_window_is_open(desk, monday):
    problem = bring_to(desk, Status.ANSWERED)

    with pytest.raises(services.ProblemError, match="评价期尚未结束"):
        services.problem_close_unrated(problem=problem)


def test_deadlines_in_an_unknown_year_are_set_provisionally_and_move_once_it_is_loaded(desk, time_machine):
    time_machine.move_to(local(2031, 3, 4, 10, 0), tick=False)  # a Tuesday of a year nobody has loaded

    problem = submit(desk)
    assert problem.first_response_due == end_of(2031, 3, 5)  # Monday–Friday, 暂定
    assert services.problems_sweep() == {"deadlines_filled": 0, "closed_unrated": 0, "escalated": 0}

    calendar_year_load(year=2031, notice="国办发明电〔2030〕", holidays=[(dt.date(2031, 3, 5), "防汛")])

    problem.refresh_from_db()
    assert problem.first_response_due == end_of(2031, 3, 6)


def test_the_sweep_fills_a_deadline_that_was_never_set(desk, time_machine):
    time_machine.move_to(local(2023, 3, 7, 10, 0), tick=False)
    problem = submit(desk)
    Problem.objects.filter(pk=problem.pk).update(first_response_due=None)  # as rows written before

    assert services.problems_sweep()["deadlines_filled"] == 1

    problem.refresh_from_db()
    assert problem.first_response_due == end_of(2023, 3, 8)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_escalate_a_missed_deadline_once(desk):
    import threading

    from django.db import connection

    problem = bring_to(desk, Status.ASSIGNED)
    Problem.objects.filter(pk=problem.pk).update(answer_due=local(2023, 6, 12, 23, 59, 59))
    barrier = threading.Barrier(2)
    results = []

    def sweep():
        try:
            barrier.wait()
            results.append(services.problems_sweep()["escalated"])
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [0, 1]
    escalation = Escalation.objects.get()
    assert Notification.objects.filter(key=f"servicedesk:escalation:{escalation.pk}").count() == 1
