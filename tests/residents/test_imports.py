import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from portal.residents import services
from portal.residents.imports import DEED_TAX_COLUMNS
from portal.residents.models import HousePurchase, Person, PurchaseBuyer, make_id_number
from portal.tabular import ImportFileError

pytestmark = pytest.mark.django_db

HEADERS_EN = [c.name for c in DEED_TAX_COLUMNS]
HEADERS_ZH = [c.chinese for c in DEED_TAX_COLUMNS]
ID_A = make_id_number("410105", dt.date(1988, 4, 12), 31)
ID_B = make_id_number("410102", dt.date(1990, 7, 3), 42)
ID_C = make_id_number("410105", dt.date(1979, 11, 30), 7)


def row(**changes) -> list:
    values = {
        "contract_no": "ZZ2023000001",
        "address": "郑州高新区梧桐街 88 号 3 号楼 1 单元 1201",
        "floor_area": "98.50",
        "price": "1,200,000",
        "is_new_build": "是",
        "contract_date": "2023-03-15",
        "deed_tax": "12000",
        "deed_tax_paid_on": "2023年3月20日",
        "buyer_name": "张三明",
        "buyer_id_number": ID_A,
        "buyer_mobile": "13812345678",
    }
    values.update(changes)
    return [values[h] for h in HEADERS_EN]


def as_csv(headers, rows, encoding="utf-8-sig") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def as_xlsx(headers, rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for values in rows:
        sheet.append(values)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


FILE_ROWS = [
    row(),
    row(contract_no="ZZ2023000002", buyer_name="李四", buyer_id_number=ID_B, buyer_mobile="13900000002"),
    row(buyer_name="王五芳", buyer_id_number=ID_C, buyer_mobile=""),
]


def test_a_csv_with_english_headers_creates_purchases_and_their_households():
    report = services.deed_tax_import(data=as_csv(HEADERS_EN, FILE_ROWS), filename="deed.csv")

    assert report.ok
    assert (report.rows, report.created, report.updated, report.unchanged) == (3, 2, 0, 0)
    purchase = HousePurchase.objects.get(contract_no="ZZ2023000001")
    assert purchase.price == Decimal("1200000.00")
    assert purchase.deed_tax_paid_on == dt.date(2023, 3, 20)
    assert purchase.is_new_build is True
    household = [(link.position, link.person.name) for link in purchase.buyer_links.select_related("person")]
    assert household == [(1, "张三明"), (2, "王五芳")]
    assert Person.objects.with_id_number(ID_B).get().mobile == "13900000002"


def test_an_xlsx_with_chinese_headers_imports_the_same_way():
    report = services.deed_tax_import(data=as_xlsx(HEADERS_ZH, FILE_ROWS), filename="契税.xlsx")

    assert report.ok
    assert (report.created, Person.objects.count(), PurchaseBuyer.objects.count()) == (2, 3, 3)


def test_a_gb18030_csv_is_read():
    data = as_csv(HEADERS_ZH, FILE_ROWS, encoding="gb18030")
    assert services.deed_tax_import(data=data, filename="deed.csv").created == 2


def test_one_bad_row_refuses_the_whole_file_with_every_error_in_chinese():
    bad_id = ID_B[:-1] + ("0" if ID_B[-1] != "0" else "1")
    rows = [
        row(),
        row(contract_no="ZZ2023000002", buyer_id_number=bad_id, buyer_name="李四"),
        row(buyer_name="王五芳", buyer_id_number=ID_C, price="1300000"),
        row(),
        row(contract_no="ZZ2023000003", floor_area="-3", contract_date="2023-13-01", buyer_mobile="12345"),
    ]
    report = services.deed_tax_import(data=as_csv(HEADERS_EN, rows), filename="deed.csv")

    masked = f"{bad_id[:4]}**********{bad_id[-4:]}"
    assert [str(e) for e in report.errors] == [
        f"第 3 行：身份证号无效：{masked}（请核对位数、出生日期和校验位）",
        "第 4 行：与第 2 行同一合同的成交价格(元)不一致",
        "第 5 行：与第 2 行重复（同一合同同一购房人）",
        "第 6 行：建筑面积不能为负数：-3；合同签订日期格式错误：2023-13-01（应为 YYYY-MM-DD）；"
        "手机号无效：*****（应为 11 位手机号）",
    ]
    assert report.summary() == "导入被拒绝：4 行有错误，未做任何修改。"
    assert (HousePurchase.objects.count(), Person.objects.count()) == (0, 0)


def test_one_id_number_with_two_names_is_an_error():
    rows = [row(), row(contract_no="ZZ2023000002", buyer_name="张三")]
    report = services.deed_tax_import(data=as_csv(HEADERS_EN, rows), filename="deed.csv")
    assert [str(e) for e in report.errors] == ["第 3 行：同一身份证号在第 2 行的姓名不同"]


def test_a_tax_paid_date_without_an_amount_is_an_error():
    rows = [row(deed_tax="")]
    report = services.deed_tax_import(data=as_csv(HEADERS_EN, rows), filename="deed.csv")
    assert [str(e) for e in report.errors] == ["第 2 行：有完税日期但契税税额为空"]


def test_a_dry_run_checks_and_writes_nothing():
    report = services.deed_tax_import(data=as_csv(HEADERS_EN, FILE_ROWS), filename="deed.csv", dry_run=True)
    assert report.ok
    assert report.summary() == "校验通过（未写入）：共 3 行，新增 0，更新 0，未变 0。"
    assert HousePurchase.objects.count() == 0


def test_importing_again_updates_changed_purchases_and_replaces_their_buyers():
    services.deed_tax_import(data=as_csv(HEADERS_EN, FILE_ROWS), filename="deed.csv")
    rows = [
        row(price="1250000", buyer_mobile=""),
        row(contract_no="ZZ2023000002", buyer_name="李四", buyer_id_number=ID_B, buyer_mobile="13700000009"),
    ]
    report = services.deed_tax_import(data=as_csv(HEADERS_EN, rows), filename="deed.csv")

    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    purchase = HousePurchase.objects.get(contract_no="ZZ2023000001")
    assert purchase.price == Decimal("1250000.00")
    assert [link.person.name for link in purchase.buyer_links.select_related("person")] == ["张三明"]
    # A row without a mobile number keeps the one on record; a new number replaces it.
    assert Person.objects.with_id_number(ID_A).get().mobile == "13812345678"
    assert Person.objects.with_id_number(ID_B).get().mobile == "13700000009"
    assert Person.objects.with_mobile("13900000002").count() == 0


def test_a_contract_whose_rows_span_two_batches_keeps_all_its_buyers(monkeypatch):
    monkeypatch.setattr(services, "BATCH_SIZE", 2)
    rows = [
        row(),
        row(contract_no="ZZ2023000002", buyer_name="李四", buyer_id_number=ID_B),
        row(buyer_name="王五芳", buyer_id_number=ID_C),
    ]
    report = services.deed_tax_import(data=as_csv(HEADERS_EN, rows), filename="deed.csv")

    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    purchase = HousePurchase.objects.get(contract_no="ZZ2023000001")
    assert list(purchase.buyer_links.values_list("position", flat=True)) == [1, 2]


def test_an_unknown_column_refuses_the_file():
    with pytest.raises(ImportFileError, match="无法识别的列：房号"):
        services.deed_tax_import(data=as_csv([*HEADERS_EN, "房号"], FILE_ROWS), filename="deed.csv")


def test_the_command_imports_a_file_and_reports_progress(tmp_path, capsys):
    path = tmp_path / "deed.csv"
    path.write_bytes(as_csv(HEADERS_ZH, FILE_ROWS))
    out = io.StringIO()
    call_command("import_deed_tax", str(path), stdout=out)
    assert out.getvalue().strip() == "导入完成：共 3 行，购房记录新增 2，更新 0，未变 0。"
    assert "写入" in capsys.readouterr().err
    assert HousePurchase.objects.count() == 2


def test_the_command_dry_run_writes_nothing(tmp_path):
    path = tmp_path / "deed.xlsx"
    path.write_bytes(as_xlsx(HEADERS_EN, FILE_ROWS))
    out = io.StringIO()
    call_command("import_deed_tax", str(path), "--dry-run", stdout=out)
    assert out.getvalue().strip() == "校验通过（未写入）：共 3 行，购房记录新增 0，更新 0，未变 0。"
    assert HousePurchase.objects.count() == 0


def test_the_command_fails_with_the_bad_rows_on_stderr(tmp_path):
    path = tmp_path / "deed.csv"
    path.write_bytes(as_csv(HEADERS_EN, [row(address="")]))
    err = io.StringIO()
    with pytest.raises(CommandError, match="导入被拒绝：1 行有错误，未做任何修改。"):
        call_command("import_deed_tax", str(path), stderr=err)
    assert err.getvalue().strip() == "第 2 行：房屋坐落为空"
