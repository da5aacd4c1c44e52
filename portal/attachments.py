"""Uploaded files: documents (PDF, DOCX, XLSX) and, where a caller accepts them, photos (JPEG, PNG),
recognised by their content, within a size limit.

Shared by policy attachments (documents) and service-desk problems (documents and photos).
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
