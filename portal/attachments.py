"""Uploaded files: documents (PDF, DOCX, XLSX) and, where a caller accepts them, photos (JPEG, PNG),
recognised by their content, within a size limit.

Shared by policy attachments (documents) and service-desk problems (documents and photos).
"""

import mimetypes
import re
import zipfile
from pathlib import PurePath
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

ALLOWED = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "jpg": "image/jpeg",
    "png": "image/png",
}
DOCUMENTS = ("pdf", "docx", "xlsx")
PHOTOS = ("jpg", "png")
# The file extensions each kind may carry.
SUFFIXES = {"jpg": ("jpg", "jpeg")}


def sniff(head: bytes, file) -> str | None:
    """The kind of file by its bytes: "pdf", "docx", "xlsx", "jpg", "png" or None."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"PK\x03\x04"):
        try:
            file.seek(0)
            with zipfile.ZipFile(file) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError):
            return None
        finally:
            file.seek(0)
        if "[Content_Types].xml" not in names:
            return None
        if any(n.startswith("word/") for n in names):
            return "docx"
        if any(n.startswith("xl/") for n in names):
            return "xlsx"
    return None


# Parts of an Office document that run code or pull in other programs: macros (vbaProject.bin, Excel 4
# macro sheets), ActiveX controls, embedded OLE objects, and a content type declaring macros.
_OFFICE_ACTIVE_PARTS = re.compile(
    r"(^|/)(vbaProject\.bin|vbaData\.xml)$|(^|/)(activeX|embeddings|macrosheets)/|(^|/)attachedToolbars\.bin$",
    re.IGNORECASE,
)
# PDF names for actions that run script, start programs, or carry other files. A name may spell a
# character as #xx, which is decoded before looking.
_PDF_ACTIVE_NAMES = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFile|RichMedia|XFA|SubmitForm|ImportData)\b")
_PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


def active_content(kind: str, file) -> bool:
    """Whether a PDF / DOCX / XLSX carries macros, scripts, ActiveX, embedded objects or launch actions."""
    file.seek(0)
    try:
        if kind == "pdf":
            data = _PDF_NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), file.read())
            return _PDF_ACTIVE_NAMES.search(data) is not None
        if kind not in ("docx", "xlsx"):
            return False  # photos carry no code the portal would ever run
        with zipfile.ZipFile(file) as archive:
            if any(_OFFICE_ACTIVE_PARTS.search(name) for name in archive.namelist()):
                return True
            types = archive.read("[Content_Types].xml").decode("utf-8", "replace").lower()
            return "macroenabled" in types or "vbaproject" in types
    finally:
        file.seek(0)


def _kind_names(kinds) -> str:
    return "、".join("JPEG" if kind == "jpg" else kind.upper() for kind in kinds)


def validate_attachment(file, *, kinds: tuple[str, ...] = DOCUMENTS) -> str:
    """Refuse anything not of ``kinds`` by content (documents by default), or too large; return its kind."""
    limit = settings.ATTACHMENT_MAX_BYTES
    if file.size is not None and file.size > limit:
        raise ValidationError(
            _("附件过大：%(size).1f MB，上限 %(limit).0f MB。")
            % {"size": file.size / 1048576, "limit": limit / 1048576},
            code="too_large",
        )
    file.seek(0)
    head = file.read(8)
    file.seek(0)
    kind = sniff(head, file)
    suffix = PurePath(file.name or "").suffix.lower().lstrip(".")
    if kind not in kinds:
        raise ValidationError(
            _("只接受 %(kinds)s 格式的附件（按文件内容识别）。") % {"kinds": _kind_names(kinds)},
            code="bad_type",
        )
    if suffix not in SUFFIXES.get(kind, (kind,)):
        raise ValidationError(
            _("文件扩展名 .%(suffix)s 与内容（%(kind)s）不符。")
            % {"suffix": suffix, "kind": _kind_names([kind])},
            code="bad_suffix",
        )
    if active_content(kind, file):
        raise ValidationError(
            _(
                "附件含有宏、脚本或嵌入对象等可执行内容，不予接收。"
                "请另存为不含宏的文件（或打印为 PDF）后重新上传。"
            ),
            code="active_content",
        )
    return kind


def attachment_response(fieldfile, download_name: str) -> FileResponse:
    """Serve a stored attachment as a download with a safe Content-Disposition and type."""
    name = get_valid_filename(download_name) or "attachment"
    suffix = PurePath(fieldfile.name).suffix.lower().lstrip(".")
    content_type = (
        ALLOWED.get("jpg" if suffix == "jpeg" else suffix)
        or mimetypes.guess_type(fieldfile.name)[0]
        or "application/octet-stream"
    )
    response = FileResponse(fieldfile.open("rb"), content_type=content_type)
    ascii_name = name.encode("ascii", "ignore").decode() or f"attachment.{suffix}"
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(download_name)}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
