"""The economic-indicator CSV: reading (with row-by-row checks in Chinese) and writing the same layout."""

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import PurePath

from portal.content.periods import parse_period

# (field, Chinese header, required); the download writes the Chinese headers, the import reads either.
COLUMNS = (
    ("period", "期间", True),
    ("name", "指标", True),
    ("value", "数值", False),
    ("unit", "单位", False),
    ("yoy_growth", "同比增长(%)", False),
    ("source", "来源", False),
    ("order", "排序", False),
)
HEADERS = {name: chinese for name, chinese, _required in COLUMNS}
MAX_LENGTHS = {"name": 64, "unit": 16, "source": 100}


class ImportFileError(Exception):
    """The file as a whole cannot be read (not CSV, wrong encoding, missing columns)."""


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.errors:
            return f"导入被拒绝：{len(self.errors)} 处错误，未做任何修改。"
        verb = "校验通过（未写入）" if self.dry_run else "导入完成"
        return f"{verb}：共 {self.rows} 行，新增 {self.created}，更新 {self.updated}，未变 {self.unchanged}。"


def _header_key(text: str) -> str:
    return re.sub(r"[\s（）()%％]", "", str(text or "")).lower()


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError("文件编码无法识别，请保存为 UTF-8 或 GB18030 编码的 CSV。")


def read_rows(data: bytes, filename: str) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (row number as a spreadsheet shows it, {field: raw text}) for each non-empty row."""
    if PurePath(filename).suffix.lower() != ".csv":
        raise ImportFileError("只支持 CSV 文件。")
    reader = csv.reader(io.StringIO(_decode(data)))
    try:
        headers = next(reader)
    except StopIteration:
        raise ImportFileError("文件为空。") from None
    lookup = {}
    for name, chinese, _required in COLUMNS:
        lookup[_header_key(name)] = name
        lookup[_header_key(chinese)] = name
    mapping, unknown = {}, []
    for index, header in enumerate(headers):
        key = _header_key(header)
        if not key:
            continue
        if key in lookup:
            mapping[index] = lookup[key]
        else:
            unknown.append(header.strip())
    if unknown:
        raise ImportFileError(f"无法识别的列：{'、'.join(unknown)}")
    missing = [chinese for name, chinese, required in COLUMNS if required and name not in mapping.values()]
    if missing:
        raise ImportFileError(f"缺少必填列：{'、'.join(missing)}")
    for number, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        yield number, {name: (values[i].strip() if i < len(values) else "") for i, name in mapping.items()}


def _decimal(raw: str, label: str) -> Decimal | None:
    text = raw.replace(",", "").replace("，", "").replace("%", "").replace("％", "").strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{label}“{raw}”不是数字") from None
    if not value.is_finite():
        raise ValueError(f"{label}“{raw}”不是数字")
    return value.quantize(Decimal("0.01"))


def clean_row(raw: dict[str, str]) -> dict:
    """One row's values, or ``ValueError`` naming what is wrong."""
    period = parse_period(raw.get("period", "")).code
    name = raw.get("name", "")
    if not name:
        raise ValueError("指标名称为空")
    row = {
        "period": period,
        "name": name,
        "value": _decimal(raw.get("value", ""), "数值"),
        "unit": raw.get("unit", ""),
        "yoy_growth": _decimal(raw.get("yoy_growth", ""), "同比增长"),
        "source": raw.get("source", ""),
    }
    for key, limit in MAX_LENGTHS.items():
        if len(row[key]) > limit:
            raise ValueError(f"{HEADERS[key]}超过 {limit} 个字")
    if row["value"] is None and row["yoy_growth"] is None:
        raise ValueError("数值和同比增长至少要填一项")
    if row["value"] is not None and abs(row["value"]) >= Decimal("1e14"):
        raise ValueError("数值过大")
    if row["yoy_growth"] is not None and abs(row["yoy_growth"]) >= Decimal("1e5"):
        raise ValueError("同比增长过大")
    order = raw.get("order", "")
    if order:
        if not order.isdigit() or int(order) > 32767:
            raise ValueError(f"排序“{order}”应为 0 至 32767 的整数")
        row["order"] = int(order)
    return row


def _cell(text: str) -> str:
    # A text cell starting like a formula would be run by a spreadsheet program; make it plain text.
    return f"'{text}" if text[:1] in ("=", "+", "@", "\t", "\r") else text


def write_csv(indicators: Iterable) -> str:
    """Indicators in the import layout, with a BOM so that spreadsheet programs read the Chinese."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([chinese for _name, chinese, _required in COLUMNS])
    for i in indicators:
        writer.writerow(
            [
                i.period,
                _cell(i.name),
                "" if i.value is None else f"{i.value}",
                _cell(i.unit),
                "" if i.yoy_growth is None else f"{i.yoy_growth}",
                _cell(i.source),
                i.order,
            ]
        )
    return out.getvalue()
