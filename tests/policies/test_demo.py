"""The demo catalogue: loads twice without change, carries the policies the subsidy engine needs."""

import io

import pytest
from django.urls import reverse

from policies import demo, selectors
from policies.models import Category, Policy, PolicyStatus
from portal.accounts import demo as accounts_demo
from tests.factories import DepartmentFactory


@pytest.fixture
def demo_catalogue(db):
    # The demo departments without the demo logins (hashing their passwords is slow and not the point).
    for code, name, coordinating, phone in accounts_demo.DEPARTMENTS:
        DepartmentFactory(code=code, name=name, is_coordinating=coordinating, phone=phone)
    demo.load(io.StringIO())


def test_the_demo_loads_twice_without_changing_anything(demo_catalogue):
    before = list(Policy.objects.order_by("code").values_list("code", "status", "updated_at"))

    out = io.StringIO()
    demo.load(out)

    assert list(Policy.objects.order_by("code").values_list("code", "status", "updated_at")) == before
    assert out.getvalue() == "政策类别 8 个，政策 31 项（现行 25，失效 4，废止 1，草稿 1）"
    assert Category.objects.count() == 8


def test_the_demo_has_the_five_automatic_policies_of_the_subsidy_engine_in_force(demo_catalogue):
    codes = [
        "rd-investment-2023",
        "high-tech-award-2023",
        "srdi-award-2023",
        "tech-sme-award-2023",
        "stable-jobs-2023",
    ]

    rows = list(Policy.objects.filter(code__in=codes).values_list("code", "status", "guide_how"))

    assert sorted(rows) == sorted((code, PolicyStatus.PUBLISHED, "automatic") for code in codes)


def test_the_demo_has_the_application_mode_policies(demo_catalogue):
    codes = ["talent-housing-2023", "tech-loan-interest-2023", "first-set-equipment-2023"]

    assert sorted(
        Policy.objects.published()
        .filter(code__in=codes, guide_how="application")
        .values_list("code", flat=True)
    ) == sorted(codes)


def test_every_public_demo_policy_has_a_complete_guide(demo_catalogue):
    assert [p.code for p in Policy.objects.public() if p.guide_missing()] == []


def test_searching_the_demo_for_rd_expenses_returns_the_rd_policies_in_force_first(demo_catalogue, client):
    page = client.get(reverse("policies:list"), {"q": "研发费用"}).context["page"]
    in_force = [p.title for p in page if p.current_status == PolicyStatus.PUBLISHED]
    titles = [p.title for p in page]

    assert titles[: len(in_force)] == in_force  # the expired and repealed ones after
    rd_first = [t for t in in_force if "研发" in t]
    assert in_force[: len(rd_first)] == rd_first
    assert "郑州高新区关于支持企业加大研发投入的若干措施" in rd_first
    assert len(rd_first) == 3
    assert "郑州高新区企业研发投入后补助办法" in titles[len(in_force) :]


def test_the_old_rd_policy_points_to_its_successor(demo_catalogue):
    old = selectors.policy_detail(code="rd-investment-2021")

    assert old.superseded_by.code == "rd-investment-2023"
    assert old.current_status == PolicyStatus.EXPIRED
