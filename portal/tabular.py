"""Reading the spreadsheets staff upload (CSV or XLSX, headers in English or Chinese) and reporting on them.

Generic only: each app keeps its own column spec and field parsing; this module imports nothing from the apps.
"""

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePath

FORMATS = ("csv", "xlsx")
ENCODINGS = ("utf-8-sig", "gb18030")


class ImportFileError(Exception):
    """The file as a whole cannot be read (wrong format or encoding, empty, unknown or missing columns)."""


@dataclass(frozen=True)
class Column:
    """One column of an import layout: field name (the English header), Chinese header, required or not."""

    name: str
    chinese: str
    required: bool = False


@dataclass
class RowError:
    """What is wrong with one row, numbered as a spreadsheet shows it."""

    row: int
    message: str

    def __str__(self) -> str:
        return f"第 {self.row} 行：{self.message}"


@dataclass
class ImportReport:
    """The outcome of an import: counts, or the rows that made it refuse the whole file."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.errors:
            bad_rows = len({e.row for e in self.errors})
            return f"导入被拒绝：{bad_rows} 行有错误，未做任何修改。"
        verb = "校验通过（未写入）" if self.dry_run else "导入完成"
        return f"{verb}：共 {self.rows} 行，新增 {self.created}，更新 {self.updated}，未变 {self.unchanged}。"


def read_rows(
    data: bytes, filename: str, columns: tuple[Column, ...], *, formats: tuple[str, ...] = FORMATS
) -> Iterator[tuple[int, dict]]:
    """Yield (row number as a spreadsheet shows it, {field: raw value}) for each non-empty row."""
    # Text is stripped; a CSV cell is always text (missing: ""), an XLSX cell keeps its type (missing: None).
    suffix = PurePath(filename).suffix.lower().lstrip(".")
    if suffix not in formats:
        raise ImportFileError(f"只支持 {' 或 '.join(f.upper() for f in formats)} 文件。")
    if suffix == "xlsx":
        yield from _read_xlsx(data, columns)
    else:
        yield from _read_csv(data, columns)


def _decode(data: bytes) -> str:
    # Chinese spreadsheet programs save CSV as GB18030 unless told otherwise.
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError("文件编码无法识别，请保存为 UTF-8 或 GB18030 编码的 CSV。")


def _header_key(text) -> str:
    # "同比增长（%）", "同比增长(%)" and "同比增长 %" all name the same column.
    return re.sub(r"[\s（）()%％]", "", str(text or "")).lower()


def _header_map(headers: list, columns: tuple[Column, ...]) -> dict[int, str]:
    lookup = {}
    for column in columns:
        lookup[_header_key(column.name)] = column.name
        lookup[_header_key(column.chinese)] = column.name
        # "注册资本(万元)" may arrive as "注册资本".
        lookup[_header_key(re.sub(r"[(（].*[)）]", "", column.chinese))] = column.name
    mapping, unknown = {}, []
    for index, header in enumerate(headers):
        key = _header_key(header)
        if not key:
            continue
        if key in lookup:
            mapping[index] = lookup[key]
        else:
            unknown.append(str(header).strip())
    if unknown:
        raise ImportFileError(f"无法识别的列：{'、'.join(unknown)}")
    missing = [f"{c.name}/{c.chinese}" for c in columns if c.required and c.name not in mapping.values()]
    if missing:
        raise ImportFileError(f"缺少必填列：{'、'.join(missing)}")
    return mapping


def _fields(values, mapping: dict[int, str], missing) -> dict:
    return {
        name: (values[i].strip() if isinstance(values[i], str) else values[i]) if i < len(values) else missing
        for i, name in mapping.items()
    }


def _read_csv(data: bytes, columns):
    reader = csv.reader(io.StringIO(_decode(data)))
    try:
        headers = next(reader)
    except StopIteration:
        raise ImportFileError("文件为空。") from None
    mapping = _header_map(headers, columns)
    for number, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        yield number, _fields(values, mapping, "")


def _read_xlsx(data: bytes, columns):
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFileError("XLSX 文件无法打开，请确认文件未损坏。") from exc
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        try:
            headers = list(next(rows))
        except StopIteration:
            raise ImportFileError("文件为空。") from None
        mapping = _header_map(headers, columns)
        for number, values in enumerate(rows, start=2):
            if not any(v not in (None, "") for v in values):
                continue
            yield number, _fields(values, mapping, None)
    finally:
        workbook.close()
