import datetime as dt

import pytest

from projects import services
from tests.e2e.conftest import login
from tests.factories import PASSWORD, EnterpriseUserFactory
from tests.projects.factories import at, filed_project, issued_permit


@pytest.mark.django_db(transaction=True)
def test_an_enterprise_opens_a_project_timeline(page, screenshot):
    user = EnterpriseUserFactory(enterprise__name="郑州梧桐智能科技有限公司")
    user.username = user.enterprise.uscc
    user.save()
    project = filed_project(
        submitted=at("2023-01-20", 15),
        completed=at("2023-01-28", 10),
        enterprise=user.enterprise,
        name="智能传感器产业园项目",
    )
    services.project_update(
        project=project,
        data={
            "land_transferred_on": dt.date(2023, 3, 1),
            "is_custom_industrial_land": True,
            "parcel_number": "GX2023-004",
        },
    )
    for code in ("land_use_planning", "works_planning", "property_title", "construction"):
        issued_permit(project, code, applied=at("2023-03-01", 9), issued=at("2023-03-01", 15))

    login(page, user.username, PASSWORD)
    page.wait_for_url("**/me/")
    page.click("#projects a:has-text('查看全部')")
    page.wait_for_url("**/me/projects/")
    assert page.locator("h1").inner_text() == "我的项目"
    page.click("text=查看办理时间线")
    page.wait_for_url(f"**/me/projects/{project.pk}/")

    assert page.locator("h1").inner_text() == "智能传感器产业园项目"
    assert page.locator(".stages li[aria-current=step]").inner_text().endswith("施工建设")
    timeline = page.locator("#timeline")
    filed = timeline.locator("li", has_text="备案办结：予以备案")
    assert "用时 1 个工作日" in filed.inner_text()
    assert "时限 1 个工作日" in filed.inner_text()
    assert "按时" in filed.inner_text()
    issued = timeline.locator("li", has_text="建筑工程施工许可证 发证")
    assert "用时 0 个工作日" in issued.inner_text()
    assert "时限 3 个工作日" in issued.inner_text()
    assert page.locator("#permits .permit-cell").count() == 4
    assert screenshot("timeline").exists()
