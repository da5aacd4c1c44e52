"""Files on problems: the same checks as policy attachments, served only to who may see the problem."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portal.servicedesk import services
from portal.servicedesk.models import ProblemAttachment, Status
from tests.factories import StaffFactory
from tests.servicedesk.factories import bring_to, docx_file, jpeg_file, pdf_file, png_file, submit

pytestmark = pytest.mark.django_db


def test_documents_are_kept_with_their_kind_name_and_step(desk, monday):
    problem = submit(desk, attachments=[pdf_file("用地说明.pdf"), docx_file("情况说明.docx")])

    rows = list(problem.attachments.values_list("name", "kind", "step__action", "uploaded_by"))
    assert rows == [
        ("用地说明.pdf", "pdf", "submit", desk.owner.pk),
        ("情况说明.docx", "docx", "submit", desk.owner.pk),
    ]
    stored = problem.attachments.first().file.name
    assert stored.startswith("servicedesk/2023/06/") and stored.endswith(".pdf")
    assert "用地" not in stored


def test_photos_are_kept_as_jpeg_or_png_by_their_content(desk, monday):
    problem = submit(
        desk, attachments=[jpeg_file("围墙.jpeg"), jpeg_file("路口.JPG"), png_file("告知书.png")]
    )

    assert list(problem.attachments.values_list("name", "kind")) == [
        ("围墙.jpeg", "jpg"),
        ("路口.JPG", "jpg"),
        ("告知书.png", "png"),
    ]


def test_a_photo_is_served_as_an_image_download(client, desk, monday):
    problem = submit(desk, attachments=[png_file("告知书.png")])
    client.force_login(desk.owner)

    response = client.get(reverse("servicedesk:attachment", args=[problem.attachments.get().pk]))

    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_an_answer_may_carry_documents_too(desk, monday):
    problem = bring_to(desk, Status.ASSIGNED)

    problem = services.problem_answer(
        problem=problem, user=desk.land_staff, answer="见附件。", attachments=[pdf_file("答复函.pdf")]
    )

    assert list(problem.attachments.values_list("name", "step__action")) == [("答复函.pdf", "answer")]


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("伪装.pdf", b"just text, not a PDF"), "只接受 PDF、DOCX、XLSX、JPEG、PNG"),
        (SimpleUploadedFile("脚本.exe", b"MZ\x90\x00binary"), "只接受 PDF、DOCX、XLSX、JPEG、PNG"),
        (pdf_file("说明.docx"), "扩展名 .docx 与内容（PDF）不符"),
        (SimpleUploadedFile("照片.jpg", b"GIF89a\x01\x00\x01\x00"), "只接受 PDF、DOCX、XLSX、JPEG、PNG"),
        (png_file("现场照片.jpg"), "扩展名 .jpg 与内容（PNG）不符"),
        (jpeg_file("现场照片.pdf"), "扩展名 .pdf 与内容（JPEG）不符"),
    ],
)
def test_a_file_that_is_not_what_it_says_is_refused_and_nothing_is_saved(desk, monday, upload, message):
    with pytest.raises(services.ProblemError, match=message):
        submit(desk, attachments=[upload])

    assert not ProblemAttachment.objects.exists()
    assert not desk.enterprise.problems.exists()


def test_a_file_over_the_size_limit_is_refused(desk, monday, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024

    with pytest.raises(services.ProblemError, match="附件过大"):
        submit(desk, attachments=[pdf_file(size=2048)])


def test_at_most_five_files_go_with_one_submission(desk, monday):
    with pytest.raises(services.ProblemError, match="附件最多 5 个"):
        submit(desk, attachments=[pdf_file(f"{n}.pdf") for n in range(6)])


@pytest.fixture
def attached(desk, monday):
    problem = bring_to(desk, Status.ASSIGNED, attachments=[pdf_file("用地说明.pdf")])
    return problem.attachments.get()


@pytest.mark.parametrize("who", ["owner", "agent", "land_staff", "coordinator"])
def test_the_enterprise_and_the_staff_handling_it_download_the_file(client, desk, attached, who):
    client.force_login(getattr(desk, who))

    response = client.get(reverse("servicedesk:attachment", args=[attached.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "filename*=UTF-8''%E7%94%A8%E5%9C%B0%E8%AF%B4%E6%98%8E.pdf" in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


@pytest.mark.parametrize("who", ["other_owner", "finance_staff"])
def test_others_do_not_get_the_file(client, desk, attached, who):
    client.force_login(getattr(desk, who))

    assert client.get(reverse("servicedesk:attachment", args=[attached.pk])).status_code == 404


def test_staff_of_no_department_do_not_get_the_file(client, desk, attached):
    client.force_login(StaffFactory(department=None))

    assert client.get(reverse("servicedesk:attachment", args=[attached.pk])).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, attached):
    response = client.get(reverse("servicedesk:attachment", args=[attached.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
