"""/api/v1/problems/: who sees which problems, and one action per move."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from portal.servicedesk.models import Problem, Status
from tests.servicedesk.factories import bring_to, pdf_file, submit

pytestmark = pytest.mark.django_db

LIST = reverse("api:problem-list")


def detail(problem, action=None):
    if action:
        return reverse(f"api:problem-{action}", args=[problem.pk])
    return reverse("api:problem-detail", args=[problem.pk])


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_an_enterprise_lists_only_its_own_problems(desk, monday):
    mine = submit(desk, title="本企业的诉求")
    submit(desk, enterprise=desk.other_enterprise, title="别家的诉求")

    body = api(desk.agent).get(LIST).json()

    assert body["count"] == 1
    assert [p["id"] for p in body["results"]] == [mine.pk]
    assert body["results"][0]["enterprise"]["uscc"] == desk.enterprise.uscc


def test_a_department_lists_its_own_and_the_coordinating_bureau_lists_all(desk, monday):
    land = bring_to(desk, Status.ASSIGNED)
    waiting = submit(desk)

    land_ids = [p["id"] for p in api(desk.land_staff).get(LIST).json()["results"]]
    all_ids = sorted(p["id"] for p in api(desk.coordinator).get(LIST).json()["results"])

    assert land_ids == [land.pk]
    assert all_ids == sorted([land.pk, waiting.pk])
    assert api(desk.finance_staff).get(detail(land)).status_code == 404


def test_anonymous_callers_get_nothing(client, desk, monday):
    submit(desk)

    assert APIClient().get(LIST).status_code == 403


def test_the_list_filters_by_status_department_and_overdue(desk, monday):
    land = bring_to(desk, Status.ASSIGNED)
    waiting = submit(desk)
    monday.move_to("2023-06-07T09:00:00+08:00")  # the unrouted one is a working day late
    coordinator = api(desk.coordinator)

    def ids(**query):
        return [p["id"] for p in coordinator.get(LIST, query).json()["results"]]

    assert ids(status="submitted") == [waiting.pk]
    assert ids(department="gtgh") == [land.pk]
    assert ids(overdue="true") == [waiting.pk]
    assert ids(overdue="false") == [land.pk]


def test_an_enterprise_raises_a_problem_with_a_document(desk, monday):
    response = api(desk.owner).post(
        LIST,
        {
            "category": "finance",
            "title": "科技贷款对接",
            "description": "希望对接银行。",
            "attachments": [pdf_file()],
        },
        format="multipart",
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["channel"], body["enterprise"]["id"]) == (
        "submitted",
        "portal",
        desk.enterprise.pk,
    )
    assert [a["name"] for a in body["attachments"]] == ["说明.pdf"]
    assert body["first_response_due"] == "2023-06-06T23:59:59.999999+08:00"
    assert [s["action"] for s in body["steps"]] == ["submit"]


def test_a_bad_document_is_a_400_with_the_reason(desk, monday):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = api(desk.owner).post(
        LIST,
        {
            "category": "finance",
            "title": "科技贷款对接",
            "description": "说明",
            "attachments": [SimpleUploadedFile("a.pdf", b"not a pdf")],
        },
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json()["attachments"] == [
        "a.pdf：只接受 PDF、DOCX、XLSX、JPEG、PNG 格式的附件（按文件内容识别）。"
    ]
    assert not Problem.objects.exists()


def test_staff_record_a_hotline_problem_naming_the_enterprise(desk, monday):
    response = api(desk.coordinator).post(
        LIST,
        {
            "category": "utilities",
            "title": "用电增容",
            "description": "热线来电。",
            "enterprise": desk.enterprise.pk,
            "channel": "hotline",
        },
        format="json",
    )
    missing = api(desk.coordinator).post(
        LIST, {"category": "utilities", "title": "用电增容", "description": "热线来电。"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["channel"] == "hotline"
    assert missing.status_code == 400


def test_the_whole_life_through_the_api(desk, monday):
    problem = submit(desk)

    assigned = api(desk.coordinator).post(detail(problem, "assign"), {"department": "gtgh"}, format="json")
    transferred = api(desk.land_staff).post(
        detail(problem, "transfer"), {"department": "czjr", "reason": "属融资事项"}, format="json"
    )
    answered = api(desk.finance_staff).post(
        detail(problem, "answer"), {"answer": "已对接银行。"}, format="json"
    )
    reopened = api(desk.owner).post(
        detail(problem, "rate"), {"satisfied": False, "comment": "额度不够"}, format="json"
    )
    answered_again = api(desk.finance_staff).post(
        detail(problem, "answer"), {"answer": "已追加授信。"}, format="json"
    )
    closed = api(desk.owner).post(detail(problem, "rate"), {"satisfied": True}, format="json")

    assert [r.status_code for r in (assigned, transferred, answered, reopened, answered_again, closed)] == [
        200
    ] * 6
    assert [
        r.json()["status"] for r in (assigned, transferred, answered, reopened, answered_again, closed)
    ] == [
        "assigned",
        "transferred",
        "answered",
        "reopened",
        "answered",
        "closed",
    ]
    steps = closed.json()["steps"]
    assert [s["action"] for s in steps] == [
        "submit",
        "assign",
        "transfer",
        "answer",
        "reopen",
        "answer",
        "close",
    ]
    assert closed.json()["department"]["code"] == "czjr"


def test_an_illegal_move_is_a_409_with_the_reason(desk, monday):
    problem = bring_to(desk, Status.CLOSED)

    response = api(desk.land_staff).post(detail(problem, "answer"), {"answer": "再答一次"}, format="json")

    assert response.status_code == 409
    assert response.json() == {"detail": f"诉求 #{problem.pk} 当前状态为“已办结”，不能反馈。"}


def test_a_transfer_without_a_reason_is_a_400(desk, monday):
    problem = bring_to(desk, Status.ASSIGNED)

    response = api(desk.land_staff).post(detail(problem, "transfer"), {"department": "czjr"}, format="json")

    assert response.status_code == 400
    assert Problem.objects.get(pk=problem.pk).status == Status.ASSIGNED


def test_enterprises_cannot_make_staff_moves_and_staff_cannot_withdraw(desk, monday):
    problem = bring_to(desk, Status.ASSIGNED)

    assert (
        api(desk.owner).post(detail(problem, "answer"), {"answer": "自答"}, format="json").status_code == 403
    )
    assert api(desk.land_staff).post(detail(problem, "withdraw"), {}, format="json").status_code == 403
    problem.refresh_from_db()
    assert (problem.status, problem.answered_at) == (Status.ASSIGNED, None)


def test_an_enterprise_withdraws_through_the_api(desk, monday):
    problem = bring_to(desk, Status.ASSIGNED)

    response = api(desk.owner).post(detail(problem, "withdraw"), {"reason": "已解决"}, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"


def test_the_list_costs_the_same_queries_for_many_problems(desk, monday, django_assert_max_num_queries):
    for n in range(30):
        bring_to(desk, Status.ASSIGNED, title=f"诉求{n}")
    client = api(desk.coordinator)

    with django_assert_max_num_queries(6):
        response = client.get(LIST)
    assert len(response.json()["results"]) == 20
