"""Test data for the service desk: visits, documents to attach, and problems brought to a status."""

import datetime as dt
import io
import zipfile

import factory
from django.core.files.uploadedfile import SimpleUploadedFile

from portal.servicedesk import services
from portal.servicedesk.models import Category, Channel, Problem, Status, Visit
from tests.factories import EnterpriseFactory, StaffFactory


class VisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Visit

    staff = factory.SubFactory(StaffFactory)
    enterprise = factory.SubFactory(EnterpriseFactory)
    date = dt.date(2023, 6, 5)
    participants = "王科长、企业总经理"
    notes = "了解企业生产经营情况。"


def pdf_file(name: str = "说明.pdf", size: int = 0) -> SimpleUploadedFile:
    body = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    return SimpleUploadedFile(name, body + b"0" * size, content_type="application/pdf")


def docx_file(name: str = "情况说明.docx") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return SimpleUploadedFile(name, buffer.getvalue())


def submit(desk, *, enterprise=None, user=None, category=Category.PERMITS, **kwargs) -> Problem:
    """A problem raised on the portal by an enterprise's owner."""
    enterprise = enterprise or desk.enterprise
    user = user or (desk.owner if enterprise == desk.enterprise else desk.other_owner)
    return services.problem_submit(
        enterprise=enterprise,
        user=user,
        channel=kwargs.pop("channel", Channel.PORTAL),
        category=category,
        title=kwargs.pop("title", "施工许可证办理材料咨询"),
        description=kwargs.pop("description", "新建厂房即将开工，希望明确所需材料。"),
        **kwargs,
    )


def bring_to(desk, status: str, **kwargs) -> Problem:
    """A problem moved through the services to ``status`` (routed to the land department)."""
    problem = submit(desk, **kwargs)
    if status == Status.SUBMITTED:
        return problem
    if status == Status.WITHDRAWN:
        return services.problem_withdraw(problem=problem, user=desk.owner)
    problem = services.problem_assign(problem=problem, user=desk.coordinator, department=desk.land)
    if status == Status.ASSIGNED:
        return problem
    if status == Status.TRANSFERRED:
        return services.problem_transfer(
            problem=problem, user=desk.land_staff, department=desk.finance, reason="属融资事项"
        )
    problem = services.problem_answer(problem=problem, user=desk.land_staff, answer="已按告知承诺制办理。")
    if status == Status.ANSWERED:
        return problem
    if status == Status.CLOSED:
        return services.problem_rate(problem=problem, user=desk.owner, satisfied=True)
    if status == Status.REOPENED:
        return services.problem_rate(problem=problem, user=desk.owner, satisfied=False, comment="未解决")
    raise ValueError(status)


# The smallest valid files of each photo format (a 1x1 pixel): their signatures are what counts.
PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def png_file(name: str = "现场照片.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG_BYTES, content_type="image/png")


def jpeg_file(name: str = "现场照片.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, JPEG_BYTES, content_type="image/jpeg")
