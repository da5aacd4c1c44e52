"""The resolution rate and the service desk's figures, counted from the records of a known data set."""

import datetime as dt

import pytest

from portal import stats
from portal.servicedesk import selectors, services
from portal.servicedesk.stats import figures
from tests.servicedesk.conftest import local
from tests.servicedesk.factories import VisitFactory, submit

pytestmark = pytest.mark.django_db

JUNE = {"start": dt.date(2023, 6, 1), "end": dt.date(2023, 6, 30)}


def _assigned(desk, **kwargs):
    problem = submit(desk, **kwargs)
    return services.problem_assign(problem=problem, user=desk.coordinator, department=desk.land)


def _answered(desk, **kwargs):
    return services.problem_answer(problem=_assigned(desk, **kwargs), user=desk.land_staff, answer="已办理。")


@pytest.fixture
def june(desk, time_machine):
    """June 2023: seven problems collected, three resolved; one resolved problem on each side of the month."""

    def at(*args):
        time_machine.move_to(local(2023, *args), tick=False)

    at(5, 31, 23, 30)
    services.problem_rate(problem=_answered(desk, title="五月的诉求"), user=desk.owner, satisfied=True)
    at(6, 1, 0, 10)
    services.problem_rate(problem=_answered(desk, title="满意"), user=desk.owner, satisfied=True)
    services.problem_rate(
        problem=_answered(desk, title="回访满意"), user=desk.coordinator, satisfied=True, comment="回访"
    )
    _answered(desk, title="逾期未评价")
    reopened = _answered(desk, title="退回重办")
    services.problem_rate(problem=reopened, user=desk.owner, satisfied=False, comment="未解决")
    services.problem_withdraw(problem=submit(desk, title="撤回"), user=desk.owner)
    at(6, 30, 23, 50)
    _answered(desk, title="已答复待评价")
    submit(desk, title="待交办")
    at(7, 1, 0, 10)
    services.problem_rate(problem=_answered(desk, title="七月的诉求"), user=desk.owner, satisfied=True)
    at(7, 3, 9, 0)
    services.problems_sweep()  # closes "逾期未评价" (answered 1 June); "已答复待评价" has days left
    for day in (dt.date(2023, 5, 31), dt.date(2023, 6, 1), dt.date(2023, 6, 30), dt.date(2023, 7, 1)):
        VisitFactory(date=day, staff=desk.coordinator)


def test_the_rate_is_resolved_over_collected_in_the_period(june):
    resolution = selectors.resolution(**JUNE)

    assert (resolution.collected, resolution.resolved) == (7, 3)
    assert resolution.rate == 0.4286


def test_the_figures_give_visits_problems_and_the_rate_of_the_period(june):
    assert figures(**JUNE) == {
        "enterprise_visits": 2,
        "problems_collected": 7,
        "problems_resolved": 3,
        "problem_resolution_rate": 0.4286,
    }


def test_a_period_without_problems_has_no_rate(june):
    quiet = figures(start=dt.date(2023, 8, 1), end=dt.date(2023, 8, 31))

    assert quiet == {
        "enterprise_visits": 0,
        "problems_collected": 0,
        "problems_resolved": 0,
        "problem_resolution_rate": None,
    }


def test_the_portal_figures_include_the_service_desk_and_change_when_a_problem_does(
    desk, monday, django_capture_on_commit_callbacks
):
    period = {"start": dt.date(2023, 6, 1), "end": dt.date(2023, 6, 30)}
    assert stats.figures(**period)["problems_collected"] == 0

    with django_capture_on_commit_callbacks(execute=True):
        submit(desk)

    assert stats.figures(**period)["problems_collected"] == 1
    assert stats.figures(**period)["problem_resolution_rate"] == 0.0
