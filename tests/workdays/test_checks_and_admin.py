import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from portal.workdays import checks, services
from portal.workdays.forms import parse_days
from portal.workdays.models import CalendarDay, CalendarYear

D = dt.date.fromisoformat
# 2099 and 2100 are beyond any schedule the chinesecalendar package will ship, whatever its version.
DECEMBER = dt.datetime(2099, 12, 2, 10, tzinfo=dt.UTC)
NOVEMBER = dt.datetime(2099, 11, 30, 10, tzinfo=dt.UTC)


@pytest.mark.django_db
@time_machine.travel(DECEMBER, tick=False)
def test_the_check_warns_in_december_when_next_year_is_not_loaded():
    CalendarYear.objects.create(year=2099)

    warnings = checks.holiday_schedule_loaded()

    assert [w.id for w in warnings] == ["workdays.W001"]
    assert "2100 年的节假日安排尚未录入" in warnings[0].msg
    assert "暂定" in warnings[0].msg


@pytest.mark.django_db
@time_machine.travel(DECEMBER, tick=False)
def test_the_check_is_quiet_once_this_and_next_year_are_loaded():
    CalendarYear.objects.create(year=2099)
    CalendarYear.objects.create(year=2100)

    assert checks.holiday_schedule_loaded() == []


@pytest.mark.django_db
@time_machine.travel(NOVEMBER, tick=False)
def test_the_check_says_nothing_of_next_year_before_december():
    CalendarYear.objects.create(year=2099)

    assert checks.holiday_schedule_loaded() == []


@pytest.mark.django_db
@time_machine.travel(NOVEMBER, tick=False)
def test_the_check_warns_all_year_while_the_current_year_runs_on_the_provisional_schedule():
    warnings = checks.holiday_schedule_loaded()

    assert [w.msg[:4] for w in warnings] == ["2099"]


@pytest.mark.django_db
@time_machine.travel(DECEMBER, tick=False)
def test_manage_py_check_shows_the_warning(capsys):
    call_command("check")

    assert "workdays.W001" in capsys.readouterr().err


@pytest.mark.django_db
@time_machine.travel(DECEMBER, tick=False)
def test_the_admin_calendar_lists_warn_that_next_year_is_missing(client, db):
    from tests.factories import StaffFactory

    # Made in the travelled-to December: a staff password from decades earlier would have expired.
    client.force_login(StaffFactory(is_superuser=True))

    for name in ("admin:workdays_calendaryear_changelist", "admin:workdays_calendarday_changelist"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert "2100 年的节假日安排尚未录入" in response.content.decode()


def test_holiday_lines_are_read_as_days_with_their_names():
    days = parse_days("2100-02-05 至 2100-02-07 春节\n\n2100-4-5 清明节\n2100-10-01~2100-10-02")

    assert days == [
        (D("2100-02-05"), "春节"),
        (D("2100-02-06"), "春节"),
        (D("2100-02-07"), "春节"),
        (D("2100-04-05"), "清明节"),
        (D("2100-10-01"), ""),
        (D("2100-10-02"), ""),
    ]


def test_unreadable_holiday_lines_are_refused_with_their_line_numbers():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        parse_days("2100-02-05 春节\n春节放假七天\n2100-02-09 至 2100-02-01")

    assert caught.value.messages == [
        "第 2 行无法识别：春节放假七天",
        "第 3 行的日期范围不合理：2100-02-09 至 2100-02-01",
    ]


@pytest.mark.django_db
def test_loading_a_year_records_its_holidays_and_make_up_days():
    services.calendar_year_load(
        year=2100,
        notice="国办发明电〔2099〕1号",
        holidays=[(D("2099-12-31"), "元旦"), (D("2100-01-01"), "元旦")],
        workdays=[(D("2100-01-02"), "元旦调休上班")],
    )

    assert CalendarYear.objects.get().notice == "国办发明电〔2099〕1号"
    assert list(CalendarDay.objects.values_list("date", "is_workday", "name")) == [
        (D("2099-12-31"), False, "元旦"),
        (D("2100-01-01"), False, "元旦"),
        (D("2100-01-02"), True, "元旦调休上班"),
    ]


@pytest.mark.django_db
def test_loading_a_year_refuses_a_day_both_off_and_on_and_writes_nothing():
    with pytest.raises(services.CalendarError, match="2100-01-02"):
        services.calendar_year_load(
            year=2100, holidays=[(D("2100-01-02"), "元旦")], workdays=[(D("2100-01-02"), "调休")]
        )

    assert CalendarYear.objects.count() == 0
    assert CalendarDay.objects.count() == 0


@pytest.mark.django_db
def test_loading_a_year_refuses_days_of_another_year():
    with pytest.raises(services.CalendarError, match="2102-05-01 不在 2100 年"):
        services.calendar_year_load(year=2100, holidays=[(D("2102-05-01"), "劳动节")])


@pytest.mark.django_db
def test_staff_load_a_year_in_admin_with_its_schedule(client, staff):
    client.force_login(staff)

    response = client.post(
        reverse("admin:workdays_calendaryear_add"),
        {
            "year": "2100",
            "notice": "国办发明电〔2099〕1号",
            "holidays": "2100-02-05 至 2100-02-07 春节",
            "workdays": "2100-02-13 春节调休上班",
        },
    )

    assert response.status_code == 302
    assert CalendarYear.objects.filter(year=2100).exists()
    assert sorted(CalendarDay.objects.values_list("date", "is_workday")) == [
        (D("2100-02-05"), False),
        (D("2100-02-06"), False),
        (D("2100-02-07"), False),
        (D("2100-02-13"), True),
    ]


@pytest.mark.django_db
def test_the_admin_form_shows_a_conflicting_day_as_an_error(client, staff):
    client.force_login(staff)

    response = client.post(
        reverse("admin:workdays_calendaryear_add"),
        {"year": "2100", "notice": "", "holidays": "2100-02-13 春节", "workdays": "2100-02-13 调休"},
    )

    assert response.status_code == 200
    assert "同一天不能既是假日又是调休上班日：2100-02-13" in response.content.decode()
    assert CalendarYear.objects.count() == 0
