import pytest

from tests.e2e.conftest import login
from tests.factories import PASSWORD, AnnualReportFactory, EnterpriseUserFactory, QualificationFactory


@pytest.mark.django_db(transaction=True)
def test_enterprise_logs_in_and_sees_its_dashboard(page, screenshot):
    user = EnterpriseUserFactory(enterprise__name="郑州梧桐智能科技有限公司")
    user.username = user.enterprise.uscc
    user.save()
    AnnualReportFactory(enterprise=user.enterprise, year=2022)
    QualificationFactory(enterprise=user.enterprise, code="high_tech", year_awarded=2022)

    login(page, user.username, PASSWORD)

    page.wait_for_url("**/me/")
    assert page.locator("h1").inner_text() == "我的主页"
    profile = page.locator("#profile")
    assert "郑州梧桐智能科技有限公司" in profile.inner_text()
    assert user.enterprise.uscc in profile.inner_text()
    assert "高新技术企业" in profile.inner_text()
    assert "5000.00" in profile.inner_text()
    assert screenshot("dashboard").exists()
