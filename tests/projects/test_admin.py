import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from projects import services
from projects.models import Filing, Permit, PermitStatus, Project, Stage
from tests.factories import EnterpriseFactory
from tests.projects.factories import ProjectFactory, at, filed_project, permit_type

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, staff):
    client.force_login(staff)
    return client


def act(client, model: str, action: str, ids, text: str = ""):
    return client.post(
        reverse(f"admin:projects_{model}_changelist"),
        {"action": action, "_selected_action": [str(i) for i in ids], "text": text},
        follow=True,
    )


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_every_project_model_has_a_working_admin_list(admin_client):
    filed_project(submitted=at("2023-03-01", 9), completed=at("2023-03-01", 15))
    for model in (
        "project",
        "filing",
        "filingreport",
        "permittype",
        "permit",
        "permitstep",
        "permitpause",
        "permitcommitment",
        "acceptance",
        "blocker",
        "dispatch",
        "dispatchitem",
    ):
        assert admin_client.get(reverse(f"admin:projects_{model}_changelist")).status_code == 200, model


def test_the_project_list_filters_by_stage_coordinator_and_overdue(admin_client, staff):
    late = ProjectFactory(coordinator=staff, name="超时的项目")
    services.filing_submit(project=late, submitted_at=at("2023-03-01", 9))
    filed_project(submitted=at("2023-03-01", 9), completed=at("2023-03-01", 15), name="按时的项目")
    url = reverse("admin:projects_project_changelist")

    overdue = admin_client.get(url, {"overdue": "yes"}).content.decode()
    on_time = admin_client.get(url, {"overdue": "no"}).content.decode()
    by_stage = admin_client.get(url, {"stage__exact": "land"}).content.decode()
    by_coordinator = admin_client.get(url, {"coordinator__id__exact": staff.pk}).content.decode()

    assert "超时的项目" in overdue and "按时的项目" not in overdue
    assert "按时的项目" in on_time and "超时的项目" not in on_time
    assert "按时的项目" in by_stage and "超时的项目" not in by_stage
    assert "超时的项目" in by_coordinator and "按时的项目" not in by_coordinator


def test_adding_a_project_in_admin_goes_through_the_service(admin_client):
    enterprise = EnterpriseFactory()

    response = admin_client.post(
        reverse("admin:projects_project_add"),
        {
            "code": "2303-410172-39-03-000777",
            "enterprise": enterprise.pk,
            "name": "半导体封装材料项目",
            "site": "科学大道",
            "parcel_number": "",
            "total_investment": "50000",
            "industry": "新材料",
            "land_transferred_on": "",
            **{
                f"{name}-{k}": v
                for name in ("filings", "permits", "acceptances", "blockers")
                for k, v in (
                    ("TOTAL_FORMS", "0"),
                    ("INITIAL_FORMS", "0"),
                    ("MIN_NUM_FORMS", "0"),
                    ("MAX_NUM_FORMS", "1000"),
                )
            },
        },
    )

    assert response.status_code == 302
    assert Project.objects.get().stage == Stage.FILING


def test_adding_a_project_with_a_bad_code_shows_the_reason(admin_client):
    response = admin_client.post(
        reverse("admin:projects_project_add"),
        {"code": "2313-410172-39-03-000777", "enterprise": EnterpriseFactory().pk, "name": "x", "site": "y"},
    )

    assert response.status_code == 200
    assert "项目代码中的赋码月份 13 不存在" in response.content.decode()
    assert Project.objects.count() == 0


def test_filing_actions_accept_and_complete_through_the_services(admin_client):
    filing = services.filing_submit(
        project=ProjectFactory(), submitted_at=timezone.now() - dt.timedelta(hours=2)
    )

    act(admin_client, "filing", "accept", [filing.pk])
    response = act(admin_client, "filing", "complete_filed", [filing.pk], "材料齐全")

    filing.refresh_from_db()
    assert (filing.status, filing.outcome, filing.note) == ("completed", "filed", "材料齐全")
    assert "已办结 1 件备案。" in texts(response)
    assert Project.objects.get().stage == Stage.LAND


def test_adding_a_permit_in_admin_opens_its_clock_and_first_step(admin_client):
    project = ProjectFactory()
    response = admin_client.post(
        reverse("admin:projects_permit_add"),
        {
            "project": project.pk,
            "permit_type": permit_type("construction").pk,
            "applied_at_0": "2023-03-01",
            "applied_at_1": "09:00:00",
        },
    )

    assert response.status_code == 302
    permit = Permit.objects.get()
    assert timezone.localdate(permit.due_at) == dt.date(2023, 3, 6)
    assert list(permit.steps.values_list("kind", flat=True)) == ["acceptance"]


def test_adding_the_same_permit_twice_in_admin_is_refused_with_the_reason(admin_client):
    project = ProjectFactory()
    services.permit_apply(
        project=project, permit_type=permit_type("construction"), applied_at=at("2023-03-01")
    )

    response = admin_client.post(
        reverse("admin:projects_permit_add"),
        {
            "project": project.pk,
            "permit_type": permit_type("construction").pk,
            "applied_at_0": "2023-03-02",
            "applied_at_1": "09:00:00",
        },
        follow=True,
    )

    assert "该项目已申请过建筑工程施工许可证。" in texts(response)
    assert Permit.objects.count() == 1


def test_permit_actions_walk_a_permit_to_issue_and_the_gate_holds(admin_client):
    permit = services.permit_apply(
        project=ProjectFactory(), permit_type=permit_type("construction"), applied_at=timezone.now()
    )

    act(admin_client, "permit", "accept", [permit.pk])
    refused = act(admin_client, "permit", "issue", [permit.pk], "410172202303010101")
    assert any("尚有未办结的环节：审查" in t for t in texts(refused))

    act(admin_client, "permit", "pause", [permit.pk], "等待补正施工图")
    assert Permit.objects.paused().filter(pk=permit.pk).exists()
    act(admin_client, "permit", "resume", [permit.pk])
    act(admin_client, "permit", "close_step", [permit.pk])
    act(admin_client, "permit", "close_step", [permit.pk])
    done = act(admin_client, "permit", "issue", [permit.pk], "410172202303010101")

    permit.refresh_from_db()
    assert (permit.status, permit.certificate_number) == (PermitStatus.ISSUED, "410172202303010101")
    assert "已发证 1 项。" in texts(done)


def test_issuing_several_permits_at_once_is_refused(admin_client):
    ids = [
        services.permit_apply(
            project=ProjectFactory(), permit_type=permit_type("construction"), applied_at=at(d)
        ).pk
        for d in ("2023-03-01", "2023-03-02")
    ]

    response = act(admin_client, "permit", "issue", ids, "X-1")

    assert "发证须逐项办理：请只选择一项并填写证书编号。" in texts(response)


def test_rejecting_in_admin_needs_a_reason(admin_client):
    permit = services.permit_apply(
        project=ProjectFactory(), permit_type=permit_type("construction"), applied_at=at("2023-03-01")
    )

    refused = act(admin_client, "permit", "reject", [permit.pk])
    assert any("不予许可须写明理由" in t for t in texts(refused))
    act(admin_client, "permit", "reject", [permit.pk], "用地性质不符")

    assert Permit.objects.get().status == PermitStatus.REJECTED


def test_admin_cannot_delete_records_of_what_happened(admin_client):
    filing = services.filing_submit(project=ProjectFactory(), submitted_at=at("2023-03-01"))

    response = admin_client.get(reverse("admin:projects_filing_delete", args=[filing.pk]))

    assert response.status_code == 403
    assert Filing.objects.count() == 1


def test_the_permit_page_shows_its_working_days_and_whether_it_is_paused(admin_client, staff):
    permit = services.permit_apply(
        project=ProjectFactory(), permit_type=permit_type("construction"), applied_at=at("2023-03-06", 9)
    )
    services.permit_accept(permit=permit, user=staff, at=at("2023-03-06", 10))
    services.permit_pause(permit=permit, user=staff, reason="等待补正", at=at("2023-03-08", 10))

    html = admin_client.get(reverse("admin:projects_permit_change", args=[permit.pk])).content.decode()

    assert "2 个工作日（时限 3 个），暂停计时中" in html
    assert "审查环节全部办结后才能发证" in html


def test_the_filing_page_shows_its_working_days(admin_client):
    project = filed_project(submitted=at("2023-03-10", 16), completed=at("2023-03-13", 10))

    html = admin_client.get(reverse("admin:projects_filing_change", args=[project.filings.get().pk])).content
    assert "1 个工作日（时限 1 个）" in html.decode()
