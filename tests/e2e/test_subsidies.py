import datetime as dt

import pytest
import time_machine

from portal.enterprises.models import make_uscc
from subsidies.matching import match_run_execute
from subsidies.models import Award, AwardStatus
from subsidies.services import awards_review_bulk, run_release
from tests.e2e.conftest import login
from tests.factories import (
    PASSWORD,
    AnnualReportFactory,
    EnterpriseFactory,
    EnterpriseUserFactory,
    QualificationFactory,
    StaffFactory,
)
from tests.subsidies.award_factories import AwardSchemeFactory

HIGH_TECH = {
    "and": [
        {"in": ["high_tech", {"var": "qualifications"}]},
        {"==": [{"var": "qualification_year.high_tech"}, 2022]},
        {"==": [{"var": "credit_rating"}, "A"]},
    ]
}


@pytest.mark.django_db(transaction=True)
def test_a_demo_enterprise_opens_its_award_reads_why_and_confirms_it(page, screenshot):
    enterprise = EnterpriseFactory(uscc=make_uscc(1), name="郑州梧桐智能科技有限公司", credit_rating="A")
    AnnualReportFactory(enterprise=enterprise, year=2022)
    QualificationFactory(enterprise=enterprise, code="high_tech", year_awarded=2022)
    owner = EnterpriseUserFactory(enterprise=enterprise, username=enterprise.uscc)
    scheme = AwardSchemeFactory(
        code="high-tech-2022",
        title="高新技术企业认定奖励（2022 年认定）",
        eligibility=HIGH_TECH,
        amount_rule=100000,
        policy__title="郑州高新区高新技术企业认定奖励办法",
        policy__department__name="科技创新局",
    )
    # A clerk of the scheme's department reviews and releases it.
    staff = StaffFactory(department=scheme.policy.department)
    # Matched, reviewed and publicized in March 2023: the publicity period is over, the owner may confirm.
    with time_machine.travel(
        dt.datetime(2023, 3, 20, 9, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False
    ):
        run = match_run_execute()
        awards_review_bulk(awards=list(run.awards.all()), user=staff, approve=True)
        run_release(run=run, user=staff)
    award = Award.objects.get()
    assert (award.publicity_from, award.publicity_to) == (dt.date(2023, 3, 20), dt.date(2023, 3, 27))

    login(page, owner.username, PASSWORD)
    page.wait_for_url("**/me/")
    assert "1 项兑现待您确认" in page.locator("#awards-block").inner_text()
    page.click("text=查看全部兑现")
    page.wait_for_url("**/me/awards/")
    page.click("text=高新技术企业认定奖励（2022 年认定）")
    page.wait_for_url(f"**/me/awards/{award.pk}/")

    why = page.locator("#why").inner_text()
    assert "符合全部条件" in why
    assert "贵企业已获得高新技术企业资质" in why
    assert "高新技术企业认定年度为 2022 年" in why
    assert "纳税信用等级为 A" in why
    assert page.locator("#summary .amount").inner_text() == "100,000.00 元"
    assert screenshot("why").exists()

    page.fill("input[name=bank_name]", "中国工商银行郑州高新技术开发区支行")
    assert page.input_value("input[name=bank_account_name]") == "郑州梧桐智能科技有限公司"
    page.fill("input[name=bank_account]", "1702 0201 0900 0123 456")
    page.check("input[name=agree]")
    page.click("#confirm-form button[type=submit]")

    page.wait_for_selector(".message.success")
    assert page.locator(".message.success").inner_text() == "已确认，兑现资金将拨付至尾号 3456 的账户。"
    summary = page.locator("#summary").inner_text()
    assert "企业已确认" in summary
    assert "**** **** 3456" in summary
    assert "1702020109000123456" not in page.content()
    assert screenshot("confirmed").exists()
    award.refresh_from_db()
    assert (award.status, award.confirmed_by, award.bank_account) == (
        AwardStatus.CONFIRMED,
        owner,
        "1702020109000123456",
    )
