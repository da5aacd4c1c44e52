import datetime as dt

import pytest

from projects import services
from projects.models import FOUR_PERMITS, Project, Stage
from projects.services import ProjectError
from tests.factories import DepartmentFactory
from tests.projects.factories import ProjectFactory, at, filed_project, issued_permit

pytestmark = pytest.mark.django_db


def stage(project) -> str:
    return Project.objects.get(pk=project.pk).stage


def test_the_stage_follows_the_records_from_filing_to_operation():
    project = ProjectFactory()
    services.project_stage_refresh(project=project)
    assert stage(project) == Stage.FILING

    project = filed_project(submitted=at("2023-03-01", 9), completed=at("2023-03-01", 15))
    assert stage(project) == Stage.LAND

    services.project_update(project=project, data={"land_transferred_on": dt.date(2023, 4, 3)})
    assert stage(project) == Stage.PERMITS

    for code in FOUR_PERMITS[:3]:
        issued_permit(project, code, applied=at("2023-04-03", 9), issued=at("2023-04-03", 15))
    assert stage(project) == Stage.PERMITS
    issued_permit(project, FOUR_PERMITS[3], applied=at("2023-04-03", 9), issued=at("2023-04-03", 15))
    assert stage(project) == Stage.CONSTRUCTION

    services.filing_report_submit(project=project, kind="start", reported_on=dt.date(2023, 4, 3))
    services.filing_report_submit(project=project, kind="completion", reported_on=dt.date(2023, 12, 1))
    assert stage(project) == Stage.ACCEPTANCE

    gtgh = DepartmentFactory(code="gtgh", name="国土规划住建局")
    services.acceptance_record(
        project=project,
        mode="offline",
        held_on=dt.date(2023, 12, 8),
        result="failed",
        departments=[gtgh],
        issues_found="消防通道宽度不足",
    )
    assert stage(project) == Stage.ACCEPTANCE

    services.acceptance_record(
        project=project, mode="online", held_on=dt.date(2023, 12, 20), result="passed", departments=[gtgh]
    )
    assert stage(project) == Stage.OPERATING


def test_the_stage_cannot_be_set_by_hand():
    project = filed_project(submitted=at("2023-03-01", 9), completed=at("2023-03-01", 15))

    with pytest.raises(ProjectError, match="不可修改的字段：stage"):
        services.project_update(project=project, data={"stage": Stage.OPERATING})

    assert stage(project) == Stage.LAND


def test_a_joint_acceptance_needs_the_completion_report():
    project = filed_project(submitted=at("2023-03-01", 9), completed=at("2023-03-01", 15))

    with pytest.raises(ProjectError, match="项目报告竣工后才能组织联合验收"):
        services.acceptance_record(
            project=project, mode="online", held_on=dt.date(2023, 6, 1), result="passed"
        )


def test_a_failed_joint_acceptance_names_the_issues_found():
    project = filed_project(submitted=at("2023-03-01", 9), completed=at("2023-03-01", 15))

    with pytest.raises(ProjectError, match="验收未通过须写明发现的问题"):
        services.acceptance_record(
            project=project, mode="offline", held_on=dt.date(2023, 6, 1), result="failed"
        )


def test_a_coordinator_must_be_staff(owner):
    project = ProjectFactory()

    with pytest.raises(ProjectError, match="分包人须为在岗的园区工作人员"):
        services.project_update(project=project, data={"coordinator": owner})
