import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects import services
from projects.models import FilingReport
from tests.factories import EnterpriseUserFactory, StaffFactory
from tests.projects.factories import ProjectFactory, at, filed_project, issued_permit, permit_type

pytestmark = pytest.mark.django_db


@pytest.fixture
def ours(owner):
    project = filed_project(
        submitted=at("2023-01-20", 16),
        completed=at("2023-01-28", 10),
        enterprise=owner.enterprise,
        name="智能传感器产业园项目",
    )
    services.project_update(
        project=project, data={"land_transferred_on": dt.date(2023, 3, 1), "is_custom_industrial_land": True}
    )
    for code in ("land_use_planning", "works_planning", "property_title", "construction"):
        issued_permit(project, code, applied=at("2023-03-01", 9), issued=at("2023-03-01", 15))
    return project


def test_an_enterprise_sees_its_projects_with_their_four_permits(client, owner, ours):
    ProjectFactory(name="别家的项目")
    client.force_login(owner)

    html = client.get(reverse("projects:mine")).content.decode()

    assert "智能传感器产业园项目" in html
    assert "别家的项目" not in html
    assert "建筑工程施工许可证：已发证" in html


def test_the_project_page_shows_each_step_with_its_working_days_against_the_target(client, owner, ours):
    client.force_login(owner)

    response = client.get(reverse("projects:detail", args=[ours.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "备案办结：予以备案" in html
    assert "用时 1 个工作日" in html  # 20 January to the make-up Saturday 28 January
    assert "时限 1 个工作日" in html
    assert "建筑工程施工许可证 发证" in html
    assert "时限 3 个工作日" in html
    assert 'aria-current="step">施工建设' in html


def test_the_project_page_costs_a_fixed_number_of_queries_however_many_records(client, owner, empty_cache):
    project = filed_project(
        submitted=at("2023-03-01", 9), completed=at("2023-03-01", 15), enterprise=owner.enterprise
    )
    services.project_update(project=project, data={"land_transferred_on": dt.date(2023, 3, 6)})

    def add_records(code: str, day: str):
        permit = services.permit_apply(
            project=project,
            permit_type=permit_type(code),
            applied_at=at(day, 9),
            is_commitment=True,
            commitments=[
                ("施工图审查合格书", dt.date(2023, 4, 6)),
                ("消防设计审查合格意见书", dt.date(2023, 4, 6)),
            ],
        )
        services.permit_pause(permit=permit, user=StaffFactory(), reason="等待补正", at=at(day, 10))
        services.filing_report_submit(
            project=project, kind="change", reported_on=dt.date.fromisoformat(day), content="扩建"
        )
        services.blocker_raise(
            project=project, description="道路未贯通", raised_on=dt.date.fromisoformat(day)
        )

    add_records("construction", "2023-03-07")
    client.force_login(owner)
    # Both views with nothing kept (the header's unread count, the public figures): the worst case each time.
    empty_cache()
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("projects:detail", args=[project.pk]))
    add_records("works_planning", "2023-03-08")
    add_records("property_title", "2023-03-09")
    issued_permit(project, "land_use_planning", applied=at("2023-03-06", 9), issued=at("2023-03-06", 15))

    empty_cache()
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("projects:detail", args=[project.pk]))

    assert len(many) == len(one)


def test_another_enterprise_s_project_is_not_found(client, ours):
    client.force_login(EnterpriseUserFactory())

    assert client.get(reverse("projects:detail", args=[ours.pk])).status_code == 404


def test_the_enterprise_pages_are_for_enterprise_users(client, ours):
    client.force_login(StaffFactory())

    assert client.get(reverse("projects:mine")).status_code == 403
    assert client.get(reverse("projects:detail", args=[ours.pk])).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, ours):
    response = client.get(reverse("projects:mine"))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_an_enterprise_reports_construction_start_from_its_project_page(client, owner, ours):
    client.force_login(owner)

    response = client.post(
        reverse("projects:detail", args=[ours.pk]),
        {"kind": "start", "reported_on": "2023-03-02", "content": "桩基施工"},
    )

    assert response.status_code == 302
    report = FilingReport.objects.get()
    assert (report.kind, report.reported_on, report.reported_by) == ("start", dt.date(2023, 3, 2), owner)


def test_a_refused_report_is_shown_on_the_form(client, owner, ours):
    client.force_login(owner)

    response = client.post(
        reverse("projects:detail", args=[ours.pk]), {"kind": "completion", "reported_on": "2023-03-02"}
    )

    assert response.status_code == 400
    assert "报告开工后才能报告竣工" in response.content.decode()
    assert FilingReport.objects.count() == 0


def test_the_dashboard_lists_the_enterprise_s_projects(client, owner, ours):
    client.force_login(owner)

    html = client.get(reverse("accounts:dashboard")).content.decode()

    assert 'id="projects"' in html
    assert "智能传感器产业园项目" in html
    assert reverse("projects:mine") in html


def test_the_dashboard_lists_the_newest_five_projects_flags_the_overdue_and_counts_them_all(client, owner):
    projects = [ProjectFactory(enterprise=owner.enterprise, name=f"项目{index}") for index in range(6)]
    # The newest one's filing is past its one-working-day deadline; the others have none.
    services.filing_submit(project=projects[-1], submitted_at=at("2023-03-01", 9))

    with time_machine.travel(dt.datetime(2023, 3, 6, 9, tzinfo=dt.UTC), tick=False):
        client.force_login(owner)
        response = client.get(reverse("accounts:dashboard"))

    block = next(b for b in response.context["blocks"] if b["template"] == "projects/dashboard_block.html")
    assert [(row["project"].name, row["overdue"]) for row in block["rows"]] == [
        ("项目5", True),
        ("项目4", False),
        ("项目3", False),
        ("项目2", False),
        ("项目1", False),
    ]
    assert block["total"] == 6
    assert "查看全部 6 个项目的审批进度" in response.content.decode()


def test_the_dashboard_has_no_project_block_without_projects(client):
    client.force_login(EnterpriseUserFactory())

    assert 'id="projects"' not in client.get(reverse("accounts:dashboard")).content.decode()


def test_a_page_whose_clock_reaches_an_unloaded_year_counts_on_and_marks_it_provisional(client, owner):
    project = ProjectFactory(enterprise=owner.enterprise, name="未办结的项目")
    services.filing_submit(project=project, submitted_at=at("2023-03-01", 9))

    with time_machine.travel(dt.datetime(2100, 3, 1, 9, tzinfo=dt.UTC), tick=False):
        client.force_login(owner)
        listing = client.get(reverse("projects:mine"))
        detail = client.get(reverse("projects:detail", args=[project.pk]))
        dashboard = client.get(reverse("accounts:dashboard"))

    assert listing.status_code == detail.status_code == dashboard.status_code == 200
    for page in (listing, detail):
        assert "2027、2028" in page.content.decode()  # the first years the package does not know
        assert "暂按周一至周五计算" in page.content.decode()
    assert "有超时事项" in dashboard.content.decode()
