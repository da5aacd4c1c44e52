"""The tax bureau's deed-tax file: its columns and the parsing of each field.

One row per buyer: the purchase's facts repeat on each of its buyers' rows and must agree. Reading the file is
``portal.tabular``; writing is ``services.deed_tax_import``.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError

from portal.enterprises.imports import clean_row, fail_row, parse_bool, parse_date, parse_money, text
from portal.residents.models import normalize_id_number, normalize_mobile
from portal.tabular import Column

DEED_TAX_COLUMNS = (
    Column("contract_no", "网签合同号", required=True),
    Column("address", "房屋坐落", required=True),
    Column("floor_area", "建筑面积(平方米)", required=True),
    Column("price", "成交价格(元)", required=True),
    Column("is_new_build", "新建商品房", required=True),
    Column("contract_date", "合同签订日期", required=True),
    Column("deed_tax", "契税税额(元)"),
    Column("deed_tax_paid_on", "完税日期"),
    Column("buyer_name", "购房人姓名", required=True),
    Column("buyer_id_number", "购房人身份证号", required=True),
    Column("buyer_mobile", "购房人手机号"),
)

# The purchase's own facts: every row of one contract must carry the same values.
PURCHASE_FIELDS = (
    "address",
    "floor_area",
    "price",
    "is_new_build",
    "contract_date",
    "deed_tax",
    "deed_tax_paid_on",
)


def parse_contract_no(value) -> str:
    raw = text(value).upper()
    if not raw:
        raise ValueError("网签合同号为空")
    if len(raw) > 40:
        raise ValueError(f"网签合同号过长：{raw[:40]}…（最多 40 个字符）")
    return raw


def parse_area(value) -> Decimal:
    area = parse_money(value, "建筑面积")
    if area is None:
        raise ValueError("建筑面积为空")
    if area <= 0 or area >= Decimal("100000"):
        raise ValueError(f"建筑面积不合理：{text(value)}")
    return area


def parse_price(value) -> Decimal:
    price = parse_money(value, "成交价格")
    if price is None:
        raise ValueError("成交价格为空")
    return price


def parse_new_build(value) -> bool:
    flag = parse_bool(value, "新建商品房")
    if flag is None:
        raise ValueError("新建商品房为空（填 是/否）")
    return flag


def parse_id_number(value) -> str:
    try:
        return normalize_id_number(text(value))
    except ValidationError as exc:
        raise ValueError(exc.messages[0]) from None


def parse_mobile(value) -> str:
    raw = text(value)
    if not raw:
        return ""
    try:
        return normalize_mobile(raw)
    except ValidationError as exc:
        raise ValueError(exc.messages[0]) from None


def clean_deed_tax_row(raw: dict) -> dict:
    """One row of the deed-tax file as model values; raises ValueError listing every problem."""
    row = clean_row(
        raw,
        {
            "contract_no": parse_contract_no,
            "address": lambda v: text(v)[:200] or fail_row("房屋坐落为空"),
            "floor_area": parse_area,
            "price": parse_price,
            "is_new_build": parse_new_build,
            "contract_date": lambda v: parse_date(v, "合同签订日期", required=True),
            "deed_tax": lambda v: parse_money(v, "契税税额"),
            "deed_tax_paid_on": lambda v: parse_date(v, "完税日期"),
            "buyer_name": lambda v: text(v)[:50] or fail_row("购房人姓名为空"),
            "buyer_id_number": parse_id_number,
            "buyer_mobile": parse_mobile,
        },
    )
    row.setdefault("deed_tax", None)
    row.setdefault("deed_tax_paid_on", None)
    row.setdefault("buyer_mobile", "")
    problems = []
    if row["deed_tax_paid_on"] and row["deed_tax"] is None:
        problems.append("有完税日期但契税税额为空")
    if row["deed_tax_paid_on"] and row["deed_tax_paid_on"] < row["contract_date"]:
        problems.append("完税日期早于合同签订日期")
    if problems:
        raise ValueError("；".join(problems))
    return row
