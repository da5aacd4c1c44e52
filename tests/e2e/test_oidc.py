"""The provincial identity login in the browser, through a real OpenID Provider (tests/oidc/provider.js)."""

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from axe_playwright_python.sync_playwright import Axe

from portal.residents import sms
from portal.residents.models import Person
from subsidies.matching import match_run_execute
from subsidies.models import Award, AwardStatus
from subsidies.services import awards_review_bulk, run_release
from tests.e2e.test_subsidies import HIGH_TECH
from tests.e2e.test_walk import AXE_OPTIONS, BLOCKING
from tests.factories import AnnualReportFactory, EnterpriseFactory, QualificationFactory, StaffFactory
from tests.oidc.op import ID_NUMBER, USCC, provider_now, running_provider
from tests.residents.factories import PersonFactory, PurchaseBuyerFactory
from tests.subsidies.award_factories import AwardSchemeFactory
from tests.subsidies.household_factories import household_scheme


@pytest.fixture
def provider(live_server, settings):
    with running_provider(redirect_uris=[f"{live_server.url}/oidc/callback/"]) as running:
        for name, value in running.settings().items():
            setattr(settings, name, value)
        yield running


def _sign_in_at_the_provider(page, provider, login: str) -> None:
    page.wait_for_url(f"{provider.issuer}/interaction/**")
    page.fill("input[name=login]", login)
    page.click("button[type=submit]")


@pytest.mark.django_db(transaction=True)
def test_an_enterprise_owner_logs_in_with_the_provincial_identity_and_confirms_an_award(
    page, screenshot, provider
):
    enterprise = EnterpriseFactory(uscc=USCC, name="郑州梧桐智能科技有限公司", credit_rating="A")
    AnnualReportFactory(enterprise=enterprise, year=2022)
    QualificationFactory(enterprise=enterprise, code="high_tech", year_awarded=2022)
    scheme = AwardSchemeFactory(
        code="high-tech-2022",
        title="高新技术企业认定奖励（2022 年认定）",
        eligibility=HIGH_TECH,
        amount_rule=100000,
        policy__title="郑州高新区高新技术企业认定奖励办法",
        policy__department__name="科技创新局",
    )
    staff = StaffFactory(department=scheme.policy.department)
    with time_machine.travel(
        dt.datetime(2023, 3, 20, 9, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False
    ):
        run = match_run_execute()
        awards_review_bulk(awards=list(run.awards.all()), user=staff, approve=True)
        run_release(run=run, user=staff)
    award = Award.objects.get()

    # The portal checks the provider's token times on its own clock: the provider's.
    with time_machine.travel(provider_now(provider), tick=True):
        page.goto("/accounts/login/")
        assert screenshot("login").exists()
        page.click("text=法人登录（企业）")
        _sign_in_at_the_provider(page, provider, "corp-owner")
        page.wait_for_url("**/me/")
        assert "1 项兑现待您确认" in page.locator("#awards-block").inner_text()
        page.click("text=查看全部兑现")
        page.click("text=高新技术企业认定奖励（2022 年认定）")
        page.wait_for_url(f"**/me/awards/{award.pk}/")

        page.fill("input[name=bank_name]", "中国工商银行郑州高新技术开发区支行")
        page.fill("input[name=bank_account]", "1702 0201 0900 0123 456")
        page.check("input[name=agree]")
        page.click("#confirm-form button[type=submit]")
        page.wait_for_selector(".message.success")
        assert screenshot("confirmed").exists()

    award.refresh_from_db()
    assert award.status == AwardStatus.CONFIRMED
    assert award.confirmed_by.enterprise == enterprise
    assert award.confirmed_by.is_enterprise_owner


@pytest.mark.django_db(transaction=True)
def test_a_resident_logs_in_with_the_provincial_identity_and_confirms_the_household_subsidy(
    page, screenshot, provider
):
    person = PersonFactory(id_number=ID_NUMBER, name="李秀英")
    other = PersonFactory(name="王德明")
    buyer = PurchaseBuyerFactory(
        person=person,
        purchase__address="郑州高新区梧桐街 8 号 2 单元 301",
        purchase__contract_no="ZZ2023-000123",
        purchase__deed_tax=Decimal("24691.36"),
    )
    PurchaseBuyerFactory(purchase=buyer.purchase, person=other, position=2)
    scheme = household_scheme(
        publicity_days=5, cap_per_enterprise=Decimal("50000.00"), title="新建商品住房契税补贴"
    )
    staff = StaffFactory(department=scheme.policy.department)
    now = provider_now(provider)
    # Released a month ago: its publicity period is over, the subsidy waits for a buyer's confirmation.
    with time_machine.travel(now - dt.timedelta(days=30), tick=False):
        run = match_run_execute()
        awards_review_bulk(awards=list(run.awards.all()), user=staff, approve=True)
        run_release(run=run, user=staff)
    award = Award.objects.get()

    with time_machine.travel(now, tick=True):
        page.goto("/accounts/login/")
        page.click("text=自然人登录（居民）")
        _sign_in_at_the_provider(page, provider, "resident")
        page.wait_for_url("**/resident/")

        purchases = page.locator("#purchases").inner_text()
        assert "郑州高新区梧桐街 8 号 2 单元 301" in purchases
        assert "本人（主购房人）" in purchases
        assert "王*明" in purchases
        assert "王德明" not in page.content()
        assert ID_NUMBER not in page.content()
        assert "0371-12345" in page.locator("#resident-help").inner_text()
        subsidies = page.locator("#household-awards").inner_text()
        assert "新建商品住房契税补贴" in subsidies
        assert "12,345.68 元" in subsidies
        assert "公示期满待确认" in subsidies
        assert _blocking_violations(page) == []
        assert screenshot("home").exists()

        page.click("#household-awards >> text=查看并确认补贴")
        page.wait_for_url(f"**/resident/awards/{award.pk}/")
        assert "12,345.68 元" in page.locator("#summary").inner_text()
        assert "该套住房是新建商品房" in page.locator("#why").inner_text()
        assert "0371-12345" in page.locator("#contact").inner_text()
        assert _blocking_violations(page) == []
        assert screenshot("subsidy").exists()

        # The card form comes after the privacy notice, which leads back here.
        page.click("#privacy-first a")
        page.wait_for_url("**/resident/privacy/?next=*")
        page.check("input[name=agree]")
        page.click("#privacy-form button[type=submit]")
        page.wait_for_url(f"**/resident/awards/{award.pk}/")
        assert screenshot("privacy-accepted").exists()

        page.fill("input[name=bank_name]", "中国银行郑州高新区支行")
        assert page.input_value("input[name=bank_account_name]") == "李秀英"
        page.fill("input[name=bank_account]", "6216 6100 0000 1234 567")
        page.check("#confirm-form input[name=agree]")
        assert _blocking_violations(page) == []
        page.click("#confirm-form button[type=submit]")
        page.wait_for_selector(".message.success")
        assert "尾号 4567" in page.locator(".message.success").inner_text()
        assert page.locator("#summary .status").inner_text() == "已确认"
        assert "**** **** 4567" in page.locator("#bank-account").inner_text()
        assert "6216610000001234567" not in page.content()
        assert _blocking_violations(page) == []
        assert screenshot("confirmed").exists()

    assert Person.objects.get(pk=person.pk).privacy_accepted_at is not None
    award.refresh_from_db()
    assert (award.status, award.bank_account_name) == (AwardStatus.CONFIRMED, "李秀英")


def _blocking_violations(page) -> list:
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    return [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations if v["impact"] in BLOCKING]


@pytest.mark.django_db(transaction=True)
def test_a_resident_logs_in_by_sms_code_and_the_resident_pages_pass_axe(page, screenshot, settings):
    settings.SMS_GATEWAY = "portal.residents.sms.LocmemGateway"
    sms.outbox.clear()
    person = PersonFactory(id_number=ID_NUMBER, name="李秀英", mobile="13812345678")
    PurchaseBuyerFactory(person=person, purchase__address="郑州高新区梧桐街 8 号 2 单元 301")

    page.goto("/accounts/login/")
    page.click("#resident-sms-login a")
    page.wait_for_url("**/resident/login/")
    assert _blocking_violations(page) == []
    page.fill("input[name=mobile]", "13812345678")
    page.click("main button[type=submit]")
    page.wait_for_url("**/resident/login/code/")
    assert _blocking_violations(page) == []
    code = re.search(r"验证码是 (\d{6})", sms.outbox[-1][1])[1]
    page.fill("input[name=code]", code)
    page.click("main button[type=submit]")
    page.wait_for_url("**/resident/login/identity/")
    page.fill("input[name=id_suffix]", "000000" if ID_NUMBER[-6:] != "000000" else "111111")
    page.click("main button[type=submit]")
    assert "身份证号后六位与购房记录不符" in page.locator(".error-summary").inner_text()
    assert _blocking_violations(page) == []
    assert screenshot("wrong-suffix").exists()
    page.fill("input[name=id_suffix]", ID_NUMBER[-6:])
    page.click("main button[type=submit]")
    page.wait_for_url("**/resident/")
    assert "郑州高新区梧桐街 8 号 2 单元 301" in page.locator("#purchases").inner_text()
    assert _blocking_violations(page) == []

    for path, name in (("/resident/privacy/", "privacy"), ("/resident/my-data/", "my-data")):
        page.goto(path)
        assert _blocking_violations(page) == [], path
        assert screenshot(name).exists()
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto("/resident/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert screenshot("phone").exists()


@pytest.mark.django_db(transaction=True)
def test_an_enterprise_not_in_the_registry_is_told_how_to_register(page, screenshot, provider):
    with time_machine.travel(provider_now(provider), tick=True):
        page.goto("/accounts/login/")
        page.click("text=法人登录（企业）")
        _sign_in_at_the_provider(page, provider, "corp-unknown")
        page.wait_for_selector("#oidc-refused")

        refusal = page.locator("#oidc-refused").inner_text()
        assert "企业尚未纳入园区企业服务" in refusal
        assert "园区政务服务中心登记" in refusal
        assert page.locator("header.site-header").is_visible()
        assert _blocking_violations(page) == []
        assert screenshot("refused").exists()
        page.click("#oidc-refused >> text=返回登录页")
        page.wait_for_url("**/accounts/login/")
