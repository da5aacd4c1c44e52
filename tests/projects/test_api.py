import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.workdays.selectors import WorkCalendar
from projects import services
from tests.factories import EnterpriseUserFactory, StaffFactory, staff_in_roles
from tests.projects.factories import ProjectFactory, at, filed_project, issued_permit, permit_type

pytestmark = pytest.mark.django_db

URL = "/api/v1/projects/"


@pytest.fixture
def ours(owner):
    project = filed_project(
        submitted=at("2023-03-10", 16), completed=at("2023-03-13", 10), enterprise=owner.enterprise
    )
    services.project_update(project=project, data={"land_transferred_on": dt.date(2023, 3, 20)})
    issued_permit(project, "land_use_planning", applied=at("2023-03-20", 9), issued=at("2023-03-20", 15))
    return project


@pytest.fixture
def theirs():
    coordinator = StaffFactory(display_name="张科长")
    project = ProjectFactory(is_key=True, coordinator=coordinator)
    services.filing_submit(project=project, submitted_at=at("2023-03-01", 9))  # never completed: overdue
    return project


def test_an_enterprise_sees_only_its_own_projects(client, owner, ours, theirs):
    client.force_login(owner)

    body = client.get(URL).json()

    assert [p["code"] for p in body["results"]] == [ours.code]
    project = body["results"][0]
    assert project["stage"] == "permits"
    assert project["stage_display"] == "办理四证"
    assert project["filings"][0]["working_days"] == 1
    assert project["filings"][0]["target_working_days"] == 1
    permit = project["permits"][0]
    assert (permit["type_code"], permit["status"], permit["working_days"], permit["target_working_days"]) == (
        "land_use_planning",
        "issued",
        0,
        5,
    )


def test_an_enterprise_cannot_open_another_enterprise_s_project(client, owner, theirs):
    client.force_login(owner)

    assert client.get(f"{URL}{theirs.pk}/").status_code == 404


def test_a_member_of_another_enterprise_sees_none_of_ours(client, ours):
    client.force_login(EnterpriseUserFactory())

    assert client.get(URL).json()["count"] == 0
    assert client.get(f"{URL}{ours.pk}/").status_code == 404


def test_staff_see_every_project_and_filter_by_stage_coordinator_and_overdue(client, ours, theirs):
    client.force_login(staff_in_roles("部门工作人员"))

    assert {p["code"] for p in client.get(URL).json()["results"]} == {ours.code, theirs.code}
    assert [p["code"] for p in client.get(URL, {"stage": "filing"}).json()["results"]] == [theirs.code]
    assert [p["code"] for p in client.get(URL, {"coordinator": theirs.coordinator_id}).json()["results"]] == [
        theirs.code
    ]
    late = client.get(URL, {"overdue": "true"}).json()["results"]
    assert [p["code"] for p in late] == [theirs.code]
    assert late[0]["overdue"][0].startswith("企业投资备案超过时限")
    assert [p["code"] for p in client.get(URL, {"overdue": "false"}).json()["results"]] == [ours.code]


def test_an_unknown_stage_filter_is_a_400(client, staff):
    client.force_login(staff)

    response = client.get(URL, {"stage": "demolished"})

    assert response.status_code == 400
    assert "stage" in response.json()


def test_anonymous_callers_are_refused(client, ours):
    assert client.get(URL).status_code == 403


def test_the_detail_carries_the_timeline_with_working_days_against_targets(client, owner, ours):
    client.force_login(owner)

    timeline = client.get(f"{URL}{ours.pk}/").json()["timeline"]

    titles = [entry["title"] for entry in timeline]
    assert titles[:4] == ["提交企业投资备案", "备案受理", "备案办结：予以备案", "拿地（土地出让）"]
    completed = timeline[2]
    assert (completed["working_days"], completed["target_working_days"], completed["late"]) == (1, 1, False)
    issued = next(e for e in timeline if e["title"] == "建设用地规划许可证 发证")
    assert (issued["working_days"], issued["target_working_days"]) == (0, 5)


def test_the_list_costs_the_same_number_of_queries_for_one_or_many_projects(client, staff, ours):
    client.force_login(staff)
    with CaptureQueriesContext(connection) as one:
        client.get(URL)
    for _ in range(5):
        project = ProjectFactory()
        services.permit_apply(
            project=project, permit_type=permit_type("construction"), applied_at=at("2023-03-01")
        )

    with CaptureQueriesContext(connection) as six:
        assert client.get(URL).json()["count"] == 6

    assert len(six) == len(one)


def test_a_clock_that_reaches_an_unloaded_year_is_counted_on_the_provisional_schedule(client, theirs):
    calendar = WorkCalendar.load()
    expected = calendar.elapsed(at("2023-03-01", 9), dt.datetime(2100, 3, 1, 9, tzinfo=dt.UTC))
    import time_machine

    with time_machine.travel(dt.datetime(2100, 3, 1, 9, tzinfo=dt.UTC), tick=False):
        # Made in 2100: a staff password from today would have expired by then.
        client.force_login(StaffFactory(is_superuser=True))
        response = client.get(URL)

    assert response.status_code == 200
    [project] = response.json()["results"]
    assert calendar.provisional_years >= {2027, 2100}
    assert any(str(expected) in item for item in project["overdue"])
