"""Reading the registry files departments send: CSV or XLSX, headers in English or Chinese.

Parsing and validation only; writing is ``services.enterprises_import`` / ``annual_reports_import``.
A file is read twice, row by row, so memory stays bounded whatever its length.
"""

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from portal.enterprises.models import CreditRating, Park, QualificationCode, validate_uscc

TRUE_WORDS = {"是", "true", "1", "yes", "y", "t"}
FALSE_WORDS = {"否", "false", "0", "no", "n", "f"}
INDUSTRY_CODE = re.compile(r"^[A-T](\d{2}){1,2}$")
CHINESE_DATE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?$")


class ImportFileError(Exception):
    """The file as a whole cannot be read (wrong format, missing columns)."""


@dataclass(frozen=True)
class Column:
    name: str
    chinese: str
    required: bool = False


ENTERPRISE_COLUMNS = (
    Column("uscc", "统一社会信用代码", required=True),
    Column("name", "企业名称", required=True),
    Column("park", "所属园区"),
    Column("industry_code", "行业代码"),
    Column("registered_on", "成立日期"),
    Column("registered_capital", "注册资本(万元)"),
    Column("is_above_scale", "规上企业"),
    Column("credit_rating", "纳税信用等级"),
    Column("blacklisted", "失信"),
    Column("blacklisted_on", "列入失信日期"),
    Column("qualifications", "资质"),
)

ANNUAL_REPORT_COLUMNS = (
    Column("uscc", "统一社会信用代码", required=True),
    Column("year", "年度", required=True),
    Column("revenue", "营业收入(万元)"),
    Column("rd_expense", "研发费用(万元)"),
    Column("employees", "从业人数"),
    Column("tax_paid", "纳税总额(万元)"),
)


@dataclass
class RowError:
    row: int
    message: str

    def __str__(self) -> str:
        return f"第 {self.row} 行：{self.message}"


@dataclass
class ImportReport:
    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)
    changed_ids: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.errors:
            return f"导入被拒绝：{len(self.errors)} 行有错误，未做任何修改。"
        verb = "校验通过（未写入）" if self.dry_run else "导入完成"
        return f"{verb}：共 {self.rows} 行，新增 {self.created}，更新 {self.updated}，未变 {self.unchanged}。"


def _normalise_header(text) -> str:
    text = str(text or "").strip().lower()
    return re.sub(r"[\s（）()]", lambda m: {"（": "(", "）": ")"}.get(m.group(), m.group()).strip(), text)


def _header_map(headers: list, columns: tuple[Column, ...]) -> dict[int, str]:
    lookup = {}
    for column in columns:
        lookup[_normalise_header(column.name)] = column.name
        lookup[_normalise_header(column.chinese)] = column.name
        # "注册资本(万元)" may arrive as "注册资本".
        lookup[_normalise_header(re.sub(r"\(.*\)", "", column.chinese))] = column.name
    mapping, unknown = {}, []
    for index, header in enumerate(headers):
        key = _normalise_header(header)
        if not key:
            continue
        if key in lookup:
            mapping[index] = lookup[key]
        else:
            unknown.append(str(header))
    if unknown:
        raise ImportFileError(f"无法识别的列：{'、'.join(unknown)}")
    missing = [f"{c.name}/{c.chinese}" for c in columns if c.required and c.name not in mapping.values()]
    if missing:
        raise ImportFileError(f"缺少必填列：{'、'.join(missing)}")
    return mapping


def read_rows(data: bytes, filename: str, columns: tuple[Column, ...]) -> Iterator[tuple[int, dict]]:
    """Yield (row number as a spreadsheet shows it, {column: raw value}) for each non-empty row."""
    suffix = PurePath(filename).suffix.lower()
    if suffix == ".xlsx":
        yield from _read_xlsx(data, columns)
    elif suffix == ".csv":
        yield from _read_csv(data, columns)
    else:
        raise ImportFileError("只支持 CSV 或 XLSX 文件。")


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError("文件编码无法识别，请保存为 UTF-8 或 GB18030 编码的 CSV。")


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
        yield number, {name: (values[i] if i < len(values) else "") for i, name in mapping.items()}


def _read_xlsx(data: bytes, columns):
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, KeyError, OSError, ValueError) as exc:
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
            yield number, {name: (values[i] if i < len(values) else None) for i, name in mapping.items()}
    finally:
        workbook.close()


# Field parsers: each returns the clean value or raises ValueError with a Chinese message.


def text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def parse_uscc(value) -> str:
    code = text(value).upper()
    if not code:
        raise ValueError("统一社会信用代码为空")
    try:
        validate_uscc(code)
    except ValidationError as exc:
        raise ValueError(exc.messages[0]) from None
    return code


@cache
def _park_words() -> dict[str, str]:
    """Every way a file names a park: code, name, "name园区", "name园" (in Chinese whatever the language)."""
    words = {}
    with translation.override(None):
        for choice in Park:
            label = str(choice.label)
            for word in (choice.value, label, f"{label}园区", f"{label}园"):
                words[word] = choice.value
    return words


def parse_park(value) -> str:
    raw = text(value)
    if not raw:
        return Park.OTHER
    park = _park_words().get(raw) or _park_words().get(raw.lower())
    if park is None:
        with translation.override(None):
            names = "、".join(str(c.label) for c in Park)
        raise ValueError(f"未知园区：{raw}（可选：{names}）")
    return park


def parse_industry(value) -> str:
    raw = text(value).upper()
    if raw and not INDUSTRY_CODE.match(raw):
        raise ValueError(f"行业代码格式错误：{raw}（应为门类字母加 2–4 位数字，如 I6510）")
    return raw


def parse_date(value, label: str, *, required: bool = False) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raw = text(value)
    if not raw:
        if required:
            raise ValueError(f"{label}为空")
        return None
    match = CHINESE_DATE.match(raw)
    try:
        if match:
            day = dt.date(int(match[1]), int(match[2]), int(match[3]))
        else:
            day = dt.date.fromisoformat(raw.replace("/", "-").replace(".", "-"))
    except ValueError:
        raise ValueError(f"{label}格式错误：{raw}（应为 YYYY-MM-DD）") from None
    if day > timezone.localdate():
        raise ValueError(f"{label}晚于今天：{raw}")
    return day


def parse_money(value, label: str) -> Decimal | None:
    raw = text(value).replace(",", "")
    if not raw:
        return None
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"{label}不是数字：{raw}") from None
    if not amount.is_finite():
        raise ValueError(f"{label}不是数字：{raw}")
    if amount < 0:
        raise ValueError(f"{label}不能为负数：{raw}")
    if amount >= Decimal("1e12"):
        raise ValueError(f"{label}超出范围：{raw}")
    return amount.quantize(Decimal("0.01"))


def parse_count(value, label: str) -> int | None:
    raw = text(value).replace(",", "")
    if not raw:
        return None
    if not raw.isdigit():
        raise ValueError(f"{label}应为非负整数：{raw}")
    return int(raw)


def parse_bool(value, label: str) -> bool | None:
    if isinstance(value, bool):
        return value
    raw = text(value).lower()
    if not raw:
        return None
    if raw in TRUE_WORDS:
        return True
    if raw in FALSE_WORDS:
        return False
    raise ValueError(f"{label}应为 是/否、true/false 或 1/0：{raw}")


def parse_rating(value) -> str:
    raw = text(value).upper()
    if raw and raw not in CreditRating.values:
        raise ValueError(f"纳税信用等级应为 A、B、M、C、D 之一：{raw}")
    return raw


@cache
def _qualification_words() -> dict[str, str]:
    with translation.override(None):
        words = {str(c.label): c.value for c in QualificationCode}
    words.update({c.value: c.value for c in QualificationCode})
    return words


def parse_qualifications(value) -> list[tuple[str, int]]:
    raw = text(value)
    if not raw:
        return []
    labels = _qualification_words()
    result = []
    for part in re.split(r"[;；]", raw):
        part = part.strip()
        if not part:
            continue
        code, sep, year = part.replace("：", ":").partition(":")
        code = labels.get(code.strip(), code.strip())
        if code not in QualificationCode.values:
            raise ValueError(f"未知资质：{part}")
        if not sep or not year.strip().isdigit():
            raise ValueError(f"资质应写作 代码:年度（如 high_tech:2023）：{part}")
        year_value = int(year)
        if not 1980 <= year_value <= timezone.localdate().year:
            raise ValueError(f"资质年度不合理：{part}")
        result.append((code, year_value))
    return result


def parse_year(value) -> int:
    raw = text(value)
    if not raw.isdigit():
        raise ValueError(f"年度应为四位数字：{raw or '空'}")
    year = int(raw)
    if not 1980 <= year <= timezone.localdate().year:
        raise ValueError(f"年度不合理：{raw}")
    return year


def clean_enterprise_row(raw: dict) -> dict:
    """One row of the enterprise file as model values; raises ValueError listing every problem."""
    return _clean(
        raw,
        {
            "uscc": parse_uscc,
            "name": lambda v: text(v) or _fail("企业名称为空"),
            "park": parse_park,
            "industry_code": parse_industry,
            "registered_on": lambda v: parse_date(v, "成立日期"),
            "registered_capital": lambda v: parse_money(v, "注册资本"),
            "is_above_scale": lambda v: parse_bool(v, "规上企业"),
            "credit_rating": parse_rating,
            "blacklisted": lambda v: bool(parse_bool(v, "失信")),
            "blacklisted_on": lambda v: parse_date(v, "列入失信日期"),
            "qualifications": parse_qualifications,
        },
    )


def clean_annual_report_row(raw: dict) -> dict:
    """One row of the annual-report file as model values; raises ValueError listing every problem."""
    return _clean(
        raw,
        {
            "uscc": parse_uscc,
            "year": parse_year,
            "revenue": lambda v: parse_money(v, "营业收入"),
            "rd_expense": lambda v: parse_money(v, "研发费用"),
            "employees": lambda v: parse_count(v, "从业人数"),
            "tax_paid": lambda v: parse_money(v, "纳税总额"),
        },
    )


def _fail(message: str):
    raise ValueError(message)


def _clean(raw: dict, parsers: dict) -> dict:
    clean, problems = {}, []
    for name, parse in parsers.items():
        if name not in raw:
            continue
        try:
            clean[name] = parse(raw[name])
        except ValueError as exc:
            problems.append(str(exc))
    if problems:
        raise ValueError("；".join(problems))
    return clean
