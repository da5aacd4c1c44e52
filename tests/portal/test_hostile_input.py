"""Hostile input never reaches the database as a 500: NUL bytes and out-of-range numbers get a Chinese 400.

PostgreSQL refuses a NUL byte in a text parameter and a year past 9999 in a date; SQLite does not, so the
attacks that took the demo down are marked to run on PostgreSQL too (``DATABASE_URL``), and the others
run on both.
"""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import DepartmentFactory, StaffFactory
from tests.policies.factories import CategoryFactory, PolicyFactory
from tests.subsidies.award_factories import PublicizedAwardFactory

pytestmark = pytest.mark.django_db

NUL_MESSAGE = "请求中含有不允许的控制字符（NUL），请删除后重试。"


@pytest.fixture
def catalogue(db):
    tech = CategoryFactory(slug="tech", name="科技创新")
    cxfz = DepartmentFactory(code="cxfz", name="创新发展局")
    PolicyFactory(code="rd", title="研发投入补助", categories=[tech], department=cxfz, status="published")


@pytest.mark.parametrize(
    "url",
    [
        "/policies/?category=te%00ch",
        "/policies/?department=cx%00fz",
        "/policies/?q=%E7%A0%94%00",
        "/api/v1/policies/?category=te%00ch",
        "/api/v1/policies/?department=cx%00fz",
        "/api/v1/policies/r%00d/",
        "/policies/r%00d/",
    ],
)
def test_a_nul_byte_in_a_filter_or_lookup_is_refused_with_a_chinese_400(client, catalogue, url):
    response = client.get(url)

    assert response.status_code == 400
    assert NUL_MESSAGE in response.content.decode()


def test_the_html_refusal_is_inside_the_site_frame_and_says_what_to_do(client, catalogue):
    response = client.get("/policies/?category=te%00ch")

    body = response.content.decode()
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert '<header class="site-header"' in body
    assert "返回首页" in body


def test_the_api_refusal_is_json_with_a_detail(client, catalogue):
    response = client.get("/api/v1/policies/?category=te%00ch")

    assert response.status_code == 400
    assert response.json() == {"detail": NUL_MESSAGE}


def test_a_nul_byte_in_the_query_of_a_publicity_page_is_refused(client):
    today = timezone.localdate()
    award = PublicizedAwardFactory(publicity_from=today, publicity_to=today + dt.timedelta(days=7))

    ok = client.get(f"/publicity/{award.scheme.code}/?q=%E9%83%91")
    refused = client.get(f"/publicity/{award.scheme.code}/?q=%00")

    assert ok.status_code == 200
    assert refused.status_code == 400
    assert NUL_MESSAGE in refused.content.decode()


@pytest.mark.parametrize("year", ["99999", "%C2%B2", "%D9%A3", "0", "-1"])
def test_a_year_that_is_not_a_plausible_year_is_ignored_not_a_500(client, catalogue, year):
    api = client.get(f"/api/v1/policies/?year={year}")
    page = client.get(f"/policies/?year={year}")

    assert api.status_code == 200
    assert [p["code"] for p in api.json()["results"]] == ["rd"]
    assert page.status_code == 200


def test_a_nul_byte_in_the_department_of_a_new_policy_is_refused(client, catalogue):
    client.force_login(StaffFactory(is_superuser=True))

    response = client.post(
        reverse("api:policy-list"),
        {"code": "new", "title": "新政策", "department": "创新\u0000发展局", "categories": ["tech"]},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json() == {"detail": NUL_MESSAGE}


@pytest.mark.postgres
def test_on_postgresql_every_nul_attack_on_the_catalogue_is_a_400(client, catalogue):
    client.force_login(StaffFactory(is_superuser=True))
    attacks = [
        client.get("/policies/?category=%00"),
        client.get("/api/v1/policies/?department=%00"),
        client.get("/api/v1/policies/%00/"),
        client.get("/admin/policies/policy/?q=%00"),
        client.post("/api/v1/policies/", {"code": "n", "title": "t", "department": "\x00"}),
    ]

    assert [r.status_code for r in attacks] == [400, 400, 400, 400, 400]
