"""A year nobody has published holidays for: deadlines are kept (暂定), shown as such, and recomputed."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from auditlog.models import LogEntry
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from portal.servicedesk.models import Status
from portal.workdays import services
from portal.workdays.models import CalendarDay, CalendarYear
from projects import services as project_services
from subsidies.models import AwardStatus
from tests.factories import StaffFactory
from tests.projects.factories import ProjectFactory, permit_type
from tests.servicedesk.factories import bring_to, submit
from tests.subsidies.award_factories import AwardFactory

D = dt.date.fromisoformat
# 2100-01-01 is a Friday. On the provisional schedule it is a working day; the official one (as loaded
# below) makes it a holiday with the Monday after, so every deadline across it moves on by two days.
NEW_YEAR = [(D("2100-01-01"), "元旦"), (D("2100-01-04"), "元旦")]
THURSDAY_BEFORE = dt.datetime(2099, 12, 31, 2, tzinfo=dt.UTC)  # 10:00 in Shanghai


def local_date(moment: dt.datetime) -> dt.date:
    return timezone.localdate(moment)


def render(template: str, **context) -> str:
    return Template("{% load workdays %}" + template).render(Context(context))


def test_a_provisional_date_is_marked_and_an_official_one_is_not(db):
    assert "暂定" in render("{{ day|provisional }}", day=D("2100-01-04"))
    assert render("{{ day|provisional }}", day=D("2023-01-04")) == ""
    assert render("{{ day|provisional }}", day=None) == ""


@pytest.mark.django_db
@time_machine.travel(THURSDAY_BEFORE, tick=False)
def test_a_filing_submitted_before_an_unpublished_year_gets_a_deadline_and_it_moves_when_the_year_is_loaded():
    filing = project_services.filing_submit(project=ProjectFactory())

    assert local_date(filing.due_at) == D("2100-01-01")

    services.calendar_year_load(year=2100, notice="国办发明电〔2099〕1号", holidays=NEW_YEAR)

    filing.refresh_from_db()
    assert local_date(filing.due_at) == D("2100-01-05")


@pytest.mark.django_db
@time_machine.travel(THURSDAY_BEFORE, tick=False)
def test_a_permits_clock_is_recomputed_with_its_pauses_when_the_year_is_loaded():
    permit = project_services.permit_apply(project=ProjectFactory(), permit_type=permit_type("construction"))
    assert local_date(permit.due_at) == D("2100-01-05")  # 3 working days: Friday, Monday, Tuesday

    services.calendar_year_load(year=2100, holidays=NEW_YEAR)

    permit.refresh_from_db()
    assert local_date(permit.due_at) == D("2100-01-07")  # Tuesday to Thursday


@pytest.mark.django_db
@time_machine.travel(THURSDAY_BEFORE, tick=False)
def test_a_problems_first_response_deadline_moves_when_the_year_is_loaded(desk):
    problem = submit(desk)
    assert local_date(problem.first_response_due) == D("2100-01-01")

    services.calendar_year_load(year=2100, holidays=NEW_YEAR)

    problem.refresh_from_db()
    assert problem.status == Status.SUBMITTED
    assert local_date(problem.first_response_due) == D("2100-01-05")


@pytest.mark.django_db
@time_machine.travel(THURSDAY_BEFORE, tick=False)
def test_a_closed_problem_keeps_its_deadline_when_the_year_is_loaded(desk):
    problem = bring_to(desk, Status.WITHDRAWN)
    before = problem.first_response_due

    services.calendar_year_load(year=2100, holidays=NEW_YEAR)

    problem.refresh_from_db()
    assert problem.first_response_due == before


@pytest.mark.django_db
def test_a_running_publicity_ends_later_when_the_loaded_year_has_holidays_in_it():
    award = AwardFactory(
        status=AwardStatus.PUBLICIZED,
        publicity_from=D("2099-12-29"),
        publicity_to=D("2100-01-05"),  # five working days on the provisional schedule
        scheme__publicity_days=5,
    )
    paid_long_ago = AwardFactory(
        status=AwardStatus.PAID, publicity_from=D("2099-12-29"), publicity_to=D("2100-01-05")
    )

    services.calendar_year_load(year=2100, holidays=NEW_YEAR)

    award.refresh_from_db()
    paid_long_ago.refresh_from_db()
    assert award.publicity_to == D("2100-01-07")
    assert paid_long_ago.publicity_to == D("2100-01-05")


@pytest.mark.django_db
def test_recomputing_is_recorded_in_the_audit_log_with_who_did_it():
    staff = StaffFactory(username="rili")

    entry = services.calendar_year_load(year=2100, holidays=NEW_YEAR, user=staff)

    log = LogEntry.objects.get_for_object(entry).filter(actor=staff).get()
    assert "重新计算的时限" in log.changes_dict


@pytest.mark.django_db
@time_machine.travel(THURSDAY_BEFORE, tick=False)
def test_a_single_day_entered_in_admin_moves_the_open_deadlines(client):
    filing = project_services.filing_submit(project=ProjectFactory())
    client.force_login(StaffFactory(is_superuser=True))

    response = client.post(
        reverse("admin:workdays_calendarday_add"), {"date": "2100-01-01", "is_workday": "", "name": "元旦"}
    )

    assert response.status_code == 302
    assert CalendarDay.objects.filter(date=D("2100-01-01"), is_workday=False).exists()
    filing.refresh_from_db()
    assert local_date(filing.due_at) == D("2100-01-04")
    assert not CalendarYear.objects.exists()


@pytest.mark.django_db
@time_machine.travel(THURSDAY_BEFORE, tick=False)
def test_the_award_page_marks_a_provisional_publicity_end(client, owner):
    award = AwardFactory(
        enterprise=owner.enterprise,
        status=AwardStatus.PUBLICIZED,
        publicity_from=D("2099-12-29"),
        publicity_to=D("2100-01-05"),
        amount=Decimal("1000.00"),
    )
    client.force_login(owner)

    page = client.get(reverse("subsidies:award", args=[award.pk])).content.decode()

    assert "2100-01-05" in page
    assert "暂定" in page
