"""Attachments: PDF, DOCX, XLSX only, recognised by content, within the size limit, served safely."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from policies import services
from policies.models import Attachment
from tests.policies.factories import PolicyFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def test_a_pdf_is_attached_under_a_random_stored_name_keeping_its_display_name():
    policy = PolicyFactory()

    attachment = services.policy_attachment_add(
        policy=policy, file=SimpleUploadedFile("申报表.pdf", PDF), name="申报表.pdf"
    )

    assert (attachment.kind, attachment.size, attachment.name) == ("pdf", len(PDF), "申报表.pdf")
    assert "申报表" not in attachment.file.name
    assert attachment.file.name.endswith(".pdf")


def test_a_docx_is_recognised_by_its_content():
    attachment = services.policy_attachment_add(
        policy=PolicyFactory(), file=SimpleUploadedFile("细则.docx", _docx())
    )

    assert attachment.kind == "docx"


def test_an_executable_renamed_to_pdf_is_refused():
    exe = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200

    with pytest.raises(services.PolicyError, match="只接受 PDF、DOCX、XLSX"):
        services.policy_attachment_add(policy=PolicyFactory(), file=SimpleUploadedFile("申报表.pdf", exe))
    assert Attachment.objects.count() == 0


def test_a_pdf_named_as_docx_is_refused():
    with pytest.raises(services.PolicyError, match=r"扩展名 \.docx 与内容（PDF）不符"):
        services.policy_attachment_add(policy=PolicyFactory(), file=SimpleUploadedFile("表.docx", PDF))


def test_an_oversize_attachment_is_refused(settings):
    settings.ATTACHMENT_MAX_BYTES = 1024

    with pytest.raises(services.PolicyError, match="附件过大"):
        services.policy_attachment_add(
            policy=PolicyFactory(), file=SimpleUploadedFile("大.pdf", PDF + b"0" * 2048)
        )
    assert Attachment.objects.count() == 0


def test_an_attachment_is_served_as_a_download_with_a_safe_content_disposition(client):
    policy = PolicyFactory(status="published")
    attachment = services.policy_attachment_add(
        policy=policy, file=SimpleUploadedFile("a.pdf", PDF), name='申报"表\r\n.pdf'
    )

    response = client.get(attachment.get_absolute_url())

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert "\r" not in disposition and "\n" not in disposition
    assert b"".join(response.streaming_content) == PDF


def test_a_drafts_attachments_are_not_served_to_the_public(client):
    policy = PolicyFactory()
    attachment = services.policy_attachment_add(policy=policy, file=SimpleUploadedFile("a.pdf", PDF))

    assert client.get(attachment.get_absolute_url()).status_code == 404


def test_removing_an_attachment_deletes_its_file_after_commit(django_capture_on_commit_callbacks):
    attachment = services.policy_attachment_add(policy=PolicyFactory(), file=SimpleUploadedFile("a.pdf", PDF))
    storage, name = attachment.file.storage, attachment.file.name

    with django_capture_on_commit_callbacks(execute=True):
        services.policy_attachment_remove(attachment=attachment)

    assert not storage.exists(name)
    assert Attachment.objects.count() == 0
