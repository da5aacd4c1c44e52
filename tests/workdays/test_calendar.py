import datetime as dt

import pytest
from django.utils import timezone

from portal.workdays import selectors
from portal.workdays.models import CalendarDay, CalendarYear
from portal.workdays.selectors import WorkCalendar

D = dt.date.fromisoformat


def at(day: str, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(D(day), dt.time(hour)))


@pytest.fixture
def calendar(db) -> WorkCalendar:
    return WorkCalendar.load()


def test_spring_festival_2023_is_seven_days_off(calendar):
    holiday = [D("2023-01-21") + dt.timedelta(days=n) for n in range(7)]

    assert [calendar.is_workday(d) for d in holiday] == [False] * 7
    assert calendar.is_workday(D("2023-01-20")) is True
    assert calendar.is_workday(D("2023-01-30")) is True


def test_the_saturday_and_sunday_after_spring_festival_2023_are_make_up_workdays(calendar):
    assert calendar.is_workday(D("2023-01-28")) is True  # 调休上班, a Saturday
    assert calendar.is_workday(D("2023-01-29")) is True  # 调休上班, a Sunday


def test_national_day_week_2023_runs_from_29_september_to_6_october(calendar):
    days = [D("2023-09-29") + dt.timedelta(days=n) for n in range(8)]

    assert [calendar.is_workday(d) for d in days] == [False] * 8
    assert calendar.is_workday(D("2023-10-07")) is True  # Saturday, 调休上班
    assert calendar.is_workday(D("2023-10-08")) is True  # Sunday, 调休上班


def test_a_deadline_one_working_day_after_the_last_day_before_spring_festival_is_the_make_up_saturday(
    calendar,
):
    due = calendar.deadline(at("2023-01-20", 16), 1)

    assert timezone.localtime(due).date() == D("2023-01-28")
    assert timezone.localtime(due).time() == dt.time(23, 59, 59, 999999)


def test_a_deadline_across_national_day_lands_on_the_make_up_saturday(calendar):
    assert timezone.localdate(calendar.deadline(at("2023-09-28"), 1)) == D("2023-10-07")
    assert timezone.localdate(calendar.deadline(at("2023-09-28"), 3)) == D("2023-10-09")


def test_working_days_between_count_the_days_after_the_first_through_the_last(calendar):
    assert calendar.workdays_between(D("2023-03-10"), D("2023-03-10")) == 0
    assert calendar.workdays_between(D("2023-03-10"), D("2023-03-13")) == 1  # Friday to Monday
    assert calendar.workdays_between(D("2023-01-20"), D("2023-01-30")) == 3  # 28, 29 and 30 January
    assert calendar.workdays_between(D("2023-01-30"), D("2023-01-20")) == -3


def test_elapsed_counts_local_dates_of_the_two_moments(calendar):
    # 23:30 UTC on 12 March is 07:30 on 13 March in Shanghai: a Monday, one working day after Friday.
    friday = at("2023-03-10", 17)
    monday_early = dt.datetime(2023, 3, 12, 23, 30, tzinfo=dt.UTC)

    assert calendar.elapsed(friday, monday_early) == 1
    assert selectors.elapsed(friday, monday_early) == 1


def test_a_staff_override_wins_over_the_package(db):
    CalendarDay.objects.create(date=D("2023-06-21"), is_workday=False, name="防汛停工")
    CalendarDay.objects.create(date=D("2023-06-18"), is_workday=True, name="周日加班")

    calendar = WorkCalendar.load()

    assert calendar.is_workday(D("2023-06-21")) is False
    assert calendar.is_workday(D("2023-06-18")) is True
    assert selectors.is_workday(D("2023-06-21")) is False


def test_a_year_nobody_knows_counts_monday_to_friday_and_says_so(calendar):
    # 2100-01-01 is a Friday: without a published schedule it is a working day, the weekend is not.
    assert calendar.is_workday(D("2100-01-01")) is True
    assert calendar.is_workday(D("2100-01-02")) is False
    assert calendar.is_workday(D("2100-01-03")) is False
    assert calendar.is_workday(D("2100-01-04")) is True
    assert calendar.provisional_years == {2100}
    assert calendar.is_provisional(D("2100-01-04")) is True
    assert calendar.is_provisional(D("2023-01-04")) is False


def test_a_deadline_that_runs_into_an_unknown_year_is_computed_on_the_provisional_schedule(calendar):
    # Thursday 2099-12-31 + 1 working day: Friday 2100-01-01 on a Monday–Friday week.
    assert calendar.add_workdays(D("2099-12-31"), 1) == D("2100-01-01")
    assert calendar.add_workdays(D("2099-12-30"), 5) == D("2100-01-06")
    assert timezone.localdate(calendar.deadline(at("2099-12-31"), 1)) == D("2100-01-01")
    assert calendar.provisional_years == {2099, 2100}


def test_a_date_is_provisional_until_staff_load_its_year(db):
    assert selectors.is_provisional(D("2100-03-02")) is True
    assert selectors.is_provisional(at("2100-03-02")) is True
    assert selectors.is_provisional(D("2023-03-02")) is False
    assert selectors.is_provisional(None) is False

    from portal.workdays import services

    services.calendar_year_load(year=2100, holidays=[(D("2100-01-01"), "元旦")])

    assert selectors.is_provisional(D("2100-03-02")) is False


def test_a_year_staff_loaded_counts_weekdays_with_its_holidays_and_make_up_days(db):
    CalendarYear.objects.create(year=2100, notice="国办发明电〔2099〕1号")
    CalendarDay.objects.create(date=D("2100-01-01"), is_workday=False, name="元旦")
    CalendarDay.objects.create(date=D("2100-01-02"), is_workday=True, name="调休上班")

    calendar = WorkCalendar.load()

    assert calendar.is_workday(D("2100-01-01")) is False  # a Friday, holiday
    assert calendar.is_workday(D("2100-01-02")) is True  # a Saturday, make-up day
    assert calendar.is_workday(D("2100-01-03")) is False  # a Sunday
    assert calendar.is_workday(D("2100-01-04")) is True
    assert calendar.add_workdays(D("2099-12-31"), 1) == D("2100-01-02")
    assert selectors.year_is_known(2100) is True
