"""The public pages: list with filters and search, a policy's page, its print view, the home block."""

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from policies import services
from policies.sections import register_policy_section, unregister_policy_section
from tests.factories import DepartmentFactory
from tests.policies.factories import CategoryFactory, PolicyFactory

pytestmark = pytest.mark.django_db


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


def _make_policies(count: int, tech, dept):
    for _ in range(count):
        PolicyFactory(categories=[tech], department=dept, tags=["研发"], status="published")


@pytest.mark.parametrize("query", ["", "?q=措施", "?category=tech&year=2023&status=published"])
def test_the_list_page_runs_the_same_number_of_queries_for_3_and_for_30_policies(client, query):
    tech = CategoryFactory(slug="tech", name="科技创新")
    dept = DepartmentFactory(code="cxfz", name="创新发展局")
    _make_policies(3, tech, dept)
    few = _queries(client, reverse("policies:list") + query)
    _make_policies(27, tech, DepartmentFactory())

    assert _queries(client, reverse("policies:list") + query) == few


def test_the_detail_page_runs_the_same_number_of_queries_however_many_policies_and_attachments_exist(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    tech = CategoryFactory(slug="tech")
    first = PolicyFactory(categories=[tech], status="published")
    few = _queries(client, first.get_absolute_url())
    _make_policies(20, tech, first.department)
    newer = PolicyFactory(categories=[tech, CategoryFactory()], status="published")
    first.superseded_by = newer
    services.policy_save(policy=first)
    for n in range(3):
        services.policy_attachment_add(policy=first, file=SimpleUploadedFile(f"{n}.pdf", b"%PDF-1.4 x"))

    assert _queries(client, first.get_absolute_url()) == few
    assert _queries(client, reverse("policies:print", kwargs={"code": first.code})) == few


def test_the_list_shows_the_newest_policies_first_twenty_to_a_page(client):
    for day in range(1, 23):
        PolicyFactory(code=f"p{day:02d}", published_on=dt.date(2023, 3, day), status="published")

    page = client.get(reverse("policies:list")).context["page"]

    assert page.paginator.count == 22
    assert [p.code for p in page][:3] == ["p22", "p21", "p20"]
    assert len(page) == 20


def test_the_list_filters_by_category_department_status_and_year(client):
    tech = CategoryFactory(slug="tech")
    cxfz = DepartmentFactory(code="cxfz")
    PolicyFactory(code="match", categories=[tech], department=cxfz, status="published")
    PolicyFactory(
        code="other-year",
        categories=[tech],
        department=cxfz,
        published_on=dt.date(2022, 5, 1),
        effective_from=dt.date(2022, 5, 1),
        status="published",
    )
    PolicyFactory(code="other-category", department=cxfz, status="published")
    PolicyFactory(code="other-department", categories=[tech], status="published")
    PolicyFactory(code="repealed", categories=[tech], department=cxfz, status="repealed")
    PolicyFactory(code="draft", categories=[tech], department=cxfz)

    response = client.get(
        reverse("policies:list"),
        {"category": "tech", "department": "cxfz", "status": "published", "year": "2023"},
    )

    assert [p.code for p in response.context["page"]] == ["match"]


def test_the_status_filter_counts_a_policy_past_its_end_date_as_expired(client):
    PolicyFactory(
        code="old",
        effective_from=dt.date(2021, 1, 1),
        effective_to=dt.date(2022, 12, 31),
        published_on=dt.date(2021, 1, 1),
        status="published",
    )
    PolicyFactory(code="current", status="published")

    expired = client.get(reverse("policies:list"), {"status": "expired"}).context["page"]
    current = client.get(reverse("policies:list"), {"status": "published"}).context["page"]

    assert [p.code for p in expired] == ["old"]
    assert [p.code for p in current] == ["current"]


def test_search_results_highlight_the_matched_words(client):
    PolicyFactory(title="支持专精特新企业的措施", status="published")

    page = client.get(reverse("policies:list"), {"q": "专精特新"}).content.decode()

    assert "支持<mark>专精特新</mark>企业" in page
    assert "找到 1 项政策" in page


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("", None),
        ("！？。、", "检索词中没有可检索的文字"),
        ("专精特新" * 40, "检索词过长，已按前 100 个字检索。"),
        ("<script>alert(1)</script>", None),
        ("%' OR 1=1 --", None),
    ],
)
def test_odd_queries_get_a_normal_page_with_a_notice_where_useful(client, q, message):
    PolicyFactory(title="专精特新企业奖励办法", status="published")

    response = client.get(reverse("policies:list"), {"q": q})

    assert response.status_code == 200
    page = response.content.decode()
    if message:
        assert message in page
    assert "<script>alert(1)</script>" not in page


def test_a_policys_page_shows_its_text_guide_and_attachments(client):
    policy = PolicyFactory(
        title="研发投入补助措施",
        body="**第一条** 按研发费用的 10% 给予补助。",
        guide_beneficiaries="规上工业企业",
        guide_how="automatic",
        status="published",
    )

    page = client.get(policy.get_absolute_url()).content.decode()

    assert "<h1>研发投入补助措施</h1>" in page
    assert "<strong>第一条</strong> 按研发费用的 10% 给予补助。" in page
    assert 'id="guide"' in page and "规上工业企业" in page and "免申即享" in page
    assert reverse("policies:print", kwargs={"code": policy.code}) in page


def test_the_page_of_a_superseded_policy_says_so_and_links_to_the_new_one(client):
    old = PolicyFactory(title="旧办法", status="published")
    new = PolicyFactory(title="新办法", doc_number="郑高管〔2023〕3号", status="published")
    old.superseded_by = new
    services.policy_save(policy=old)

    old_page = client.get(old.get_absolute_url()).content.decode()
    new_page = client.get(new.get_absolute_url()).content.decode()

    assert "本政策已被新政策替代：" in old_page
    assert f'<a href="{new.get_absolute_url()}">《新办法》</a>' in old_page
    assert f'<a href="{old.get_absolute_url()}">《旧办法》</a>' in new_page


def test_a_superseding_draft_is_not_announced_on_the_old_page(client):
    old = PolicyFactory(status="published")
    old.superseded_by = PolicyFactory(title="尚未发布的新办法")
    services.policy_save(policy=old)

    assert "尚未发布的新办法" not in client.get(old.get_absolute_url()).content.decode()


def test_a_repealed_policys_page_shows_the_reason(client):
    policy = PolicyFactory(status="published")
    services.policy_repeal(policy=policy, reason="阶段性措施已执行完毕")

    page = client.get(policy.get_absolute_url()).content.decode()

    assert "本政策已废止" in page and "阶段性措施已执行完毕" in page


def test_a_draft_is_hidden_from_the_public_and_previewed_by_staff(client, staff):
    draft = PolicyFactory(title="草稿政策")

    assert client.get(draft.get_absolute_url()).status_code == 404
    client.force_login(staff)
    page = client.get(draft.get_absolute_url()).content.decode()
    assert "草稿预览" in page and "草稿政策" in page


def test_other_parts_add_sections_to_a_policys_page_through_the_hook(client, settings):
    from pathlib import Path

    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [*engine["DIRS"], Path(__file__).parent / "templates"]}]
    policy = PolicyFactory(status="published")
    seen = []

    def schemes(request, p):
        seen.append(p.pk)
        return {"template": "policies/tests/fake_section.html", "names": ["研发投入补助（2023）"]}

    def nothing(request, p):
        return None

    register_policy_section(schemes)
    register_policy_section(schemes)
    register_policy_section(nothing)
    try:
        page = client.get(policy.get_absolute_url()).content.decode()
    finally:
        unregister_policy_section(schemes)
        unregister_policy_section(nothing)

    assert seen == [policy.pk]
    assert '<section id="fake-schemes">研发投入补助（2023）</section>' in page


def test_the_print_view_has_the_policy_and_its_guide_without_the_site_navigation(client):
    policy = PolicyFactory(title="契税补贴办法", guide_phone="0371-67980005", status="published")

    page = client.get(reverse("policies:print", kwargs={"code": policy.code})).content.decode()

    assert "<h1>契税补贴办法</h1>" in page
    assert "0371-67980005" in page
    assert "main-nav" not in page


def test_the_home_page_has_a_policy_search_box_and_the_newest_policies(client):
    PolicyFactory(title="最新的人才政策", status="published")

    page = client.get(reverse("home")).content.decode()

    assert f'action="{reverse("policies:list")}"' in page
    assert 'name="q"' in page
    assert "最新的人才政策" in page
    assert f'<a href="{reverse("policies:list")}">政策</a>' in page


def test_the_print_view_of_every_demo_policy_renders_with_its_interpretations(client, django_user_model):
    from policies import demo as policies_demo
    from policies.models import Policy
    from portal.accounts import demo as accounts_demo
    from portal.content import demo as content_demo

    for code, name, coordinating, phone in accounts_demo.DEPARTMENTS:
        DepartmentFactory(code=code, name=name, is_coordinating=coordinating, phone=phone)
    policies_demo.load(io.StringIO())
    content_demo.load(io.StringIO())
    client.force_login(django_user_model.objects.create_superuser("printer", password="x"))
    codes = list(Policy.objects.order_by("code").values_list("code", flat=True))

    statuses = {
        code: client.get(reverse("policies:print", kwargs={"code": code})).status_code for code in codes
    }
    srdi = client.get(reverse("policies:print", kwargs={"code": "srdi-award-2023"})).content.decode()

    assert len(codes) == 31
    assert statuses == dict.fromkeys(codes, 200)
    assert 'class="card policy-interpretations"' in srdi
    assert "政策解读" in srdi
