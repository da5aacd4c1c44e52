"""Admin changelists of the large tables: no COUNT(*) over a whole table on PostgreSQL."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal import paginators
from portal.enterprises.models import Enterprise
from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db


def _counts(queries) -> list[str]:
    return [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]


def test_a_small_table_is_counted_exactly():
    EnterpriseFactory.create_batch(3)

    paginator = paginators.EstimatedCountPaginator(Enterprise.objects.order_by("pk"), 100)

    assert paginator.count == 3


@pytest.mark.postgres
def test_a_large_unfiltered_table_is_counted_from_the_planners_estimate(monkeypatch):
    monkeypatch.setattr(paginators, "ESTIMATE_FROM", 3)
    EnterpriseFactory.create_batch(4)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE enterprises_enterprise")

    with CaptureQueriesContext(connection) as queries:
        count = paginators.EstimatedCountPaginator(Enterprise.objects.order_by("pk"), 100).count

    assert count == 4
    assert _counts(queries.captured_queries) == []


@pytest.mark.postgres
def test_a_filtered_list_is_counted_exactly(monkeypatch):
    monkeypatch.setattr(paginators, "ESTIMATE_FROM", 3)
    EnterpriseFactory.create_batch(4)
    EnterpriseFactory(name="郑州唯一的企业有限公司")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE enterprises_enterprise")

    queryset = Enterprise.objects.filter(name__contains="唯一").order_by("pk")
    assert paginators.EstimatedCountPaginator(queryset, 100).count == 1


@pytest.mark.postgres
def test_the_enterprise_changelist_runs_no_count_over_the_whole_table(client, staff, monkeypatch):
    monkeypatch.setattr(paginators, "ESTIMATE_FROM", 3)
    for n in range(4):
        EnterpriseFactory(name=f"郑州列表测试{n}企业有限公司")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE enterprises_enterprise")
    client.force_login(staff)

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/admin/enterprises/enterprise/")

    assert response.status_code == 200
    assert all(f"郑州列表测试{n}企业有限公司" in response.content.decode() for n in range(4))
    assert [sql for sql in _counts(queries.captured_queries) if "enterprises_enterprise" in sql] == []


def test_a_public_list_is_counted_once_until_something_public_changes():
    from policies.models import Policy
    from tests.policies.factories import PolicyFactory

    PolicyFactory.create_batch(3, status="published")
    listing = Policy.objects.public().order_by("-published_on", "-id")
    assert paginators.PublicCountPaginator(listing, 2).count == 3

    with CaptureQueriesContext(connection) as queries:
        assert paginators.PublicCountPaginator(listing, 2).count == 3
    assert _counts(queries.captured_queries) == []

    PolicyFactory(status="published")
    assert paginators.PublicCountPaginator(listing, 2).count == 4
    assert paginators.PublicCountPaginator(listing.filter(pk=-1), 2).count == 0
    assert paginators.PublicCountPaginator(listing.none(), 2).count == 0


@pytest.mark.parametrize("number", ["0", "-3", 0])
def test_a_page_number_below_one_opens_the_first_page(number):
    page = paginators.SitePaginator(list(range(45)), 20).get_page(number)
    assert page.number == 1
    assert list(page) == list(range(20))


@pytest.mark.parametrize(("number", "expected"), [("99", 3), ("abc", 1), (None, 1), ("2", 2)])
def test_other_page_numbers_are_read_as_django_reads_them(number, expected):
    assert paginators.SitePaginator(list(range(45)), 20).get_page(number).number == expected


def test_the_notifications_list_opens_its_first_page_for_page_zero(client):
    from portal.accounts.models import Notification
    from tests.factories import EnterpriseUserFactory

    user = EnterpriseUserFactory()
    Notification.objects.bulk_create(
        Notification(recipient=user, key=f"test:{n}", title=f"通知{n}") for n in range(45)
    )
    client.force_login(user)
    response = client.get("/me/notifications/?page=0")
    assert response.status_code == 200
    assert response.context["page"].number == 1


def test_the_large_tables_row_checkbox_is_djangos_markup():
    from django.contrib import admin

    from portal.enterprises.models import Enterprise

    enterprise = EnterpriseFactory(name="郑州<梧桐>科技")
    ours = admin.site.get_model_admin(Enterprise)
    assert isinstance(ours, paginators.LargeTableAdminMixin)

    assert ours.action_checkbox(enterprise) == admin.ModelAdmin.action_checkbox(ours, enterprise)
