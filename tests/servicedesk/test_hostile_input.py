"""Hostile input on the problem API: a NUL in a staff lookup or an id that is not a number is no 500."""

import pytest

from portal.servicedesk.models import Problem, Status
from tests.servicedesk.factories import bring_to, submit

pytestmark = pytest.mark.django_db

NUL_MESSAGE = "请求中含有不允许的控制字符（NUL），请删除后重试。"


def test_a_problem_id_that_is_not_a_number_is_a_404_not_a_500(client, desk):
    client.force_login(desk.owner)

    response = client.get("/api/v1/problems/abc/")

    assert response.status_code == 404


def test_a_nul_byte_in_a_json_body_is_refused(client, desk):
    problem = submit(desk)
    client.force_login(desk.coordinator)

    response = client.post(
        f"/api/v1/problems/{problem.pk}/assign/",
        {"department": "gt\u0000gh", "note": ""},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json() == {"detail": NUL_MESSAGE}


@pytest.mark.parametrize("action", ["assign", "transfer"])
def test_a_nul_byte_in_a_staff_lookup_on_a_problem_form_post_is_refused(client, desk, action):
    problem = submit(desk)
    client.force_login(desk.coordinator)

    response = client.post(
        f"/api/v1/problems/{problem.pk}/{action}/", {"department": "gt\x00gh", "reason": "不属本局"}
    )

    assert response.status_code == 400
    assert response.json() == {"detail": NUL_MESSAGE}


@pytest.mark.postgres
def test_on_postgresql_a_nul_in_an_assign_or_transfer_lookup_is_a_400(client, desk):
    problem = submit(desk)
    client.force_login(desk.coordinator)
    attacks = [
        client.post(f"/api/v1/problems/{problem.pk}/assign/", {"department": "\x00"}),
        client.post(f"/api/v1/problems/{problem.pk}/transfer/", {"department": "\x00", "reason": "x"}),
        client.get("/api/v1/problems/?department=%00"),
    ]

    assert [r.status_code for r in attacks] == [400, 400, 400]


MEGABYTE = "诉" * (1024 * 1024 // 3)


def test_a_megabyte_description_is_refused_by_the_api_with_a_chinese_message(client, desk):
    client.force_login(desk.owner)

    response = client.post(
        "/api/v1/problems/",
        {"category": "permits", "title": "施工许可办理", "description": MEGABYTE},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json() == {"description": ["请确保这个字段不能超过 5000 个字符。"]}
    assert Problem.objects.count() == 0


def test_a_megabyte_description_is_refused_by_the_page_form(client, desk):
    client.force_login(desk.owner)

    response = client.post(
        "/me/problems/new/", {"category": "permits", "title": "施工许可办理", "description": MEGABYTE}
    )

    assert response.status_code == 200
    assert "最多可填写 5000 个字符" in response.content.decode()
    assert Problem.objects.count() == 0


def test_a_rating_comment_past_the_limit_is_refused_on_the_page_and_the_api(client, desk):
    problem = bring_to(desk, Status.ANSWERED)
    client.force_login(desk.owner)
    too_long = "不" * 1001

    page = client.post(f"/me/problems/{problem.pk}/rate/", {"satisfied": "0", "comment": too_long})
    api = client.post(
        f"/api/v1/problems/{problem.pk}/rate/",
        {"satisfied": False, "comment": too_long},
        content_type="application/json",
    )

    problem.refresh_from_db()
    assert page.status_code == 400
    assert "最多可填写 1000 个字符" in page.content.decode()
    assert api.json() == {"comment": ["请确保这个字段不能超过 1000 个字符。"]}
    assert (problem.status, problem.rating_comment) == (Status.ANSWERED, "")
