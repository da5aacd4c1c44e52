import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from portal.enterprises import services
from portal.enterprises.models import AnnualReport, Enterprise, Qualification, make_uscc
from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db

HEADERS_EN = [
    "uscc",
    "name",
    "park",
    "industry_code",
    "registered_on",
    "registered_capital",
    "is_above_scale",
    "credit_rating",
    "blacklisted",
    "qualifications",
]
HEADERS_ZH = [
    "统一社会信用代码",
    "企业名称",
    "所属园区",
    "行业代码",
    "成立日期",
    "注册资本(万元)",
    "规上企业",
    "纳税信用等级",
    "失信",
    "资质",
]


def row(serial: int, **changes) -> list:
    values = {
        "uscc": make_uscc(serial),
        "name": f"郑州测试{serial}科技有限公司",
        "park": "wutong",
        "industry_code": "I6510",
        "registered_on": "2015-06-01",
        "registered_capital": "1000",
        "is_above_scale": "是",
        "credit_rating": "A",
        "blacklisted": "否",
        "qualifications": "high_tech:2022;srdi:2021",
    }
    values.update(changes)
    return [values[h] for h in HEADERS_EN]


def as_csv(headers, rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def as_xlsx(headers, rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for r in rows:
        sheet.append(r)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_a_csv_with_english_headers_creates_enterprises_and_qualifications():
    report = services.enterprises_import(data=as_csv(HEADERS_EN, [row(1), row(2)]), filename="e.csv")

    assert report.ok
    assert (report.rows, report.created, report.updated) == (2, 2, 0)
    enterprise = Enterprise.objects.get(uscc=make_uscc(1))
    assert enterprise.park == "wutong"
    assert enterprise.industry_section == "I"
    assert enterprise.industry_division == "65"
    assert enterprise.registered_on == dt.date(2015, 6, 1)
    assert enterprise.registered_capital == Decimal("1000.00")
    assert enterprise.is_above_scale is True
    assert enterprise.fact_sources["registered_capital"]["source"] == "market"
    assert sorted(enterprise.qualifications.values_list("code", "year_awarded")) == [
        ("high_tech", 2022),
        ("srdi", 2021),
    ]
    assert enterprise.qualifications.get(code="high_tech").valid_until == dt.date(2024, 12, 31)


def test_an_xlsx_with_chinese_headers_and_chinese_values_imports():
    rows = [
        row(
            3,
            park="枫杨",
            is_above_scale="否",
            registered_on="2016年9月6日",
            qualifications="高新技术企业:2023",
        )
    ]

    report = services.enterprises_import(data=as_xlsx(HEADERS_ZH, rows), filename="企业.xlsx")

    assert report.ok, report.errors
    enterprise = Enterprise.objects.get(uscc=make_uscc(3))
    assert (enterprise.park, enterprise.is_above_scale, enterprise.registered_on) == (
        "fengyang",
        False,
        dt.date(2016, 9, 6),
    )
    assert list(enterprise.qualifications.values_list("code", flat=True)) == ["high_tech"]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"uscc": make_uscc(9)[:-1] + ("0" if make_uscc(9)[-1] != "0" else "1")}, "校验码错误"),
        ({"park": "火星"}, "未知园区"),
        ({"registered_on": "2015-13-40"}, "成立日期格式错误"),
        ({"registered_capital": "-5"}, "不能为负数"),
        ({"is_above_scale": "也许"}, "规上企业应为"),
        ({"credit_rating": "Z"}, "纳税信用等级"),
        ({"industry_code": "65I"}, "行业代码格式错误"),
        ({"qualifications": "golden:2022"}, "未知资质"),
    ],
)
def test_each_kind_of_bad_row_rejects_the_whole_file_and_names_the_row(changes, reason):
    rows = [row(1), row(2, **changes), row(3)]

    report = services.enterprises_import(data=as_csv(HEADERS_EN, rows), filename="e.csv")

    assert not report.ok
    assert [e.row for e in report.errors] == [3]
    assert reason in report.errors[0].message
    assert Enterprise.objects.count() == 0


def test_a_duplicate_row_is_reported_against_the_first():
    report = services.enterprises_import(data=as_csv(HEADERS_EN, [row(1), row(2), row(1)]), filename="e.csv")

    assert [(e.row, e.message) for e in report.errors] == [(4, "与第 2 行重复")]
    assert Enterprise.objects.count() == 0


def test_every_bad_row_is_reported_not_only_the_first():
    rows = [row(1, park="火星"), row(2), row(3, registered_capital="abc")]

    report = services.enterprises_import(data=as_csv(HEADERS_EN, rows), filename="e.csv")

    assert [e.row for e in report.errors] == [2, 4]


def test_reimporting_the_same_file_changes_nothing():
    data = as_csv(HEADERS_EN, [row(1), row(2)])
    services.enterprises_import(data=data, filename="e.csv")

    report = services.enterprises_import(data=data, filename="e.csv")

    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    assert report.changed_ids == []
    assert Enterprise.objects.count() == 2
    assert Qualification.objects.count() == 4


def test_a_changed_fact_is_updated_with_its_source_and_listeners_hear_of_it(
    django_capture_on_commit_callbacks,
):
    services.enterprises_import(data=as_csv(HEADERS_EN, [row(1), row(2)]), filename="e.csv")
    heard = []
    services.facts_listener_register(heard.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            report = services.enterprises_import(
                data=as_csv(HEADERS_EN, [row(1, credit_rating="B"), row(2)]),
                filename="e.csv",
                source="tax",
                as_of=dt.date(2023, 6, 30),
            )
    finally:
        services._facts_listeners.remove(heard.append)

    enterprise = Enterprise.objects.get(uscc=make_uscc(1))
    assert (report.updated, report.unchanged) == (1, 1)
    assert enterprise.credit_rating == "B"
    assert enterprise.fact_sources["credit_rating"] == {"source": "tax", "as_of": "2023-06-30"}
    assert heard == [[enterprise.pk]]


def test_a_dry_run_validates_and_writes_nothing():
    report = services.enterprises_import(data=as_csv(HEADERS_EN, [row(1)]), filename="e.csv", dry_run=True)

    assert report.ok
    assert report.rows == 1
    assert Enterprise.objects.count() == 0


def test_unknown_and_missing_columns_are_refused():
    from portal.tabular import ImportFileError

    with pytest.raises(ImportFileError, match="无法识别的列：colour"):
        services.enterprises_import(data=as_csv([*HEADERS_EN, "colour"], []), filename="e.csv")
    with pytest.raises(ImportFileError, match="缺少必填列：name/企业名称"):
        services.enterprises_import(data=as_csv(["uscc"], [[make_uscc(1)]]), filename="e.csv")


def test_annual_reports_upsert_by_uscc_and_year():
    enterprise = EnterpriseFactory(uscc=make_uscc(5))
    headers = ["统一社会信用代码", "年度", "营业收入(万元)", "研发费用(万元)", "从业人数", "纳税总额(万元)"]
    data = as_csv(headers, [[enterprise.uscc, "2022", "5,000.5", "350", "120", "260"]])

    first = services.annual_reports_import(data=data, filename="r.csv")
    again = services.annual_reports_import(data=data, filename="r.csv")
    changed = services.annual_reports_import(
        data=as_csv(headers, [[enterprise.uscc, "2022", "6000", "350", "120", "260"]]), filename="r.csv"
    )

    assert (first.created, again.unchanged, changed.updated) == (1, 1, 1)
    report = AnnualReport.objects.get(enterprise=enterprise, year=2022)
    assert (report.revenue, report.rd_expense, report.employees) == (
        Decimal("6000.00"),
        Decimal("350.00"),
        120,
    )


def test_annual_reports_of_an_unknown_enterprise_are_refused():
    data = as_csv(["uscc", "year", "revenue"], [[make_uscc(77), "2022", "10"]])

    report = services.annual_reports_import(data=data, filename="r.csv")

    assert [e.row for e in report.errors] == [2]
    assert "请先导入企业" in report.errors[0].message
    assert AnnualReport.objects.count() == 0


def test_the_command_rejects_a_thousand_rows_with_one_bad_then_imports_them_fixed(tmp_path, capsys):
    rows = [row(n) for n in range(1, 1001)]
    rows[499] = row(500, registered_on="2015-02-30")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(as_csv(HEADERS_EN, rows))

    with pytest.raises(CommandError, match="1 行有错误"):
        call_command("import_enterprises", str(bad), verbosity=0)

    assert "第 501 行：成立日期格式错误：2015-02-30" in capsys.readouterr().err
    assert Enterprise.objects.count() == 0

    rows[499] = row(500)
    good = tmp_path / "good.csv"
    good.write_bytes(as_csv(HEADERS_EN, rows))
    call_command("import_enterprises", str(good), verbosity=0)

    assert Enterprise.objects.count() == 1000
    assert "新增 1000" in capsys.readouterr().out


def test_the_command_says_when_the_file_is_not_there(tmp_path):
    with pytest.raises(CommandError, match="无法读取文件"):
        call_command("import_enterprises", str(tmp_path / "missing.csv"), verbosity=0)


def test_staff_upload_a_file_in_admin_and_see_the_report(client, staff):
    client.force_login(staff)
    upload = io.BytesIO(as_csv(HEADERS_EN, [row(1), row(2, park="火星")]))
    upload.name = "e.csv"

    response = client.post(
        "/admin/enterprises/enterprise/import/",
        {"kind": "enterprises", "file": upload, "source": "market"},
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "导入被拒绝：1 行有错误" in page
    assert "第 3 行：未知园区：火星" in page
    assert Enterprise.objects.count() == 0


def test_an_import_moves_the_public_figures_on_at_once(client):
    params = {"from": "2023-01-01", "to": "2023-06-30"}
    before = client.get("/api/v1/stats/", params).json()["enterprises"]

    services.enterprises_import(data=as_csv(HEADERS_EN, [row(1), row(2)]), filename="e.csv")

    assert client.get("/api/v1/stats/", params).json()["enterprises"] == before + 2
