"""The economic-indicator CSV: its columns, row-by-row checks in Chinese, and writing the same layout.

Reading the file (encoding, headers in English or Chinese) is ``portal.tabular``.
"""

from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation

from portal.content.periods import parse_period
from portal.tabular import Column

# The download writes the Chinese headers, the import reads either.
COLUMNS = (
    Column("period", "期间", required=True),
    Column("name", "指标", required=True),
    Column("value", "数值"),
    Column("unit", "单位"),
    Column("yoy_growth", "同比增长(%)"),
    Column("source", "来源"),
    Column("order", "排序"),
)
HEADERS = {c.name: c.chinese for c in COLUMNS}
FORMATS = ("csv",)  # figures come from the statistics office as CSV, and the download writes CSV
MAX_LENGTHS = {"name": 64, "unit": 16, "source": 100}


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


def csv_header() -> list[str]:
    return [c.chinese for c in COLUMNS]


def csv_rows(indicators: Iterable) -> Iterator[list]:
    """Indicators in the import layout, for ``portal.exports`` (which makes every text cell safe)."""
    for i in indicators:
        yield [i.period, i.name, i.value, i.unit, i.yoy_growth, i.source, i.order]
