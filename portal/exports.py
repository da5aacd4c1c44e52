"""The one way the portal writes CSV and XLSX: every text cell formula-safe.

A spreadsheet program runs a cell that begins with ``= + - @`` (or a tab / carriage return before one) as a
formula: an enterprise name ``=HYPERLINK(...)`` or a note ``=1+1`` in an export would become live (CSV
injection, OWASP). Text that begins so gets a leading apostrophe, which spreadsheet programs show as plain
text; in XLSX the cell is also written with the string data type, so it is never stored as a formula.
Numbers and dates stay numbers and dates (a negative amount is a number, not a formula).
"""

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.http import StreamingHttpResponse

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"  # so that spreadsheet programs read the Chinese text as UTF-8
_KEPT_TYPES = (int, float, Decimal, dt.date, dt.datetime, dt.time)


def safe_text(text: str) -> str:
    """Text as a cell that cannot run: one beginning like a formula gets a leading apostrophe."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def safe_value(value):
    """A cell value: numbers and dates as they are, None as empty, anything else as safe text."""
    if value is None:
        return ""
    if isinstance(value, _KEPT_TYPES) and not isinstance(value, bool):
        return value
    return safe_text(str(value))


class SafeCsvWriter:
    """``csv.writer`` whose every cell goes through ``safe_value``."""

    def __init__(self, stream, **options):
        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable):
        return self._writer.writerow([safe_value(v) for v in row])

    def writerows(self, rows: Iterable[Iterable]) -> None:
        for row in rows:
            self.writerow(row)


class _Echo:
    """A file that hands back what is written, so each CSV line can be streamed as it is made."""

    def write(self, line: str) -> str:
        return line


def csv_lines(header: Iterable, rows: Iterable[Iterable], *, bom: bool = True) -> Iterator[str]:
    """The CSV lines, one at a time: memory stays flat however many rows."""
    writer = SafeCsvWriter(_Echo())
    if bom:
        yield BOM
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow(row)


def csv_text(header: Iterable, rows: Iterable[Iterable], *, bom: bool = True) -> str:
    return "".join(csv_lines(header, rows, bom=bom))


def csv_response(*, filename: str, header: Iterable, rows: Iterable[Iterable]) -> StreamingHttpResponse:
    """A streamed CSV download."""
    response = StreamingHttpResponse(csv_lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_append(sheet, row: Iterable) -> None:
    """Append a row to an openpyxl sheet; text cells are safe text of the string data type."""
    values = [safe_value(v) for v in row]
    sheet.append(values)
    number = sheet.max_row
    for column, value in enumerate(values, start=1):
        if isinstance(value, str):
            sheet.cell(row=number, column=column).data_type = "s"


def xlsx_bytes(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
