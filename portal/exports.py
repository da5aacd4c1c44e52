"""The one way the portal writes CSV and XLSX: every text cell formula-safe.

A spreadsheet program runs a cell that begins with ``= + - @`` (or a tab / carriage return before one) as a
formula: an enterprise name ``=HYPERLINK(...)`` or a note ``=1+1`` in an export would become live (CSV
injection, OWASP). Text that begins so gets a leading apostrophe, which spreadsheet programs show as plain
text; in XLSX the cell is also written with the string data type, so it is never stored as a formula.
Numbers and dates stay numbers and dates (a negative amount is a number, not a formula).

Downloads stream, so memory does not grow with rows: CSV lines are made as the response is sent, and an
XLSX is written by openpyxl's write-only mode (rows go to disk as they come) to a temporary file, which the
response sends and the file system forgets when it is closed.
"""

import csv
import datetime as dt
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import BinaryIO

from django.http import FileResponse, StreamingHttpResponse

# What a spreadsheet may read as the start of a formula: the ASCII signs, tab and carriage return, a line
# feed, and the full-width signs a Chinese input method types (some spreadsheet programs take them too).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
BOM = "\ufeff"  # so that spreadsheet programs read the Chinese text as UTF-8
_KEPT_TYPES = (int, float, Decimal, dt.date, dt.datetime, dt.time)
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_text(text: str) -> str:
    """Text as a cell that cannot run: one beginning like a formula gets a leading apostrophe."""
    # Spaces before the sign do not stop every program from reading a formula.
    return "'" + text if text.lstrip(" ").startswith(FORMULA_PREFIXES) else text


def safe_value(value):
    """A cell value: numbers and dates as they are, None as empty, anything else as safe text."""
    if value is None:
        return ""
    if isinstance(value, _KEPT_TYPES) and not isinstance(value, bool):
        return value
    return safe_text(str(value))


# A spreadsheet program reads a CSV cell of this many digits or more as a number: it shows an ID number or
# a bank account as 4.10105E+17 and keeps only its first 15 digits.
LONG_DIGITS = 12


def csv_value(value, *, digits_as_text: bool = False):
    """A CSV cell: ``safe_value``; with ``digits_as_text``, a long run of digits (an ID number, a bank
    account) after a tab, which makes spreadsheet programs keep it as text. It cannot start a formula: the
    cell holds nothing but digits after it. Only for a file people open in a spreadsheet program; a file
    for another system (the bank's) keeps its cells as they are.
    """
    value = safe_value(value)
    if (
        digits_as_text
        and isinstance(value, str)
        and len(value) >= LONG_DIGITS
        and value.isascii()
        and value.isdigit()
    ):
        return "\t" + value
    return value


class SafeCsvWriter:
    """``csv.writer`` whose every cell goes through ``csv_value``."""

    def __init__(self, stream, *, digits_as_text: bool = False, **options):
        self._writer = csv.writer(stream, **options)
        self._digits_as_text = digits_as_text

    def writerow(self, row: Iterable):
        return self._writer.writerow([csv_value(v, digits_as_text=self._digits_as_text) for v in row])

    def writerows(self, rows: Iterable[Iterable]) -> None:
        for row in rows:
            self.writerow(row)


class _Echo:
    """A file that hands back what is written, so each CSV line can be streamed as it is made."""

    def write(self, line: str) -> str:
        return line


def csv_lines(
    header: Iterable, rows: Iterable[Iterable], *, bom: bool = True, digits_as_text: bool = False
) -> Iterator[str]:
    """The CSV lines, one at a time: memory stays flat however many rows."""
    writer = SafeCsvWriter(_Echo(), digits_as_text=digits_as_text)
    if bom:
        yield BOM
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow(row)


def csv_text(
    header: Iterable, rows: Iterable[Iterable], *, bom: bool = True, digits_as_text: bool = False
) -> str:
    return "".join(csv_lines(header, rows, bom=bom, digits_as_text=digits_as_text))


def csv_response(*, filename: str, header: Iterable, rows: Iterable[Iterable]) -> StreamingHttpResponse:
    """A streamed CSV download."""
    response = StreamingHttpResponse(csv_lines(header, rows), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_write_only():
    """A workbook whose rows go to disk as they are appended (openpyxl's write-only mode)."""
    from openpyxl import Workbook

    return Workbook(write_only=True)


def xlsx_row(sheet, row: Iterable, *, formats: dict[int, str] | None = None, **styles) -> None:
    """Append a row to a write-only sheet: text cells are safe text of the string data type.

    ``formats`` gives number formats by column (from 0); ``styles`` (``font``, ``fill``, ``alignment``)
    apply to every cell of the row.
    """
    from openpyxl.cell import WriteOnlyCell

    cells = []
    for column, value in enumerate(row):
        value = safe_value(value)
        cell = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            cell.data_type = "s"
        if formats and column in formats:
            cell.number_format = formats[column]
        for name, style in styles.items():
            setattr(cell, name, style)
        cells.append(cell)
    sheet.append(cells)


def xlsx_file(workbook) -> BinaryIO:
    """The workbook saved to a temporary file, read from its start; the file is gone once closed."""
    file = tempfile.TemporaryFile()  # noqa: SIM115 - the response (or Download.read) closes it
    try:
        workbook.save(file)
    except BaseException:
        file.close()
        raise
    file.seek(0)
    return file


@dataclass(frozen=True)
class Download:
    """An export ready to send: CSV lines still to be made, or an XLSX in a temporary file."""

    filename: str
    content_type: str
    lines: Iterator[str] | None = None
    file: BinaryIO | None = None

    def response(self) -> StreamingHttpResponse | FileResponse:
        """The download as a response that streams (the CSV lines, or the file in blocks)."""
        if self.file is not None:
            return FileResponse(
                self.file, as_attachment=True, filename=self.filename, content_type=self.content_type
            )
        response = StreamingHttpResponse(self.lines, content_type=self.content_type)
        response["Content-Disposition"] = f'attachment; filename="{self.filename}"'
        return response

    def read(self) -> bytes:
        """The whole file at once (for a command or a check, not for a response)."""
        if self.file is not None:
            with self.file:
                return self.file.read()
        return "".join(self.lines).encode("utf-8")


def csv_download(*, filename: str, header: Iterable, rows: Iterable[Iterable]) -> Download:
    return Download(filename=filename, content_type=CSV_CONTENT_TYPE, lines=csv_lines(header, rows))


def xlsx_download(*, filename: str, workbook) -> Download:
    return Download(filename=filename, content_type=XLSX_CONTENT_TYPE, file=xlsx_file(workbook))
