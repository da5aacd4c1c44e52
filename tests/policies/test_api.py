"""The catalogue API: public read with filters and search; staff write through the services."""

import datetime as dt

import pytest
from django.urls import reverse

from policies.models import Policy
from tests.factories import DepartmentFactory, StaffFactory
from tests.policies.factories import CategoryFactory, PolicyFactory

pytestmark = pytest.mark.django_db

LIST = reverse("api:policy-list")


def _codes(response) -> list[str]:
    assert response.status_code == 200
    return [p["code"] for p in response.json()["results"]]


@pytest.fixture
def catalogue(db):
    tech = CategoryFactory(slug="tech", name="科技创新")
    talent = CategoryFactory(slug="talent", name="人才")
    cxfz = DepartmentFactory(code="cxfz", name="创新发展局")
    rlzy = DepartmentFactory(code="rlzy", name="人力资源局")
    PolicyFactory(code="rd", title="研发投入补助", categories=[tech], department=cxfz, status="published")
    PolicyFactory(
        code="talent", title="人才住房补贴", categories=[talent], department=rlzy, status="published"
    )
    PolicyFactory(
        code="old",
        title="研发后补助",
        categories=[tech],
        department=cxfz,
        published_on=dt.date(2021, 3, 1),
        effective_from=dt.date(2021, 1, 1),
        effective_to=dt.date(2022, 12, 31),
        status="published",
    )
    PolicyFactory(code="draft", title="研发草稿", categories=[tech], department=cxfz)
    return tech, talent


@pytest.mark.parametrize(
    ("params", "codes"),
    [
        ({}, ["rd", "talent", "old"]),
        ({"category": "tech"}, ["rd", "old"]),
        ({"department": "rlzy"}, ["talent"]),
        ({"status": "expired"}, ["old"]),
        ({"year": "2021"}, ["old"]),
        ({"q": "研发"}, ["rd", "old"]),
        ({"q": "研发", "status": "published"}, ["rd"]),
        ({"status": "draft"}, ["rd", "talent", "old"]),
    ],
)
def test_the_public_list_filters_and_never_shows_drafts(client, catalogue, params, codes):
    assert sorted(_codes(client.get(LIST, params))) == sorted(codes)


def test_search_results_come_best_first_the_policies_in_force_before_the_expired_ones(client, catalogue):
    PolicyFactory(code="body-only", title="企业发展办法", body="支持研发。", status="published")

    assert _codes(client.get(LIST, {"q": "研发"})) == ["rd", "body-only", "old"]


def test_one_policy_reads_with_its_guide_and_sanitised_body(client):
    policy = PolicyFactory(code="rd", body="正文<script>alert(1)</script>", status="published")

    data = client.get(reverse("api:policy-detail", kwargs={"code": "rd"})).json()

    assert data["code"] == "rd"
    assert data["guide"] == {
        "beneficiaries": policy.guide_beneficiaries,
        "conditions": policy.guide_conditions,
        "how": "application",
        "deadline": policy.guide_deadline,
        "office": policy.guide_office,
        "phone": policy.guide_phone,
    }
    assert data["body_html"] == "<p>正文</p>"
    assert data["status"] == "published"


def test_a_draft_is_not_found_by_the_public_but_read_by_staff(client):
    PolicyFactory(code="draft")
    url = reverse("api:policy-detail", kwargs={"code": "draft"})

    assert client.get(url).status_code == 404
    client.force_login(StaffFactory(is_superuser=True))
    assert client.get(url).json()["status"] == "draft"


def test_anonymous_and_enterprise_users_cannot_write(client, owner):
    DepartmentFactory(name="创新发展局")
    payload = {"code": "x", "title": "新政策", "department": "创新发展局"}

    assert client.post(LIST, payload, content_type="application/json").status_code == 403
    client.force_login(owner)
    assert client.post(LIST, payload, content_type="application/json").status_code == 403
    assert not Policy.objects.filter(code="x").exists()


def test_staff_create_a_draft_then_publish_it(client, staff):
    CategoryFactory(slug="tech", name="科技创新")
    DepartmentFactory(code="cxfz", name="创新发展局")
    client.force_login(staff)
    payload = {
        "code": "tech-loan",
        "title": "科技贷款贴息细则",
        "department": "创新发展局",
        "categories": ["科技创新"],
        "summary": "贴息。",
        "body": "**第一条** 贴息。",
        "guide": {"beneficiaries": "科技型企业", "conditions": "有贷款", "how": "application"},
    }

    created = client.post(LIST, payload, content_type="application/json")
    assert created.status_code == 201
    assert created.json()["status"] == "draft"

    publish = reverse("api:policy-publish", kwargs={"code": "tech-loan"})
    refused = client.post(publish)
    assert refused.status_code == 409
    assert refused.json() == {
        "detail": "《科技贷款贴息细则》的申兑指南不完整，不能发布。缺少：兑现时限、受理地址、咨询电话。"
    }

    patched = client.patch(
        reverse("api:policy-detail", kwargs={"code": "tech-loan"}),
        {"guide": {"deadline": "30 个工作日", "office": "3 号窗口", "phone": "0371-67980005"}},
        content_type="application/json",
    )
    assert patched.status_code == 200
    assert patched.json()["guide"]["conditions"] == "有贷款"
    published = client.post(publish)
    assert published.status_code == 200
    assert published.json()["status"] == "published"


def test_staff_repeal_with_a_reason(client, staff):
    PolicyFactory(code="rent", status="published")
    client.force_login(staff)
    url = reverse("api:policy-repeal", kwargs={"code": "rent"})

    assert client.post(url, {}, content_type="application/json").status_code == 400
    response = client.post(url, {"reason": "执行完毕"}, content_type="application/json")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["repeal_reason"]) == ("repealed", "执行完毕")


def test_a_duplicate_code_is_refused(client, staff):
    PolicyFactory(code="dup", department=DepartmentFactory(name="创新发展局"))
    client.force_login(staff)

    response = client.post(
        LIST, {"code": "dup", "title": "重复", "department": "创新发展局"}, content_type="application/json"
    )

    assert response.status_code == 409
    assert "政策代码" in response.json()["detail"]


def test_the_public_list_is_kept_until_a_public_change_and_never_for_staff(
    client, catalogue, django_assert_num_queries
):
    first = client.get(LIST, {"category": "tech"})
    with django_assert_num_queries(0):
        again = client.get(LIST, {"category": "tech"})
    assert again.json() == first.json()

    # Publishing moves the public generation on: the next reading has the new policy at once.
    PolicyFactory(code="new", title="新发布", categories=[catalogue[0]], status="published")
    assert _codes(client.get(LIST, {"category": "tech"})) == ["new", "rd", "old"]

    # Staff see the drafts, never a kept page, and what they saw is not kept for the public.
    client.force_login(StaffFactory(is_superuser=True))
    assert "draft" in _codes(client.get(LIST, {"category": "tech"}))
    client.logout()
    assert "draft" not in _codes(client.get(LIST, {"category": "tech"}))


def test_a_kept_page_links_to_its_next_page_on_the_host_asked(client, settings):
    settings.ALLOWED_HOSTS = ["portal.example.cn", "other.example.cn"]
    for index in range(25):
        PolicyFactory(code=f"p{index:02d}", status="published")

    here = client.get(LIST, HTTP_HOST="portal.example.cn").json()["next"]
    there = client.get(LIST, HTTP_HOST="other.example.cn").json()["next"]

    assert here.startswith("http://portal.example.cn/")
    assert there.startswith("http://other.example.cn/")
