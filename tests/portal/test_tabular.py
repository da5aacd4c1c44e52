import ast
import io
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook

from portal import tabular
from portal.tabular import Column, ImportFileError, ImportReport, RowError, read_rows

COLUMNS = (
    Column("code", "代码", required=True),
    Column("capital", "注册资本(万元)"),
    Column("growth", "同比增长(%)"),
)


def rows(text: str, *, filename="a.csv", encoding="utf-8", **kwargs):
    return list(read_rows(text.encode(encoding), filename, COLUMNS, **kwargs))


def xlsx(*lines) -> bytes:
    workbook = Workbook()
    for line in lines:
        workbook.active.append(line)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_the_module_imports_nothing_from_the_apps():
    tree = ast.parse(Path(tabular.__file__).read_text(encoding="utf-8"))
    imported = {
        name.partition(".")[0]
        for node in ast.walk(tree)
        for name in (
            [a.name for a in node.names]
            if isinstance(node, ast.Import)
            else [node.module]
            if isinstance(node, ast.ImportFrom)
            else []
        )
    }
    assert imported - set(sys.stdlib_module_names) == {"openpyxl"}


@pytest.mark.parametrize(
    "headers",
    [
        "code,capital,growth",
        "代码,注册资本(万元),同比增长(%)",
        "代码 ,注册资本（万元）,同比增长（％）",
        "CODE,注册资本,同比增长%",
    ],
)
def test_english_or_chinese_headers_in_any_bracket_style_name_the_same_columns(headers):
    assert rows(f"{headers}\nA1,10,2.5\n") == [(2, {"code": "A1", "capital": "10", "growth": "2.5"})]


def test_rows_keep_their_spreadsheet_numbers_skip_blank_lines_and_are_stripped():
    text = "代码,注册资本\n A1 ,10\n,\n\nA2\n"

    assert rows(text) == [(2, {"code": "A1", "capital": "10"}), (5, {"code": "A2", "capital": ""})]


def test_a_bom_and_gb18030_are_both_read():
    assert rows("\ufeff代码\nA1\n") == [(2, {"code": "A1"})]
    assert rows("代码\n甲\n", encoding="gb18030") == [(2, {"code": "甲"})]


def test_an_xlsx_keeps_cell_types_and_strips_text():
    data = xlsx(["代码", "注册资本(万元)"], [" A1 ", 10.5], [None, None], ["A2"])

    assert list(read_rows(data, "a.XLSX", COLUMNS)) == [
        (2, {"code": "A1", "capital": 10.5}),
        (4, {"code": "A2", "capital": None}),
    ]


@pytest.mark.parametrize(
    ("data", "filename", "formats", "message"),
    [
        (b"code\n", "a.txt", tabular.FORMATS, "只支持 CSV 或 XLSX 文件。"),
        (b"code\n", "a.xlsx", ("csv",), "只支持 CSV 文件。"),
        (b"", "a.csv", tabular.FORMATS, "文件为空。"),
        (
            b"\xff\xfe\x00\xd8",
            "a.csv",
            tabular.FORMATS,
            "文件编码无法识别，请保存为 UTF-8 或 GB18030 编码的 CSV。",
        ),
        (b"not a zip", "a.xlsx", tabular.FORMATS, "XLSX 文件无法打开，请确认文件未损坏。"),
        ("代码,颜色,备注\n".encode(), "a.csv", tabular.FORMATS, "无法识别的列：颜色、备注"),
        ("注册资本\n".encode(), "a.csv", tabular.FORMATS, "缺少必填列：code/代码"),
    ],
)
def test_a_file_that_cannot_be_read_says_why(data, filename, formats, message):
    with pytest.raises(ImportFileError) as caught:
        list(read_rows(data, filename, COLUMNS, formats=formats))

    assert str(caught.value) == message


def test_the_report_counts_rows_with_errors_and_says_nothing_was_written():
    errors = [RowError(2, "代码为空"), RowError(2, "数值不是数字"), RowError(4, "重复")]
    report = ImportReport(rows=3, errors=errors)

    assert not report.ok
    assert str(report.errors[0]) == "第 2 行：代码为空"
    assert report.summary() == "导入被拒绝：2 行有错误，未做任何修改。"


def test_the_report_of_a_dry_run_says_nothing_was_written():
    report = ImportReport(rows=3, created=1, updated=1, unchanged=1, dry_run=True)

    assert report.ok
    assert report.summary() == "校验通过（未写入）：共 3 行，新增 1，更新 1，未变 1。"
