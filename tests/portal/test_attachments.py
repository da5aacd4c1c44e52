"""Uploads refuse active content: Office macros, ActiveX, embedded objects, PDF scripts and launch actions."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from portal.attachments import validate_attachment
from tests.servicedesk.factories import docx_file, pdf_file

WORD_TYPES = '<Types><Override PartName="/word/document.xml" ContentType="{}"/></Types>'
PLAIN_WORD = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
MACRO_WORD = "application/vnd.ms-word.document.macroEnabled.main+xml"


def office(name: str, parts: dict[str, bytes | str]) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for part, content in parts.items():
            archive.writestr(part, content)
    return SimpleUploadedFile(name, buffer.getvalue())


def pdf(body: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("说明.pdf", b"%PDF-1.7\n" + body + b"\ntrailer<<>>\n%%EOF\n")


def refused(upload) -> str:
    with pytest.raises(ValidationError) as caught:
        validate_attachment(upload)
    return caught.value.code


def test_a_plain_docx_and_pdf_are_accepted():
    assert validate_attachment(docx_file()) == "docx"
    assert validate_attachment(pdf_file()) == "pdf"
    assert (
        validate_attachment(
            office(
                "a.docx",
                {"[Content_Types].xml": WORD_TYPES.format(PLAIN_WORD), "word/document.xml": "<w:document/>"},
            )
        )
        == "docx"
    )


WORD = {"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"}
EXCEL = {"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<workbook/>"}
OLE = b"\xd0\xcf\x11\xe0"


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("宏.docx", {**WORD, "word/vbaProject.bin": OLE}),
        ("宏.docx", {**WORD, "[Content_Types].xml": WORD_TYPES.format(MACRO_WORD)}),
        ("控件.docx", {**WORD, "word/activeX/activeX1.xml": "<ax/>"}),
        ("嵌入.docx", {**WORD, "word/embeddings/oleObject1.bin": OLE}),
        ("宏.xlsx", {**EXCEL, "xl/vbaProject.bin": OLE}),
        ("宏表.xlsx", {**EXCEL, "xl/macrosheets/sheet1.xml": "<xm/>"}),
    ],
)
def test_an_office_file_with_macros_activex_or_embedded_objects_is_refused(name, parts):
    assert refused(office(name, parts)) == "active_content"


@pytest.mark.parametrize(
    "body",
    [
        b"1 0 obj<</OpenAction<</S/JavaScript/JS(app.alert(1))>>>>endobj",
        b"1 0 obj<</OpenAction<</S/J#61vaScript/J#53(app.alert(1))>>>>endobj",
        b"1 0 obj<</S/Launch/F(cmd.exe)>>endobj",
        b"1 0 obj<</Type/EmbeddedFile/Length 3>>stream\nMZ\nendstream endobj",
    ],
)
def test_a_pdf_with_script_launch_or_embedded_file_is_refused(body):
    assert refused(pdf(body)) == "active_content"


@pytest.mark.django_db
def test_the_problem_api_refuses_a_docx_with_a_macro(client, owner):
    client.force_login(owner)
    macro = office("情况说明.docx", {**WORD, "word/vbaProject.bin": OLE})

    response = client.post(
        "/api/v1/problems/",
        {"category": "permits", "title": "施工许可办理", "description": "请协调。", "attachments": [macro]},
    )

    assert response.status_code == 400
    assert "宏、脚本或嵌入对象" in str(response.json())
