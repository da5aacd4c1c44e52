"""Factories and helpers for project tracking tests: records built through the services, as staff would."""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from projects import services
from projects.models import FOUR_PERMITS, PermitType, Project
from tests.factories import EnterpriseFactory, StaffFactory

# The seeded four permits, for tests that run after a flush (transactional tests empty the tables).
SEED_TYPES = {
    "land_use_planning": ("建设用地规划许可证", 5, 1),
    "works_planning": ("建设工程规划许可证", 5, 2),
    "property_title": ("不动产权证书", 5, 3),
    "construction": ("建筑工程施工许可证", 3, 4),
}


def at(day: str, hour: int = 9, minute: int = 0) -> dt.datetime:
    """An aware moment in Asia/Shanghai: at("2023-01-20", 10) is 10:00 local time that day."""
    return timezone.make_aware(dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, minute)))


def permit_type(code: str) -> PermitType:
    name, sla, order = SEED_TYPES[code]
    permit_type, _ = PermitType.objects.get_or_create(
        code=code, defaults={"name": name, "sla_workdays": sla, "order": order}
    )
    return permit_type


def four_types() -> list[PermitType]:
    return [permit_type(code) for code in FOUR_PERMITS]


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    code = factory.Sequence(lambda n: f"2301-410172-39-03-{n + 1:06d}")
    enterprise = factory.SubFactory(EnterpriseFactory)
    name = factory.Sequence(lambda n: f"测试项目{n}")
    site = "郑州高新区科学大道与长椿路交叉口东北角"
    total_investment = Decimal("12000.00")
    industry = "电子信息"


def filed_project(*, submitted: dt.datetime, completed: dt.datetime, **fields) -> Project:
    """A project whose filing was submitted, accepted and completed (予以备案) at the given moments."""
    project = ProjectFactory(**fields)
    reviewer = StaffFactory()
    filing = services.filing_submit(project=project, submitted_at=submitted)
    services.filing_accept(filing=filing, reviewer=reviewer, at=submitted)
    services.filing_complete(filing=filing, reviewer=reviewer, outcome="filed", at=completed)
    project.refresh_from_db()
    return project


def issued_permit(
    project: Project, code: str, *, applied: dt.datetime, issued: dt.datetime, number: str = ""
):
    """A permit applied, accepted, reviewed, approved and issued between two moments."""
    handler = StaffFactory()
    permit = services.permit_apply(project=project, permit_type=permit_type(code), applied_at=applied)
    services.permit_accept(permit=permit, user=handler, at=applied)
    services.permit_step_close(step=permit.steps.get(kind="review"), user=handler, at=issued)
    services.permit_step_close(step=permit.steps.get(kind="approval"), user=handler, at=issued)
    return services.permit_issue(
        permit=permit, user=handler, certificate_number=number or f"{code}-{project.pk}", at=issued
    )
