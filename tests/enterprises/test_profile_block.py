"""The enterprise's profile (一企一档) on /me/: its record, qualifications and annual figures, kept rendered
until one of them changes."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.enterprises.services import annual_reports_import
from tests.factories import AnnualReportFactory, QualificationFactory

pytestmark = pytest.mark.django_db


def profile(client) -> str:
    html = client.get("/me/").content.decode()
    start = html.index('id="profile"')
    return html[start : html.index("</section>", start)]


def test_the_profile_shows_the_record_the_qualifications_and_the_figures(client, owner):
    AnnualReportFactory(enterprise=owner.enterprise, year=2022, revenue=Decimal("12350.50"))
    QualificationFactory(enterprise=owner.enterprise, code="high_tech", year_awarded=2022)
    client.force_login(owner)

    shown = profile(client)

    assert owner.enterprise.name in shown and owner.enterprise.uscc in shown
    assert "高新技术企业（2022" in shown
    assert "12350.50" in shown


def test_the_profile_is_kept_until_the_enterprise_or_its_facts_change(client, owner):
    report = AnnualReportFactory(enterprise=owner.enterprise, year=2022, revenue=Decimal("100.00"))
    client.force_login(owner)
    assert "100.00" in profile(client)

    with CaptureQueriesContext(connection) as queries:
        profile(client)
    read = " ".join(q["sql"] for q in queries.captured_queries)
    assert "enterprises_annualreport" not in read and "enterprises_qualification" not in read

    report.revenue = Decimal("200.00")
    report.save()
    assert "200.00" in profile(client)

    data = f"uscc,year,revenue\n{owner.enterprise.uscc},2022,300\n".encode()
    assert not annual_reports_import(data=data, filename="reports.csv").errors
    assert "300" in profile(client)

    QualificationFactory(enterprise=owner.enterprise, code="high_tech", year_awarded=2023)
    assert "高新技术企业（2023" in profile(client)

    owner.enterprise.name = "郑州新名称科技有限公司"
    owner.enterprise.save()
    assert "郑州新名称科技有限公司" in profile(client)


def test_the_profile_is_kept_apart_by_language(client, owner):
    from django.conf import settings

    client.force_login(owner)
    assert "企业名称" in profile(client)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    assert "企业名称" not in profile(client)
