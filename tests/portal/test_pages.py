import pytest
from django.core.management import call_command

from portal.accounts.models import Department, User
from portal.enterprises.models import AnnualReport, Enterprise, Qualification
from portal.residents.models import HousePurchase

pytestmark = pytest.mark.django_db


def test_the_home_page_renders_with_the_zone_name_and_site_footer(client, settings):
    settings.ICP_RECORD = "豫ICP备00000000号"

    page = client.get("/").content.decode()

    assert "郑州高新技术产业开发区" in page
    assert "豫ICP备00000000号" in page
    assert 'name="language"' in page


def test_the_api_schema_and_docs_are_served_locally(client, staff):
    client.force_login(staff)
    schema = client.get("/api/schema/")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    assert b"openapi" in schema.content
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()


def test_load_demo_twice_gives_the_same_counts(capsys, settings):
    settings.DEBUG = True
    call_command("load_demo")
    first = (
        Enterprise.objects.count(),
        AnnualReport.objects.count(),
        Qualification.objects.count(),
        User.objects.count(),
        Department.objects.count(),
        HousePurchase.objects.count(),
    )
    out = capsys.readouterr().out
    call_command("load_demo")
    second = (
        Enterprise.objects.count(),
        AnnualReport.objects.count(),
        Qualification.objects.count(),
        User.objects.count(),
        Department.objects.count(),
        HousePurchase.objects.count(),
    )

    assert first == second
    assert first[0] == 7556
    assert first[5] == 10_400
    assert "Demo#2023zone" in out
    assert "91410100000000001T" in out
