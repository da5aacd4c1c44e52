import pytest

from tests.factories import DepartmentFactory
from tests.policies.factories import CategoryFactory, PolicyFactory


@pytest.mark.django_db(transaction=True)
def test_a_visitor_searches_srdi_from_the_home_page_opens_the_result_and_reads_its_guide(page, screenshot):
    industry = CategoryFactory(slug="industry", name="产业发展")
    jjfz = DepartmentFactory(code="jjfz", name="经济发展局")
    PolicyFactory(
        code="srdi-award-2023",
        title="郑州高新区支持专精特新企业高质量发展的若干措施",
        doc_number="郑高管〔2023〕8号",
        department=jjfz,
        categories=[industry],
        summary="对新认定的省级专精特新中小企业奖励 20 万元，国家级专精特新“小巨人”企业奖励 50 万元。",
        body="**第一条** 对上年度新认定为河南省专精特新中小企业的区内企业，一次性奖励 20 万元。",
        guide_beneficiaries="上年度新认定的省级专精特新中小企业、国家级专精特新“小巨人”企业",
        guide_conditions="在高新区注册、纳税、统计；认定资格在有效期内",
        guide_how="automatic",
        guide_deadline="公示 5 个工作日无异议、企业确认后 30 个工作日内拨付",
        guide_office="郑州高新区政务服务中心 经济发展局 5 号窗口",
        guide_phone="0371-67980002",
        status="published",
    )
    PolicyFactory(title="郑州高新区人才引进生活补贴实施细则", categories=[industry], status="published")

    page.goto("/")
    screenshot("home")
    page.fill("#home-policy-q", "专精特新")
    page.click("#policy-search button[type=submit]")

    page.wait_for_url("**/policies/?q=*")
    results = page.locator(".policy-item")
    assert results.count() == 1
    assert results.first.locator("mark").first.inner_text() == "专精特新"
    screenshot("results")
    results.first.locator(".list-title a").click()

    page.wait_for_url("**/policies/srdi-award-2023/")
    assert page.locator("h1").inner_text() == "郑州高新区支持专精特新企业高质量发展的若干措施"
    guide = page.locator("#guide")
    assert "申兑指南" in guide.inner_text()
    assert "免申即享" in guide.inner_text()
    assert "0371-67980002" in guide.inner_text()
    assert screenshot("detail").exists()
