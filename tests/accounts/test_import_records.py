"""Every file import leaves a record (导入记录); staff see their department's failed ones on their home."""

import datetime as dt
import io

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.accounts.models import ImportRecord
from portal.accounts.services import IMPORT_ERRORS_KEPT, import_record_save
from portal.enterprises import services as enterprise_services
from portal.enterprises.models import Enterprise
from portal.tabular import RowError
from tests.enterprises.test_imports import HEADERS_EN, as_csv, row
from tests.factories import DepartmentFactory, StaffFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2023, 6, 7, 2, tzinfo=dt.UTC)  # 10:00 in the zone, a Wednesday


@pytest.fixture
def tax():
    return DepartmentFactory(name="税务服务科", code="tax")


@pytest.fixture
def tax_staff(tax):
    return staff_of(tax)


def staff_of(department, **fields):
    user = StaffFactory(department=department, **fields)
    user.user_permissions.set(Permission.objects.filter(codename="view_importrecord"))
    return user


def write(tmp_path, rows, name="企业名单.csv"):
    path = tmp_path / name
    path.write_bytes(as_csv(HEADERS_EN, rows))
    return str(path)


def failed_record(department, file_name: str, *, started_at: dt.datetime, errors=2) -> ImportRecord:
    return import_record_save(
        kind=ImportRecord.Kind.ENTERPRISES,
        file_name=file_name,
        started_at=started_at,
        status=ImportRecord.Status.FAILED,
        command="manage.py import_enterprises",
        department=department,
        rows_read=10,
        message=f"导入被拒绝：{errors} 行有错误，未做任何修改。",
        errors=[RowError(n, f"{file_name} 的错误{n}") for n in range(2, 2 + errors)],
    )


def test_a_refused_command_import_leaves_a_failed_record_with_its_chinese_errors_and_no_rows(tmp_path, tax):
    rows = [row(1), row(2, park="火星"), row(3, registered_on="2015-02-30")]

    with pytest.raises(CommandError, match="2 行有错误"):
        call_command("import_enterprises", write(tmp_path, rows), "--department", "tax", verbosity=0)

    assert Enterprise.objects.count() == 0
    record = ImportRecord.objects.get()
    assert record.status == ImportRecord.Status.FAILED
    assert record.kind == ImportRecord.Kind.ENTERPRISES
    assert record.file_name == "企业名单.csv"
    assert record.command == "manage.py import_enterprises"
    assert record.user is None
    assert record.department == tax
    assert (record.rows_read, record.rows_written, record.error_count) == (3, 0, 2)
    assert record.errors == [
        {"row": 3, "message": "未知园区：火星（可选：梧桐、枫杨、石佛、双桥、沟赵、其他）"},
        {"row": 4, "message": "成立日期格式错误：2015-02-30（应为 YYYY-MM-DD）"},
    ]
    assert record.started_at <= record.finished_at


@pytest.mark.django_db(transaction=True)
def test_an_import_that_breaks_while_writing_is_rolled_back_and_still_recorded_as_failed(
    tmp_path, monkeypatch
):
    def broken(*, enterprise_ids):
        raise RuntimeError("connection lost")

    # Every row is written before this runs, inside the import's transaction.
    monkeypatch.setattr(enterprise_services, "facts_changed", broken)

    with pytest.raises(RuntimeError):
        call_command("import_enterprises", write(tmp_path, [row(1), row(2)]), verbosity=0)

    assert Enterprise.objects.count() == 0
    record = ImportRecord.objects.get()
    assert record.status == ImportRecord.Status.FAILED
    assert record.rows_written == 0
    assert "已全部撤销" in record.message


def test_a_file_that_cannot_be_read_is_recorded_as_failed_with_the_reason(tmp_path):
    path = tmp_path / "企业名单.csv"
    path.write_bytes(as_csv(["uscc", "colour"], [["x", "red"]]))

    with pytest.raises(CommandError, match="无法识别的列"):
        call_command("import_enterprises", str(path), verbosity=0)

    record = ImportRecord.objects.get()
    assert record.status == ImportRecord.Status.FAILED
    assert record.message == "无法识别的列：colour"


def test_a_dry_run_is_recorded_as_such_and_writes_nothing(tmp_path):
    call_command("import_enterprises", write(tmp_path, [row(1), row(2)]), "--dry-run", verbosity=0)

    assert Enterprise.objects.count() == 0
    record = ImportRecord.objects.get()
    assert record.status == ImportRecord.Status.DRY_RUN
    assert (record.rows_read, record.rows_written, record.errors) == (2, 0, [])


def test_a_successful_import_is_recorded_with_the_rows_it_wrote(tmp_path):
    call_command("import_enterprises", write(tmp_path, [row(1), row(2)]), verbosity=0)
    call_command("import_enterprises", write(tmp_path, [row(1), row(2, credit_rating="B")]), verbosity=0)

    first, second = ImportRecord.objects.order_by("id")
    assert (first.status, first.rows_read, first.rows_written) == (ImportRecord.Status.SUCCEEDED, 2, 2)
    assert (second.status, second.rows_read, second.rows_written) == (ImportRecord.Status.SUCCEEDED, 2, 1)


def test_an_unknown_department_code_is_refused_before_anything_runs(tmp_path):
    with pytest.raises(CommandError, match="没有代码为 nowhere 的部门"):
        call_command("import_enterprises", write(tmp_path, [row(1)]), "--department", "nowhere", verbosity=0)

    assert not ImportRecord.objects.exists()
    assert not Enterprise.objects.exists()


def test_only_the_first_row_errors_are_kept_but_all_bad_rows_are_counted(tmp_path):
    rows = [row(n, park="火星") for n in range(1, IMPORT_ERRORS_KEPT + 11)]

    with pytest.raises(CommandError):
        call_command("import_enterprises", write(tmp_path, rows), verbosity=0)

    record = ImportRecord.objects.get()
    assert record.error_count == IMPORT_ERRORS_KEPT + 10
    assert len(record.errors) == IMPORT_ERRORS_KEPT
    assert record.errors[0]["row"] == 2


def test_an_admin_upload_is_recorded_with_the_uploader_and_their_department(client, tax):
    uploader = StaffFactory(department=tax, is_superuser=True)
    client.force_login(uploader)
    upload = io.BytesIO(as_csv(HEADERS_EN, [row(1), row(2, park="火星")]))
    upload.name = "e.csv"

    client.post(
        "/admin/enterprises/enterprise/import/", {"kind": "enterprises", "file": upload, "source": "market"}
    )

    record = ImportRecord.objects.get()
    assert (record.user, record.department, record.status) == (uploader, tax, ImportRecord.Status.FAILED)
    assert [e["row"] for e in record.errors] == [3]
    assert record.errors[0]["message"].startswith("未知园区：火星")


def test_a_deed_tax_and_an_indicator_upload_are_recorded_too(client, tax):
    client.force_login(StaffFactory(department=tax, is_superuser=True))
    bad = io.BytesIO(b"contract_no\nX\n")
    bad.name = "契税.csv"
    client.post("/admin/residents/person/import/", {"file": bad})
    bad = io.BytesIO(b"period,name\n2023-13,GDP\n")
    bad.name = "指标.csv"
    client.post("/admin/content/indicator/import/", {"file": bad})

    kinds = set(ImportRecord.objects.values_list("kind", "status"))
    assert kinds == {
        (ImportRecord.Kind.DEED_TAX, ImportRecord.Status.FAILED),
        (ImportRecord.Kind.INDICATORS, ImportRecord.Status.FAILED),
    }


def home(client, user) -> str:
    client.force_login(user)
    page = client.get("/admin/").content.decode()
    if 'id="staff-failed-imports"' not in page:
        return ""
    start = page.index('id="staff-failed-imports"')
    return page[start : page.index("</div>", start)]


@time_machine.travel(NOW, tick=False)
def test_the_staff_home_lists_the_departments_failed_imports_of_the_last_week_with_their_errors(
    client, tax, tax_staff
):
    other = DepartmentFactory()
    record = failed_record(tax, "六月企业名单.csv", started_at=NOW - dt.timedelta(days=2))
    failed_record(tax, "五月企业名单.csv", started_at=NOW - dt.timedelta(days=8))
    failed_record(other, "别的部门的名单.csv", started_at=NOW - dt.timedelta(hours=1))
    failed_record(None, "没有部门的名单.csv", started_at=NOW - dt.timedelta(hours=1))
    import_record_save(
        kind=ImportRecord.Kind.ENTERPRISES,
        file_name="成功的名单.csv",
        started_at=NOW,
        status=ImportRecord.Status.SUCCEEDED,
        department=tax,
    )

    block = home(client, tax_staff)

    assert "近 7 天导入失败 1 次" in block
    assert "企业档案：六月企业名单.csv" in block
    assert f"/admin/accounts/importrecord/{record.pk}/change/" in block
    assert "第 2 行：六月企业名单.csv 的错误2" in block
    assert "第 3 行：六月企业名单.csv 的错误3" in block
    assert "manage.py import_enterprises" in block
    assert "五月企业名单" not in block
    assert "别的部门的名单" not in block
    assert "没有部门的名单" not in block
    assert "成功的名单" not in block


@time_machine.travel(NOW, tick=False)
def test_the_coordinating_bureau_sees_every_departments_failed_imports(client, tax):
    coordinating = DepartmentFactory(is_coordinating=True)
    failed_record(tax, "税务名单.csv", started_at=NOW - dt.timedelta(days=1))
    failed_record(None, "没有部门的名单.csv", started_at=NOW - dt.timedelta(days=1))

    block = home(client, staff_of(coordinating))

    assert "税务名单.csv" in block
    assert "没有部门的名单.csv" in block


@time_machine.travel(NOW, tick=False)
def test_staff_of_another_department_and_staff_without_the_permission_see_no_failed_imports(client, tax):
    failed_record(tax, "税务名单.csv", started_at=NOW - dt.timedelta(days=1))

    assert home(client, staff_of(DepartmentFactory())) == ""
    assert home(client, StaffFactory(department=tax)) == ""


@time_machine.travel(NOW, tick=False)
def test_the_staff_home_shows_a_few_failed_imports_and_links_to_the_rest_at_a_fixed_cost(
    client, tax, tax_staff
):
    failed_record(tax, "名单0.csv", started_at=NOW - dt.timedelta(hours=1))
    client.force_login(tax_staff)
    client.get("/admin/")
    with CaptureQueriesContext(connection) as few:
        client.get("/admin/")
    for n in range(1, 9):
        failed_record(tax, f"名单{n}.csv", started_at=NOW - dt.timedelta(hours=1, minutes=n), errors=6)
    with CaptureQueriesContext(connection) as many:
        page = client.get("/admin/").content.decode()
    block = page[page.index('id="staff-failed-imports"') :]

    assert "近 7 天导入失败 9 次" in block
    assert "查看全部 6 行错误" in block
    assert "/admin/accounts/importrecord/?status__exact=failed" in block
    # One more query counts what is beyond the list.
    assert len(many.captured_queries) <= len(few.captured_queries) + 1


def test_the_admin_list_is_read_only_filtered_and_shows_a_department_its_own_records(client, tax, tax_staff):
    other = DepartmentFactory(name="别的部门")
    mine = failed_record(tax, "税务名单.csv", started_at=timezone.now())
    failed_record(other, "别的部门的名单.csv", started_at=timezone.now())
    import_record_save(
        kind=ImportRecord.Kind.DEED_TAX,
        file_name="契税试运行.csv",
        started_at=timezone.now(),
        status=ImportRecord.Status.DRY_RUN,
        department=tax,
    )
    client.force_login(tax_staff)

    listing = client.get("/admin/accounts/importrecord/").content.decode()
    failed_only = client.get("/admin/accounts/importrecord/?status__exact=failed").content.decode()
    detail = client.get(f"/admin/accounts/importrecord/{mine.pk}/change/").content.decode()

    assert "税务名单.csv" in listing
    assert "契税试运行.csv" in listing
    assert "别的部门的名单.csv" not in listing
    assert "税务名单.csv" in failed_only
    assert "契税试运行.csv" not in failed_only
    assert "第 3 行：税务名单.csv 的错误3" in detail
    assert client.get("/admin/accounts/importrecord/add/").status_code == 403
    other_record = ImportRecord.objects.get(department=other)
    assert client.get(f"/admin/accounts/importrecord/{other_record.pk}/change/").status_code == 302
    response = client.post(f"/admin/accounts/importrecord/{mine.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert ImportRecord.objects.filter(pk=mine.pk).exists()
