"""The hourly SLA sweep as beat runs it: scheduled, registered, and run by a real worker."""

import pytest
from celery.schedules import crontab

from portal.celery import app
from portal.servicedesk import schedule, tasks
from portal.servicedesk.models import Escalation, Status
from tests.servicedesk.conftest import local
from tests.servicedesk.factories import bring_to


def test_the_sweep_runs_every_hour_on_a_registered_task():
    entry = schedule.BEAT["servicedesk-sla-sweep"]

    assert entry["schedule"] == crontab(minute=5)
    assert app.tasks[entry["task"]].name == tasks.problems_sweep.name == entry["task"]
    assert app.conf.beat_schedule["servicedesk-sla-sweep"] == entry


@pytest.mark.django_db
def test_the_task_escalates_a_missed_deadline(desk, monday):
    problem = bring_to(desk, Status.ASSIGNED)
    monday.move_to(local(2023, 6, 13, 0, 5))

    result = tasks.problems_sweep.delay().get()

    assert result == {"deadlines_filled": 0, "closed_unrated": 0, "escalated": 1}
    assert problem.escalations.count() == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_sweep_and_escalates_once(desk, celery_worker):
    bring_to(desk, Status.ASSIGNED)  # now, with its deadline days away: nothing to escalate
    problem = bring_to(desk, Status.ASSIGNED)
    # A deadline long past, as if the problem had waited since 2023.
    type(problem).objects.filter(pk=problem.pk).update(answer_due=local(2023, 6, 12, 23, 59, 59))

    first = tasks.problems_sweep.delay().get(timeout=60)
    second = tasks.problems_sweep.delay().get(timeout=60)

    assert (first["escalated"], second["escalated"]) == (1, 0)
    assert list(Escalation.objects.values_list("problem_id", flat=True)) == [problem.pk]
