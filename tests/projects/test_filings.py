import datetime as dt

import pytest
from django.utils import timezone

from portal.workdays.selectors import WorkCalendar
from projects import selectors, services
from projects.models import Filing, FilingReport, Stage
from projects.services import ProjectError
from tests.factories import StaffFactory
from tests.projects.factories import ProjectFactory, at, filed_project, issued_permit

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer():
    return StaffFactory()


def test_a_filing_is_due_by_the_end_of_the_next_working_day_even_across_spring_festival():
    filing = services.filing_submit(project=ProjectFactory(), submitted_at=at("2023-01-20", 15))

    assert timezone.localtime(filing.due_at) == at("2023-01-28", 23, 59) + dt.timedelta(
        seconds=59, microseconds=999999
    )


def test_a_filing_completed_the_day_it_was_submitted_took_zero_working_days(reviewer):
    project = filed_project(submitted=at("2023-03-10", 9), completed=at("2023-03-10", 16))

    filing = project.filings.get()
    assert selectors.filing_workdays(filing, calendar=WorkCalendar.load(), now=timezone.now()) == 0
    assert project.stage == Stage.LAND


def test_a_filing_submitted_friday_and_completed_monday_took_one_working_day():
    project = filed_project(submitted=at("2023-03-10", 16), completed=at("2023-03-13", 10))

    filing = project.filings.get()
    assert selectors.filing_workdays(filing, calendar=WorkCalendar.load(), now=timezone.now()) == 1


def test_a_filing_must_be_accepted_before_it_is_completed(reviewer):
    filing = services.filing_submit(project=ProjectFactory(), submitted_at=at("2023-03-10", 9))

    with pytest.raises(ProjectError, match="只有已受理的备案可以办结"):
        services.filing_complete(filing=filing, reviewer=reviewer, outcome="filed", at=at("2023-03-10", 10))


def test_a_filing_cannot_be_accepted_before_it_was_submitted(reviewer):
    filing = services.filing_submit(project=ProjectFactory(), submitted_at=at("2023-03-10", 9))

    with pytest.raises(ProjectError, match="不能早于"):
        services.filing_accept(filing=filing, reviewer=reviewer, at=at("2023-03-09", 9))

    filing.refresh_from_db()
    assert filing.status == "submitted"


def test_a_moment_in_the_future_is_refused():
    with pytest.raises(ProjectError, match="时间不能晚于当前时间"):
        services.filing_submit(project=ProjectFactory(), submitted_at=timezone.now() + dt.timedelta(hours=1))


def test_returning_a_filing_needs_a_reason_and_allows_a_new_submission(reviewer):
    project = ProjectFactory()
    filing = services.filing_submit(project=project, submitted_at=at("2023-03-10", 9))
    services.filing_accept(filing=filing, reviewer=reviewer, at=at("2023-03-10", 10))

    with pytest.raises(ProjectError, match="退回补正须写明原因"):
        services.filing_complete(
            filing=filing, reviewer=reviewer, outcome="returned", at=at("2023-03-10", 11)
        )
    services.filing_complete(
        filing=filing, reviewer=reviewer, outcome="returned", note="建设规模填写有误", at=at("2023-03-10", 11)
    )
    again = services.filing_submit(project=project, submitted_at=at("2023-03-13", 9))

    assert Filing.objects.filter(project=project).count() == 2
    assert again.status == "submitted"
    project.refresh_from_db()
    assert project.stage == Stage.FILING


def test_a_project_with_a_live_filing_cannot_file_again():
    project = ProjectFactory()
    services.filing_submit(project=project, submitted_at=at("2023-03-10", 9))

    with pytest.raises(ProjectError, match="已有在办或已完成的备案"):
        services.filing_submit(project=project, submitted_at=at("2023-03-10", 10))


def test_reports_come_after_filing():
    with pytest.raises(ProjectError, match="项目备案完成后才能报告"):
        services.filing_report_submit(
            project=ProjectFactory(), kind="change", reported_on=dt.date(2023, 3, 1)
        )


def test_construction_start_is_reported_only_with_the_construction_permit():
    project = filed_project(submitted=at("2023-03-01"), completed=at("2023-03-01", 15))

    with pytest.raises(ProjectError, match="取得建筑工程施工许可证后才能报告开工"):
        services.filing_report_submit(project=project, kind="start", reported_on=dt.date(2023, 3, 20))

    issued_permit(project, "construction", applied=at("2023-03-20", 9), issued=at("2023-03-20", 15))
    services.filing_report_submit(project=project, kind="start", reported_on=dt.date(2023, 3, 20))
    project.refresh_from_db()
    assert project.stage == Stage.CONSTRUCTION


def test_completion_needs_a_start_and_each_is_reported_once():
    project = filed_project(submitted=at("2023-03-01"), completed=at("2023-03-01", 15))
    issued_permit(project, "construction", applied=at("2023-03-20", 9), issued=at("2023-03-20", 15))

    with pytest.raises(ProjectError, match="报告开工后才能报告竣工"):
        services.filing_report_submit(project=project, kind="completion", reported_on=dt.date(2023, 6, 1))
    services.filing_report_submit(project=project, kind="start", reported_on=dt.date(2023, 3, 21))
    with pytest.raises(ProjectError, match="已报告过开工"):
        services.filing_report_submit(project=project, kind="start", reported_on=dt.date(2023, 3, 22))
    with pytest.raises(ProjectError, match="竣工日期不能早于开工日期"):
        services.filing_report_submit(project=project, kind="completion", reported_on=dt.date(2023, 3, 20))
    services.filing_report_submit(project=project, kind="completion", reported_on=dt.date(2023, 6, 1))

    project.refresh_from_db()
    assert project.stage == Stage.ACCEPTANCE
    assert list(FilingReport.objects.values_list("kind", flat=True)) == ["start", "completion"]


def test_a_change_report_says_what_changed():
    project = filed_project(submitted=at("2023-03-01"), completed=at("2023-03-01", 15))

    with pytest.raises(ProjectError, match="请写明变更内容"):
        services.filing_report_submit(project=project, kind="change", reported_on=dt.date(2023, 4, 1))
    services.filing_report_submit(
        project=project, kind="change", reported_on=dt.date(2023, 4, 1), content="总投资调整为 1.5 亿元"
    )
    services.filing_report_submit(
        project=project, kind="change", reported_on=dt.date(2023, 4, 2), content="建设地点门牌号变更"
    )

    assert project.reports.filter(kind="change").count() == 2
