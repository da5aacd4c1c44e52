"""The walk: every page as the public, an enterprise owner and zone staff, at a desktop and a phone width.

On each page load: every request answers, axe-core finds no serious or critical violation, the page does
not scroll sideways (at 390 px and again at 320 px, by narrowing the same page), and a full-page
screenshot is saved under test-output/screenshots/walk/ for a person to look at.
"""

import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from axe_playwright_python.sync_playwright import Axe

from policies import demo as policies_demo
from policies.models import Policy
from portal.accounts import demo as accounts_demo
from portal.accounts.models import Department, User
from portal.content import demo as content_demo
from portal.content.models import Article, Faq
from portal.enterprises.models import make_uscc
from portal.servicedesk import services as desk
from portal.servicedesk.models import Category, Channel
from projects import services as project_services
from subsidies.matching import match_run_execute
from subsidies.models import Award
from subsidies.services import awards_review_bulk, run_release
from tests.e2e.conftest import SCREENSHOTS, login
from tests.factories import (
    PASSWORD,
    AnnualReportFactory,
    EnterpriseFactory,
    EnterpriseUserFactory,
    QualificationFactory,
    StaffFactory,
)
from tests.projects.factories import at, filed_project, issued_permit
from tests.residents.factories import PersonFactory
from tests.subsidies.award_factories import AwardSchemeFactory
from tests.subsidies.household_factories import household_scheme, purchase

WIDTHS = (1366, 390)
NARROWEST = 320
BLOCKING = ("serious", "critical")
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
AXE_OPTIONS = {
    "resultTypes": ["violations"],
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
}


@pytest.fixture
def portal(transactional_db):
    """The demo's public content, and one enterprise with an award, problems and a project."""
    out = io.StringIO()
    accounts_demo.load(out)
    policies_demo.load(out)
    content_demo.load(out)

    enterprise = EnterpriseFactory(uscc=make_uscc(1), name="郑州梧桐智能科技有限公司", credit_rating="A")
    AnnualReportFactory(enterprise=enterprise, year=2022)
    QualificationFactory(enterprise=enterprise, code="high_tech", year_awarded=2022)
    owner = EnterpriseUserFactory(enterprise=enterprise, username=enterprise.uscc)
    scheme = AwardSchemeFactory(
        code="high-tech-2022",
        title="高新技术企业认定奖励（2022 年认定）",
        eligibility={
            "and": [{"in": ["high_tech", {"var": "qualifications"}]}, {"==": [{"var": "credit_rating"}, "A"]}]
        },
        amount_rule=100000,
        policy__title="郑州高新区高新技术企业认定奖励办法",
        policy__department=Department.objects.get(code="cxfz"),
    )
    staff = User.objects.get(username="cxfz")
    # The first award was publicized in March 2023 and now waits for the owner's confirmation; the second
    # is publicized today, so the public publicity list shows it.
    with time_machine.travel(dt.datetime(2023, 3, 20, 9, tzinfo=SHANGHAI), tick=False):
        run = match_run_execute()
        awards_review_bulk(awards=list(run.awards.all()), user=staff, approve=True)
        run_release(run=run, user=staff)
    in_publicity = AwardSchemeFactory(
        code="credit-a-2022",
        title="纳税信用 A 级企业奖励",
        eligibility={"==": [{"var": "credit_rating"}, "A"]},
        amount_rule=20000,
        policy__title="郑州高新区纳税信用激励办法",
        policy__department=staff.department,
    )
    run = match_run_execute()
    awards_review_bulk(awards=list(run.awards.all()), user=staff, approve=True)
    run_release(run=run, user=staff)

    land = Department.objects.get(code="gtgh")
    problems = []
    for title in ("施工许可证办理材料咨询", "厂房用电增容", "高新技术企业认定辅导", "人才公寓申请"):
        problem = desk.problem_submit(
            enterprise=enterprise,
            user=owner,
            channel=Channel.PORTAL,
            category=Category.PERMITS,
            title=title,
            description="新建厂房即将开工，希望明确所需材料和办理时限。",
        )
        problems.append(problem)
    desk.problem_assign(problem=problems[0], user=staff, department=land)
    desk.problem_answer(
        problem=problems[0], user=User.objects.get(username="gtgh"), answer="已按告知承诺制办理，请查收。"
    )
    desk.problem_assign(problem=problems[1], user=staff, department=land)

    project = filed_project(
        submitted=at("2023-01-20", 15),
        completed=at("2023-01-28", 10),
        enterprise=enterprise,
        name="智能传感器产业园项目",
    )
    project_services.project_update(
        project=project,
        data={
            "land_transferred_on": dt.date(2023, 3, 1),
            "is_custom_industrial_land": True,
            "parcel_number": "GX2023-004",
        },
    )
    issued_permit(project, "land_use_planning", applied=at("2023-03-01", 9), issued=at("2023-03-01", 15))
    issued_permit(project, "works_planning", applied=at("2023-03-01", 9), issued=None)

    # A household's deed-tax subsidy, publicized in August 2023, waiting for the buyers (staff may record
    # their paper confirmation).
    deed_tax = household_scheme(code="deed-tax-2023", publicity_days=5)
    main = PersonFactory(name="张三明", id_number="410105199001011233")
    purchase(buyers=[main, PersonFactory(name="李娜")], deed_tax=Decimal("4000.00"))
    with time_machine.travel(dt.datetime(2023, 8, 1, 10, tzinfo=SHANGHAI), tick=False):
        run = match_run_execute(scheme_codes=[deed_tax.code])
        awards_review_bulk(awards=list(run.awards.all()), user=staff, approve=True)
        run_release(run=run, user=staff)
    return {
        "owner": owner,
        "staff": StaffFactory(username="walker", is_superuser=True),
        "scheme": scheme,
        "award": Award.objects.get(scheme=scheme),
        "in_publicity": in_publicity,
        "problem": problems[0],
        "project": project,
        "household_award": Award.objects.get(scheme=deed_tax),
    }


def public_pages(portal) -> list[tuple[str, str]]:
    policy = Policy.objects.filter(status="published").order_by("code").first()
    article = Article.objects.order_by("pk").first()
    faq = Faq.objects.order_by("pk").first()
    return [
        ("home", "/"),
        ("policies", "/policies/"),
        ("policy", f"/policies/{policy.code}/"),
        ("policy-search", "/policies/?q=研发"),
        ("calculator", "/calculator/"),
        ("publicity", "/publicity/"),
        ("publicity-scheme", f"/publicity/{portal['in_publicity'].code}/"),
        ("news", "/news/"),
        ("news-search", "/news/?q=高新"),
        ("article", f"/news/{article.slug}/"),
        ("faq", "/faq/"),
        ("faq-search", "/faq/?q=高企认定条件"),
        ("faq-detail", f"/faq/{faq.pk}/"),
        ("economy", "/economy/"),
        ("performance", "/performance/"),
        ("login", "/accounts/login/"),
        ("sitemap", "/sitemap/"),
        ("contact", "/contact/"),
        ("privacy", "/privacy/"),
        ("help", "/help/"),
        ("accessibility", "/accessibility/"),
    ]


def enterprise_pages(portal) -> list[tuple[str, str]]:
    return [
        ("dashboard", "/me/"),
        ("notifications", "/me/notifications/"),
        ("awards", "/me/awards/"),
        ("award", f"/me/awards/{portal['award'].pk}/"),
        ("problems", "/me/problems/"),
        ("problem-new", "/me/problems/new/"),
        ("problem", f"/me/problems/{portal['problem'].pk}/"),
        ("projects", "/me/projects/"),
        ("project", f"/me/projects/{portal['project'].pk}/"),
        ("subscriptions", "/policies/subscriptions/"),
        ("password", "/accounts/password/"),
    ]


def staff_pages(portal) -> list[tuple[str, str]]:
    return [
        ("dispatch", "/staff/dispatch/"),
        ("admin", "/admin/"),
        ("admin-problems", "/admin/servicedesk/problem/"),
        ("admin-awards", "/admin/subsidies/award/"),
        ("admin-policies", "/admin/policies/policy/"),
        ("admin-household-award", f"/admin/subsidies/award/{portal['household_award'].pk}/change/"),
        (
            "admin-household-confirm",
            f"/admin/subsidies/award/{portal['household_award'].pk}/offline-confirm/",
        ),
    ]


def walk(browser, base_url: str, who: str, pages, *, user=None, axe: bool = True) -> list[str]:
    """Load each page once per width; return every failure found, one line each."""
    failures = []
    checker = Axe()
    context = browser.new_context(
        base_url=base_url, locale="zh-CN", viewport={"width": WIDTHS[0], "height": 900}
    )
    context.set_default_timeout(15000)
    page = context.new_page()
    # Any stylesheet, script, image or favicon the page asks for and does not get is a failure too.
    page.on("response", lambda r: r.status >= 400 and failures.append(f"{who} {r.url}: HTTP {r.status}"))
    if user is not None:
        login(page, user.username, PASSWORD)
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
    folder = SCREENSHOTS / "walk"
    folder.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for name, url in pages:
            if page.goto(url).status != 200:
                continue
            if axe:
                for violation in checker.run(page, options=AXE_OPTIONS).response["violations"]:
                    if violation["impact"] in BLOCKING:
                        targets = [node["target"] for node in violation["nodes"][:3]]
                        failures.append(
                            f"{who} {width}px {url}: {violation['id']} ({violation['impact']}) {targets}"
                        )
            page.screenshot(path=str(folder / f"{who}-{name}-{width}.png"), full_page=True)
            narrowest = (width, NARROWEST) if width == min(WIDTHS) else (width,)
            for check_width in narrowest:
                page.set_viewport_size({"width": check_width, "height": 900})
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                if overflow > 0:
                    failures.append(f"{who} {check_width}px {url}: scrolls sideways by {overflow}px")
            page.set_viewport_size({"width": width, "height": 900})
    context.close()
    return failures


@pytest.mark.django_db(transaction=True)
def test_every_page_passes_axe_and_never_scrolls_sideways_for_the_public_an_enterprise_and_staff(
    browser, live_server, portal
):
    failures = walk(browser, live_server.url, "public", public_pages(portal))
    failures += walk(browser, live_server.url, "enterprise", enterprise_pages(portal), user=portal["owner"])
    failures += walk(browser, live_server.url, "staff", staff_pages(portal), user=portal["staff"], axe=False)

    assert failures == [], "\n".join(failures)
