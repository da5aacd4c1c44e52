"""The staff queue in admin: who sees what, the filters, and the moves through their forms."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from portal.servicedesk import selectors, services
from portal.servicedesk.models import Action, Category, Channel, Problem, Status, Visit
from tests.factories import StaffFactory
from tests.servicedesk.factories import VisitFactory, bring_to, pdf_file, submit

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:servicedesk_problem_changelist"


def _grant(user):
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="servicedesk"))


@pytest.fixture
def queue(desk, monday):
    """One problem waiting to be routed, one with each department."""
    for user in (desk.coordinator, desk.land_staff, desk.finance_staff):
        _grant(user)
    waiting = submit(desk, title="待交办")
    land = bring_to(desk, Status.ASSIGNED, title="国土的诉求")
    finance = bring_to(desk, Status.TRANSFERRED, title="转给财政的诉求")
    return {"waiting": waiting, "land": land, "finance": finance}


def _titles(response):
    return sorted(p.title for p in response.context["cl"].result_list)


def test_a_department_sees_only_its_own_problems(client, desk, queue):
    client.force_login(desk.land_staff)

    response = client.get(reverse(CHANGELIST))

    assert _titles(response) == ["国土的诉求"]
    other = reverse("admin:servicedesk_problem_change", args=[queue["finance"].pk])
    assert client.get(other).status_code == 404


@pytest.mark.parametrize("who", ["coordinator", "superuser"])
def test_the_coordinating_bureau_and_superusers_see_every_problem(client, desk, queue, who):
    user = desk.coordinator if who == "coordinator" else StaffFactory(is_superuser=True, department=desk.land)
    client.force_login(user)

    response = client.get(reverse(CHANGELIST))

    assert _titles(response) == ["国土的诉求", "待交办", "转给财政的诉求"]


def test_the_selector_gives_each_user_their_share(desk, queue):
    def seen(user):
        return sorted(selectors.problems_visible_to(user=user).values_list("title", flat=True))

    assert seen(desk.owner) == ["国土的诉求", "待交办", "转给财政的诉求"]
    assert seen(desk.other_owner) == []
    assert seen(desk.finance_staff) == ["转给财政的诉求"]
    assert seen(desk.coordinator) == ["国土的诉求", "待交办", "转给财政的诉求"]
    assert seen(StaffFactory(department=None)) == []


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ({"status__exact": "submitted"}, ["待交办"]),
        ({"department__id__exact": "LAND"}, ["国土的诉求"]),
        ({"category__exact": "permits"}, ["国土的诉求", "待交办", "转给财政的诉求"]),
        ({"channel__exact": "hotline"}, []),
    ],
)
def test_the_queue_filters_by_status_department_category_and_channel(client, desk, queue, query, titles):
    client.force_login(desk.coordinator)
    query = {k: (str(desk.land.pk) if v == "LAND" else v) for k, v in query.items()}

    assert _titles(client.get(reverse(CHANGELIST), query)) == titles


def test_the_overdue_filter_finds_problems_past_their_deadline(client, desk, queue, monday):
    # 7 June: the unrouted problem missed its 1-working-day deadline; the others have days left.
    monday.move_to("2023-06-07T09:00:00+08:00")
    client.force_login(desk.coordinator)

    assert _titles(client.get(reverse(CHANGELIST), {"overdue": "yes"})) == ["待交办"]
    assert _titles(client.get(reverse(CHANGELIST), {"overdue": "no"})) == ["国土的诉求", "转给财政的诉求"]


def test_bulk_assign_asks_for_the_department_then_routes_every_selected_problem(client, desk, queue):
    second = submit(desk, title="又一件待交办")
    client.force_login(desk.coordinator)
    selected = [queue["waiting"].pk, second.pk]

    form = client.post(reverse(CHANGELIST), {"action": "assign_selected", "_selected_action": selected})
    assert form.status_code == 200
    assert form.context["move"] == "assign"

    done = client.post(
        reverse(CHANGELIST),
        {
            "action": "assign_selected",
            "_selected_action": selected,
            "apply": "1",
            "department": desk.land.pk,
            "handler": desk.land_staff.pk,
        },
    )

    assert done.status_code == 302
    routed = Problem.objects.filter(pk__in=selected)
    assert sorted(routed.values_list("status", "department__code", "handler__username")) == [
        ("assigned", "gtgh", "gtgh"),
        ("assigned", "gtgh", "gtgh"),
    ]


def test_bulk_assign_changes_nothing_when_one_selected_problem_cannot_be_assigned(client, desk, queue):
    client.force_login(desk.coordinator)
    selected = [queue["waiting"].pk, queue["land"].pk]

    response = client.post(
        reverse(CHANGELIST),
        {
            "action": "assign_selected",
            "_selected_action": selected,
            "apply": "1",
            "department": desk.finance.pk,
        },
    )

    assert response.status_code == 200
    assert "当前状态为“已交办”，不能交办" in response.context["form"].non_field_errors()[0]
    assert Problem.objects.get(pk=queue["waiting"].pk).status == Status.SUBMITTED


def test_a_transfer_in_admin_requires_a_reason(client, desk, queue):
    client.force_login(desk.land_staff)
    url = reverse("admin:servicedesk_problem_move", args=[queue["land"].pk, "transfer"])

    refused = client.post(url, {"apply": "1", "department": desk.finance.pk, "reason": ""})
    done = client.post(url, {"apply": "1", "department": desk.finance.pk, "reason": "属融资事项"})

    assert refused.status_code == 200
    assert refused.context["form"].errors["reason"] == ["该字段是必填项。"]
    assert done.status_code == 302
    problem = Problem.objects.get(pk=queue["land"].pk)
    assert (problem.status, problem.department) == (Status.TRANSFERRED, desk.finance)
    assert problem.steps.last().note == "属融资事项"


def test_the_transfer_action_takes_one_problem_at_a_time(client, desk, queue):
    client.force_login(desk.coordinator)

    many = client.post(
        reverse(CHANGELIST),
        {"action": "transfer_selected", "_selected_action": [queue["land"].pk, queue["finance"].pk]},
        follow=True,
    )
    one = client.post(
        reverse(CHANGELIST), {"action": "transfer_selected", "_selected_action": [queue["land"].pk]}
    )

    assert "转办须逐件办理，请只选择一件诉求。" in [str(m) for m in many.context["messages"]]
    assert one["Location"] == reverse("admin:servicedesk_problem_move", args=[queue["land"].pk, "transfer"])


def test_a_department_answers_in_admin_with_a_document(client, desk, queue):
    client.force_login(desk.land_staff)
    change = reverse("admin:servicedesk_problem_change", args=[queue["land"].pk])
    url = reverse("admin:servicedesk_problem_move", args=[queue["land"].pk, "answer"])

    page = client.get(change)
    response = client.post(
        url, {"apply": "1", "answer": "已按告知承诺制办理。", "attachments": [pdf_file("答复.pdf")]}
    )

    assert [label for label, _ in page.context["moves"]] == ["转办", "反馈"]
    assert response["Location"] == change
    problem = Problem.objects.get(pk=queue["land"].pk)
    assert problem.status == Status.ANSWERED
    assert list(problem.attachments.values_list("name", "step__action")) == [("答复.pdf", Action.ANSWER)]


def test_a_department_cannot_move_another_departments_problem(client, desk, queue):
    client.force_login(desk.land_staff)
    url = reverse("admin:servicedesk_problem_move", args=[queue["finance"].pk, "answer"])

    assert client.post(url, {"apply": "1", "answer": "抢答"}).status_code == 404
    assert Problem.objects.get(pk=queue["finance"].pk).status == Status.TRANSFERRED


def test_the_coordinating_bureau_records_a_call_back_rating_in_admin(client, desk, queue):
    answered = bring_to(desk, Status.ANSWERED)
    client.force_login(desk.coordinator)
    url = reverse("admin:servicedesk_problem_move", args=[answered.pk, "callback"])

    response = client.post(url, {"apply": "1", "satisfied": "1", "comment": "电话回访总经理：满意"})

    assert response.status_code == 302
    answered.refresh_from_db()
    assert (answered.status, answered.steps.last().actor) == (Status.CLOSED, desk.coordinator)


def test_staff_record_a_problem_heard_on_a_visit(client, desk, queue):
    visit = VisitFactory(staff=desk.coordinator, enterprise=desk.enterprise)
    client.force_login(desk.coordinator)

    form = client.get(
        reverse("admin:servicedesk_problem_add"), {"visit": visit.pk, "enterprise": desk.enterprise.pk}
    )
    response = client.post(
        reverse("admin:servicedesk_problem_add"),
        {
            "enterprise": desk.enterprise.pk,
            "channel": Channel.VISIT,
            "visit": visit.pk,
            "category": Category.LAND,
            "title": "二期用地指标",
            "description": "走访中企业反映二期用地指标未落实。",
        },
    )

    assert form.context["form"].initial["channel"] == "visit"
    problem = Problem.objects.get(title="二期用地指标")
    assert response["Location"] == reverse("admin:servicedesk_problem_change", args=[problem.pk])
    assert (problem.visit, problem.raised_by, problem.channel) == (visit, desk.coordinator, Channel.VISIT)


def test_recording_a_visit_problem_without_its_visit_is_refused(client, desk, queue):
    client.force_login(desk.coordinator)

    response = client.post(
        reverse("admin:servicedesk_problem_add"),
        {
            "enterprise": desk.enterprise.pk,
            "channel": Channel.VISIT,
            "category": Category.LAND,
            "title": "二期用地指标",
            "description": "说明",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["走访收集的诉求须关联走访记录。"]


def test_a_problem_page_shows_its_timeline_and_escalations_and_no_save_button(client, desk, queue, monday):
    monday.move_to("2023-06-20T09:00:00+08:00")  # past the finance department's deadline
    services.problems_sweep()
    client.force_login(desk.coordinator)

    response = client.get(reverse("admin:servicedesk_problem_change", args=[queue["finance"].pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "属融资事项" in html
    assert "超时未反馈" in html
    assert 'name="_save"' not in html


def test_staff_record_a_visit_in_admin(client, desk, monday):
    _grant(desk.land_staff)
    client.force_login(desk.land_staff)

    response = client.post(
        reverse("admin:servicedesk_visit_add"),
        {
            "date": "2023-06-05",
            "enterprise": desk.enterprise.pk,
            "staff": desk.land_staff.pk,
            "participants": "张科长、企业总经理",
            "notes": "了解扩建需求。",
            "problems-TOTAL_FORMS": "0",
            "problems-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    visit = Visit.objects.get()
    assert (visit.staff, visit.enterprise, visit.participants) == (
        desk.land_staff,
        desk.enterprise,
        "张科长、企业总经理",
    )


def test_a_visit_dated_in_the_future_is_refused(client, desk, monday):
    _grant(desk.land_staff)
    client.force_login(desk.land_staff)

    response = client.post(
        reverse("admin:servicedesk_visit_add"),
        {
            "date": "2023-06-06",
            "enterprise": desk.enterprise.pk,
            "staff": desk.land_staff.pk,
            "problems-TOTAL_FORMS": "0",
            "problems-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == ["走访日期不能晚于今天。"]
    assert not Visit.objects.exists()
