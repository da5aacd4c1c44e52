"""Every CSV and XLSX the portal writes goes through portal.exports, which makes text cells formula-safe."""

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from portal import exports
from tests.content.factories import IndicatorFactory
from tests.subsidies.award_factories import AwardFactory

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+86 371 6798 0001", "'+86 371 6798 0001"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("\n=1+1", "'\n=1+1"),
        (" =1+1", "' =1+1"),
        ("＝1+1", "'＝1+1"),
        ("＠SUM(A1)", "'＠SUM(A1)"),
        ("中国 工商银行", "中国 工商银行"),
        ("郑州梧桐智能科技有限公司", "郑州梧桐智能科技有限公司"),
        (Decimal("-12.50"), Decimal("-12.50")),
        (-3, -3),
        (dt.date(2023, 6, 30), dt.date(2023, 6, 30)),
        (None, ""),
        (True, "True"),
    ],
)
def test_text_beginning_like_a_formula_becomes_plain_text_and_numbers_stay_numbers(value, safe):
    assert exports.safe_value(value) == safe


def test_the_csv_lines_are_streamed_one_row_at_a_time():
    lines = exports.csv_lines(["名称", "金额"], iter([["=A1", Decimal("-1.00")], ["乙", 2]]))

    assert next(lines) == "\ufeff"
    assert next(lines) == "名称,金额\r\n"
    assert next(lines) == "'=A1,-1.00\r\n"
    assert list(lines) == ["乙,2\r\n"]


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("410105198806010101", "\t410105198806010101"),  # an ID number
        ("6216610000001234567", "\t6216610000001234567"),  # a bank account
        ("123456789012", "\t123456789012"),
        ("13800138000", "13800138000"),  # a mobile number: Excel keeps its 11 digits
        ("41010519880601010X", "41010519880601010X"),  # Excel reads it as text already
        ("410105********0101", "410105********0101"),
        ("=410105198806010101", "'=410105198806010101"),
        (410105198806010101, 410105198806010101),  # a number stays a number
    ],
)
def test_a_long_run_of_digits_stays_text_in_a_spreadsheet_program(value, cell):
    assert exports.csv_value(value, digits_as_text=True) == cell


def test_a_file_for_another_system_keeps_its_digits_as_they_are():
    assert exports.csv_value("6216610000001234567") == "6216610000001234567"
    text = exports.csv_text(["账号"], [["6216610000001234567"]])
    assert text.splitlines()[1] == "6216610000001234567"


def test_an_id_number_reads_back_from_the_csv_after_its_tab():
    text = exports.csv_text(["身份证号"], [["410105198806010101"]], digits_as_text=True)

    [row] = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))[1:]
    assert row == ["\t410105198806010101"]
    assert row[0].strip() == "410105198806010101"


def test_an_xlsx_row_keeps_formula_like_text_as_a_string_cell():
    book = exports.xlsx_write_only()
    sheet = book.create_sheet("表")
    exports.xlsx_row(sheet, ["=HYPERLINK(1)", "-1", Decimal("-1.5")], formats={2: "#,##0.00"})

    with exports.xlsx_file(book) as file:
        sheet = load_workbook(file).active

    assert [(c.value, c.data_type) for c in sheet[1]] == [("'=HYPERLINK(1)", "s"), ("'-1", "s"), (-1.5, "n")]
    assert sheet["C1"].number_format == "#,##0.00"


def test_a_download_streams_its_csv_lines_and_its_xlsx_file():
    read = []

    def rows():
        for row in (["=A1", 1], ["乙", 2]):
            read.append(row)
            yield row

    csv_response = exports.csv_download(filename="a.csv", header=["名称", "数"], rows=rows()).response()
    book = exports.xlsx_write_only()
    exports.xlsx_row(book.create_sheet("表"), ["@x"])
    xlsx_response = exports.xlsx_download(filename="b.xlsx", workbook=book).response()

    assert csv_response.streaming and xlsx_response.streaming
    assert read == []  # no row is read before the response is sent
    assert csv_response.getvalue().decode() == "\ufeff名称,数\r\n'=A1,1\r\n乙,2\r\n"
    assert csv_response["Content-Disposition"] == 'attachment; filename="a.csv"'
    assert load_workbook(io.BytesIO(xlsx_response.getvalue())).active["A1"].value == "'@x"
    xlsx_response.file_to_stream.close()  # the temporary file is gone


@pytest.mark.django_db
def test_the_economy_csv_streams_and_neutralises_a_leading_minus_in_text(client):
    IndicatorFactory(period="2023H1", name="-招商引资", unit="=亿元", source="+统计局", value=Decimal("-2.5"))

    response = client.get(reverse("content:economy_csv"))

    assert response.streaming
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[1][:4] == ["2023H1", "'-招商引资", "-2.50", "'=亿元"]
    assert rows[1][5] == "'+统计局"


@pytest.mark.django_db
def test_the_awards_export_command_writes_formula_safe_cells():
    AwardFactory(period="=1+1")
    out = io.StringIO()

    call_command("export_awards", stdout=out)

    assert out.getvalue().splitlines()[1].split(",")[2] == "'=1+1"


def test_no_module_writes_csv_or_xlsx_except_through_portal_exports():
    csv_writer = re.compile(r"csv\.(writer|DictWriter)\(")
    offenders = []
    for folder in ("portal", "policies", "subsidies", "projects"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if path == ROOT / "portal" / "exports.py":
                continue
            # Workbooks too: portal.exports makes them write-only, so memory does not grow with rows.
            if csv_writer.search(text) or re.search(r"\bWorkbook\(", text):
                offenders.append(str(path.relative_to(ROOT)))
            if re.search(r"sheet\.append\(", text):
                offenders.append(f"{path.relative_to(ROOT)}: sheet.append")

    assert offenders == []
