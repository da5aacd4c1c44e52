import pytest
from django.contrib.auth.models import Permission

from portal.servicedesk.models import Problem, Status
from tests.e2e.conftest import login
from tests.factories import PASSWORD, DepartmentFactory, EnterpriseUserFactory, StaffFactory

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _staff(username, display_name, department):
    user = StaffFactory(username=username, display_name=display_name, department=department)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="servicedesk"))
    department.head = user
    department.save()
    return user


@pytest.mark.django_db(transaction=True)
def test_an_enterprise_raises_a_problem_staff_answer_it_in_admin_and_the_enterprise_rates_it(
    page, screenshot, settings
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    bureau = DepartmentFactory(code="cxfz", name="创新发展局", is_coordinating=True)
    land = DepartmentFactory(code="gtgh", name="国土规划住建局")
    _staff("cxfz", "王科长", bureau)
    _staff("gtgh", "张科长", land)
    owner = EnterpriseUserFactory(enterprise__name="郑州梧桐智能科技有限公司")
    owner.username = owner.enterprise.uscc
    owner.save()

    # The enterprise raises its problem, with a document.
    login(page, owner.username, PASSWORD)
    page.wait_for_url("**/me/")
    page.click("#problems >> text=提交诉求")
    page.select_option("select[name=category]", "land")
    page.fill("input[name=title]", "二期厂房用地指标申请进度")
    page.fill("textarea[name=description]", "二期用地指标申请已提交三个月，希望了解办理进度。")
    page.set_input_files(
        "input[name=attachments]", {"name": "用地申请.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    screenshot("1-new")
    page.click("main button[type=submit]")
    page.wait_for_url("**/me/problems/*/")
    assert "诉求已提交" in page.locator(".messages").inner_text()
    assert page.locator("#problem").get_by_text("待交办").is_visible()
    assert page.locator("#timeline").get_by_role("link", name="用地申请.pdf").is_visible()
    problem = Problem.objects.get()

    # The coordinating bureau routes it to the land department.
    page.context.clear_cookies()
    login(page, "cxfz", PASSWORD)
    page.goto("/admin/servicedesk/problem/")
    page.click("text=二期厂房用地指标申请进度")
    page.click("a.move-link:has-text('交办')")
    page.select_option("select[name=department]", label="国土规划住建局")
    page.fill("textarea[name=note]", "请核实用地指标办理进度。")
    page.click("input[name=apply]")
    assert "已交办 1 件诉求" in page.locator(".messagelist").inner_text()

    # The land department answers it.
    page.context.clear_cookies()
    login(page, "gtgh", PASSWORD)
    page.goto("/admin/servicedesk/problem/")
    assert page.locator("#result_list tbody tr").count() == 1
    screenshot("2-queue")
    page.click("text=二期厂房用地指标申请进度")
    page.click("a.move-link:has-text('反馈')")
    page.fill("textarea[name=answer]", "经核实，用地指标已列入本季度计划，预计 6 月底前完成供地。")
    screenshot("3-answer")
    page.click("input[name=apply]")
    assert "已反馈 1 件诉求" in page.locator(".messagelist").inner_text()
    problem.refresh_from_db()
    assert problem.status == Status.ANSWERED

    # The enterprise reads the answer and rates it.
    page.context.clear_cookies()
    login(page, owner.username, PASSWORD)
    page.wait_for_url("**/me/")
    assert "1 件诉求已答复，等待您评价。" in page.locator("#problems").inner_text()
    page.click("#problems >> text=二期厂房用地指标申请进度")
    assert "预计 6 月底前完成供地" in page.locator("#timeline").inner_text()
    page.check("input[name=satisfied][value='1']")
    page.fill("textarea[name=comment]", "答复清楚，感谢。")
    screenshot("4-rate")
    page.click("#rate button[type=submit]")
    assert "感谢您的评价，诉求已办结。" in page.locator(".messages").inner_text()
    assert page.locator("#problem").get_by_text("已办结").is_visible()
    screenshot("5-closed")
    problem.refresh_from_db()
    assert (problem.status, problem.satisfaction) == (Status.CLOSED, "satisfied")
    assert [s.action for s in problem.steps.all()] == ["submit", "assign", "answer", "close"]
