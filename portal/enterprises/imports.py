"""The registry files departments send: their columns and the parsing of each field.

Reading the file (CSV or XLSX, headers in English or Chinese) is ``portal.tabular``; writing is
``services.enterprises_import`` / ``annual_reports_import``. A file is read twice, row by row, so memory
stays bounded whatever its length.
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache

from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from portal import tabular
from portal.enterprises.models import CreditRating, Park, QualificationCode, validate_uscc
from portal.tabular import Column

TRUE_WORDS = {"是", "true", "1", "yes", "y", "t"}
FALSE_WORDS = {"否", "false", "0", "no", "n", "f"}
INDUSTRY_CODE = re.compile(r"^[A-T](\d{2}){1,2}$")
CHINESE_DATE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?$")

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
class ImportReport(tabular.ImportReport):
    """An import's outcome, with the enterprises whose facts it changed (for ``facts_changed``)."""

    changed_ids: list[int] = field(default_factory=list)


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
    return clean_row(
        raw,
        {
            "uscc": parse_uscc,
            "name": lambda v: text(v) or fail_row("企业名称为空"),
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
    return clean_row(
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


def fail_row(message: str):
    raise ValueError(message)


def clean_row(raw: dict, parsers: dict) -> dict:
    """The row's values through their parsers; every problem of the row in one Chinese message."""
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
