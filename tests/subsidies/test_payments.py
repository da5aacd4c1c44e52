import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from portal.exports import safe_value
from subsidies.models import AwardStatus, PaymentBatch
from subsidies.services import (
    AwardError,
    award_revoke,
    payment_batch_create,
    payment_batch_export,
    payment_batch_mark_paid,
)
from tests.subsidies.award_factories import AwardFactory, fast_passwords  # noqa: F401 - a fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


def confirmed(**kwargs):
    award = AwardFactory(status="confirmed", **kwargs)
    award.bank_name = kwargs.get("bank_name", "中国银行郑州高新区支行")
    award.bank_account_name = award.enterprise.name
    award.bank_account = "6216610200016587"
    award.save()
    return award


def test_staff_put_confirmed_awards_into_a_batch_with_its_total(staff):
    awards = [confirmed(amount=Decimal("100000.00")), confirmed(amount=Decimal("2500.50"))]

    batch = payment_batch_create(awards=awards, user=staff, title="2023 年第一批")

    assert (batch.title, batch.status, batch.total) == ("2023 年第一批", "draft", Decimal("102500.50"))
    assert set(batch.awards.values_list("pk", flat=True)) == {a.pk for a in awards}


@pytest.mark.parametrize("status", ["candidate", "approved", "publicized", "paid", "declined", "revoked"])
def test_only_confirmed_awards_go_into_a_batch(status, staff):
    award = AwardFactory(status=status)

    with pytest.raises(AwardError, match="不能拨付；未创建批次"):
        payment_batch_create(awards=[award, confirmed()], user=staff, title="第一批")

    assert PaymentBatch.objects.count() == 0


def test_an_award_goes_into_one_batch_only(staff):
    award = confirmed()
    payment_batch_create(awards=[award], user=staff, title="第一批")

    with pytest.raises(AwardError, match="已在其他拨付批次中"):
        payment_batch_create(awards=[award], user=staff, title="第二批")


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+8613800000000", "'+8613800000000"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("郑州梧桐智能科技有限公司", "郑州梧桐智能科技有限公司"),
        ("100000.00", "100000.00"),
    ],
)
def test_text_that_begins_like_a_formula_is_escaped(value, safe):
    assert safe_value(value) == safe


def hostile_batch(staff):
    award = confirmed(
        enterprise__name="=cmd|' /C calc'!A0",
        bank_name="@SUM(1+1)*cmd|' /C calc'!A0",
        amount=Decimal("12345.67"),
    )
    award.bank_account_name = "=cmd|' /C calc'!A0"
    award.save()
    other = confirmed(bank_name="-2+3", amount=Decimal("100.00"))
    return payment_batch_create(awards=[award, other], user=staff, title="+恶意批次")


def test_the_csv_for_the_bank_escapes_formula_cells(staff):
    batch = hostile_batch(staff)

    content = payment_batch_export(batch=batch, fmt="csv", user=staff)

    assert content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == [
        "序号",
        "企业名称",
        "统一社会信用代码",
        "开户银行",
        "账户名称",
        "银行账号",
        "金额（元）",
        "方案",
        "兑现批次",
        "兑现记录号",
    ]
    assert rows[1][1] == "'=cmd|' /C calc'!A0"
    assert rows[1][3] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert rows[1][4] == "'=cmd|' /C calc'!A0"
    assert rows[1][5:7] == ["6216610200016587", "12345.67"]
    assert rows[2][3] == "'-2+3"
    assert [row[0] for row in rows[1:]] == ["1", "2"]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_the_xlsx_for_the_bank_has_no_formula_and_keeps_accounts_as_text(staff):
    batch = hostile_batch(staff)

    content = payment_batch_export(batch=batch, fmt="xlsx", user=staff)

    sheet = load_workbook(io.BytesIO(content)).active
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert sheet["B2"].value == "'=cmd|' /C calc'!A0"
    assert sheet["D3"].value == "'-2+3"
    assert (sheet["F2"].value, sheet["F2"].data_type) == ("6216610200016587", "s")
    assert sheet["G2"].value == 12345.67
    assert (sheet["B5"].value, sheet["G5"].value) == ("合计", 12445.67)


def test_exporting_marks_a_draft_batch_exported(staff):
    batch = payment_batch_create(awards=[confirmed()], user=staff, title="第一批")

    payment_batch_export(batch=batch, fmt="csv", user=staff)

    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.EXPORTED
    assert batch.exported_at is not None


def test_an_unknown_export_format_is_refused(staff):
    batch = payment_batch_create(awards=[confirmed()], user=staff, title="第一批")

    with pytest.raises(AwardError, match="CSV 或 XLSX"):
        payment_batch_export(batch=batch, fmt="pdf", user=staff)


def test_marking_paid_pays_every_award_of_the_batch(staff):
    awards = [confirmed(amount=Decimal("100.00")), confirmed(amount=Decimal("200.00"))]
    batch = payment_batch_create(awards=awards, user=staff, title="第一批")
    payment_batch_export(batch=batch, fmt="xlsx", user=staff)

    batch = payment_batch_mark_paid(batch=batch, user=staff, reference="HD20230615001")

    assert (batch.status, batch.paid_reference, batch.total) == ("paid", "HD20230615001", Decimal("300.00"))
    for award in awards:
        award.refresh_from_db()
        assert (award.status, award.paid_at) == (AwardStatus.PAID, batch.paid_at)
        assert award.events.get().note == "回单号 HD20230615001"


def test_marking_a_batch_paid_twice_pays_nothing_twice(staff):
    award = confirmed()
    batch = payment_batch_create(awards=[award], user=staff, title="第一批")
    payment_batch_export(batch=batch, fmt="csv", user=staff)
    batch = payment_batch_mark_paid(batch=batch, user=staff, reference="HD001")
    first_paid_at = batch.paid_at

    with pytest.raises(AwardError, match="不会重复拨付"):
        payment_batch_mark_paid(batch=batch, user=staff, reference="HD002")

    batch.refresh_from_db()
    award.refresh_from_db()
    assert (batch.paid_reference, batch.paid_at) == ("HD001", first_paid_at)
    assert award.paid_at == first_paid_at
    assert award.events.filter(to_status="paid").count() == 1


def test_a_batch_is_exported_before_it_is_marked_paid(staff):
    batch = payment_batch_create(awards=[confirmed()], user=staff, title="第一批")

    with pytest.raises(AwardError, match="请先导出"):
        payment_batch_mark_paid(batch=batch, user=staff, reference="HD001")


def test_marking_paid_needs_the_bank_reference(staff):
    batch = payment_batch_create(awards=[confirmed()], user=staff, title="第一批")
    payment_batch_export(batch=batch, fmt="csv", user=staff)

    with pytest.raises(AwardError, match="请填写银行回单号"):
        payment_batch_mark_paid(batch=batch, user=staff, reference=" ")


def test_an_award_revoked_from_an_exported_batch_leaves_it_and_the_batch_must_be_exported_again(staff):
    kept, revoked = confirmed(amount=Decimal("100.00")), confirmed(amount=Decimal("40.00"))
    batch = payment_batch_create(awards=[kept, revoked], user=staff, title="第一批")
    payment_batch_export(batch=batch, fmt="csv", user=staff)

    award_revoke(award=revoked, reason="企业注销", user=staff)

    batch.refresh_from_db()
    assert (batch.status, batch.total) == ("draft", Decimal("100.00"))
    assert list(batch.awards.values_list("pk", flat=True)) == [kept.pk]
    payment_batch_export(batch=batch, fmt="csv", user=staff)
    payment_batch_mark_paid(batch=batch, user=staff, reference="HD001")
    revoked.refresh_from_db()
    assert (revoked.status, revoked.paid_at) == ("revoked", None)
