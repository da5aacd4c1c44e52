import datetime as dt
import io

import pytest

from portal.accounts import demo as accounts_demo
from portal.enterprises.models import make_uscc
from projects import demo, selectors, stats
from projects.models import Acceptance, Dispatch, Project, Stage
from tests.factories import EnterpriseFactory

H1 = {"start": dt.date(2023, 1, 1), "end": dt.date(2023, 6, 30)}


@pytest.fixture(scope="module")
def demo_db(django_db_setup, django_db_blocker):
    """The accounts demo, a small registry with the three named enterprises, then the projects demo, once."""
    with django_db_blocker.unblock():
        from django.db import transaction

        with transaction.atomic():
            accounts_demo.load(io.StringIO())
            for serial in (1, 2, 3):
                EnterpriseFactory(uscc=make_uscc(serial))
            EnterpriseFactory.create_batch(60)
            out = io.StringIO()
            demo.load(out)
            yield out.getvalue()
            transaction.set_rollback(True)


@pytest.fixture
def loaded(demo_db, db):
    return demo_db


def test_the_demo_half_year_gives_131_filings_averaging_at_most_one_working_day(loaded):
    figures = stats.figures(**H1)

    assert figures["filings"] == 131
    assert figures["filing_avg_working_days"] <= 1.0
    assert selectors.filing_metrics(**H1).average_workdays == pytest.approx(103 / 131)


def test_the_demo_half_year_gives_4_online_and_23_offline_joint_acceptances(loaded):
    figures = stats.figures(**H1)

    assert (figures["acceptances_online"], figures["acceptances_offline"]) == (4, 23)
    assert not Acceptance.objects.exclude(held_on__range=(H1["start"], H1["end"])).exists()


def test_the_demo_has_projects_on_custom_industrial_land_with_four_permits_the_same_day(loaded):
    projects = selectors.four_permits_same_day_projects(**H1)

    assert projects.count() == demo.SAME_DAY_PROJECTS
    assert all(p.is_custom_industrial_land for p in projects)


def test_the_demo_named_enterprise_follows_projects_in_several_stages(loaded):
    stages = set(Project.objects.filter(enterprise__uscc=make_uscc(1)).values_list("stage", flat=True))

    assert {Stage.LAND, Stage.CONSTRUCTION, Stage.OPERATING} <= stages


def test_the_demo_builds_the_weekly_dispatch_of_each_monday(loaded):
    weeks = set(Dispatch.objects.values_list("week_start", flat=True))

    assert weeks == set(demo.DISPATCH_WEEKS)


def test_loading_the_demo_again_changes_nothing(loaded):
    before = (Project.objects.count(), Dispatch.objects.count(), Acceptance.objects.count())

    out = io.StringIO()
    demo.load(out)

    assert (Project.objects.count(), Dispatch.objects.count(), Acceptance.objects.count()) == before
    assert "未重复写入" in out.getvalue()
