"""Uploaded documents: PDF, DOCX and XLSX only, recognised by their content, within a size limit.

Shared by policy attachments and service-desk problems.
"""

import mimetypes
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
}


def sniff(head: bytes, file) -> str | None:
    """The kind of document by its bytes: "pdf", "docx", "xlsx" or None."""
    if head.startswith(b"%PDF-"):
        return "pdf"
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


def validate_attachment(file) -> str:
    """Refuse anything that is not a PDF, DOCX or XLSX by content, or is too large; return its kind."""
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
    if kind is None:
        raise ValidationError(_("只接受 PDF、DOCX、XLSX 格式的附件（按文件内容识别）。"), code="bad_type")
    if suffix != kind:
        raise ValidationError(
            _("文件扩展名 .%(suffix)s 与内容（%(kind)s）不符。") % {"suffix": suffix, "kind": kind.upper()},
            code="bad_suffix",
        )
    return kind


def attachment_response(fieldfile, download_name: str) -> FileResponse:
    """Serve a stored attachment as a download with a safe Content-Disposition and type."""
    name = get_valid_filename(download_name) or "attachment"
    suffix = PurePath(fieldfile.name).suffix.lower().lstrip(".")
    content_type = (
        ALLOWED.get(suffix) or mimetypes.guess_type(fieldfile.name)[0] or "application/octet-stream"
    )
    response = FileResponse(fieldfile.open("rb"), content_type=content_type)
    ascii_name = name.encode("ascii", "ignore").decode() or f"attachment.{suffix}"
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(download_name)}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
