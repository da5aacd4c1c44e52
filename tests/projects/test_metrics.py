import datetime as dt

import pytest

from portal import stats as portal_stats
from projects import selectors, services, stats
from projects.models import FOUR_PERMITS
from tests.factories import DepartmentFactory, StaffFactory
from tests.projects.factories import ProjectFactory, at, filed_project, issued_permit

pytestmark = pytest.mark.django_db

H1 = {"start": dt.date(2023, 1, 1), "end": dt.date(2023, 6, 30)}


@pytest.fixture
def known_data():
    """A small half-year whose figures are known by hand."""
    # Filings completed in H1: 0, 1, 1 and 2 working days (the last across the Qingming holiday).
    filed_project(submitted=at("2023-02-01", 9), completed=at("2023-02-01", 16))  # 0
    filed_project(submitted=at("2023-03-10", 16), completed=at("2023-03-13", 10))  # Friday → Monday: 1
    filed_project(submitted=at("2023-01-20", 16), completed=at("2023-01-28", 10))  # make-up Saturday: 1
    filed_project(submitted=at("2023-04-04", 9), completed=at("2023-04-07", 10))  # 5 April off: 2
    # Not counted: completed before the period, returned, still open.
    filed_project(submitted=at("2022-12-30", 9), completed=at("2022-12-30", 15))
    reviewer = StaffFactory()
    returned = services.filing_submit(project=ProjectFactory(), submitted_at=at("2023-05-04", 9))
    services.filing_accept(filing=returned, reviewer=reviewer, at=at("2023-05-04", 10))
    services.filing_complete(
        filing=returned, reviewer=reviewer, outcome="returned", note="材料不全", at=at("2023-05-04", 11)
    )
    services.filing_submit(project=ProjectFactory(), submitted_at=at("2023-06-29", 9))

    # 四证齐发: all four on the land day; one permit a day late; same day but land before the period.
    for land_day, late_code in (("2023-03-01", None), ("2023-04-03", "property_title"), ("2022-12-01", None)):
        project = ProjectFactory(land_transferred_on=dt.date.fromisoformat(land_day))
        for code in FOUR_PERMITS:
            day = land_day if code != late_code else "2023-04-04"
            issued_permit(project, code, applied=at(land_day, 9), issued=at(day, 15))

    # Joint acceptances: two online and three offline in the period, one offline after it.
    gtgh = DepartmentFactory(code="gtgh")
    for mode, day in [
        ("online", "2023-01-10"),
        ("online", "2023-06-30"),
        ("offline", "2023-02-10"),
        ("offline", "2023-03-10"),
        ("offline", "2023-05-10"),
        ("offline", "2023-07-01"),
    ]:
        project = filed_project(submitted=at("2021-03-01", 9), completed=at("2021-03-01", 15))
        issued_permit(project, "construction", applied=at("2021-06-01", 9), issued=at("2021-06-01", 15))
        services.filing_report_submit(project=project, kind="start", reported_on=dt.date(2021, 6, 2))
        services.filing_report_submit(project=project, kind="completion", reported_on=dt.date(2022, 12, 30))
        services.acceptance_record(
            project=project,
            mode=mode,
            held_on=dt.date.fromisoformat(day),
            result="passed",
            departments=[gtgh],
        )


def test_filing_metrics_count_the_filings_completed_in_the_period_and_their_working_days(known_data):
    metrics = selectors.filing_metrics(**H1)

    assert metrics.count == 4
    assert metrics.average_workdays == 1.0
    assert metrics.p90_workdays == 2


def test_only_projects_with_all_four_permits_on_the_land_day_in_the_period_are_counted(known_data):
    projects = selectors.four_permits_same_day_projects(**H1)

    assert [p.land_transferred_on for p in projects] == [dt.date(2023, 3, 1)]


def test_acceptances_are_counted_by_mode_within_the_period(known_data):
    assert selectors.acceptance_counts(**H1) == {"online": 2, "offline": 3}


def test_the_stats_figures_carry_exactly_the_agreed_keys(known_data):
    assert stats.figures(**H1) == {
        "filings": 4,
        "filing_avg_working_days": 1.0,
        "four_permits_same_day_projects": 1,
        "acceptances_online": 2,
        "acceptances_offline": 3,
    }


def test_an_empty_period_gives_zeros():
    assert stats.figures(start=dt.date(2030, 1, 1), end=dt.date(2030, 3, 31)) == {
        "filings": 0,
        "filing_avg_working_days": 0.0,
        "four_permits_same_day_projects": 0,
        "acceptances_online": 0,
        "acceptances_offline": 0,
    }


def test_completing_a_filing_refreshes_the_cached_portal_figures(django_capture_on_commit_callbacks):
    before = portal_stats.figures(**H1)["filings"]

    with django_capture_on_commit_callbacks(execute=True):
        filed_project(submitted=at("2023-02-01", 9), completed=at("2023-02-01", 16))

    assert portal_stats.figures(**H1)["filings"] == before + 1
