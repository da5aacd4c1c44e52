import csv
import io
import tempfile
import tracemalloc
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from portal.enterprises.models import Enterprise
from portal.exports import safe_value
from subsidies.models import Award, AwardStatus, PaymentBatch
from subsidies.services import (
    AwardError,
    award_revoke,
    payment_batch_create,
    payment_batch_export,
    payment_batch_mark_paid,
)
from tests.factories import make_uscc
from tests.subsidies.award_factories import AwardFactory, AwardSchemeFactory, fast_passwords  # noqa: F401 - a fixture

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

    content = payment_batch_export(batch=batch, fmt="csv", user=staff).read()

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

    content = payment_batch_export(batch=batch, fmt="xlsx", user=staff).read()

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


BIG_BATCH = 20_000


def big_batch(staff) -> PaymentBatch:
    """A batch of 20,000 confirmed awards, every hundredth enterprise named like a formula."""
    scheme = AwardSchemeFactory()
    enterprises = Enterprise.objects.bulk_create(
        Enterprise(
            uscc=make_uscc(700000 + n),
            name=f'=HYPERLINK("http://x/{n}")' if n % 100 == 0 else f"郑州测试科技有限公司{n}",
            industry_code="I6510",
        )
        for n in range(BIG_BATCH)
    )
    batch = PaymentBatch.objects.create(
        title="大批次", created_by=staff, total=Decimal("20000.00") * BIG_BATCH
    )
    Award.objects.bulk_create(
        (
            Award(
                scheme=scheme,
                enterprise=enterprise,
                period=scheme.period,
                status=AwardStatus.CONFIRMED,
                computed_amount=Decimal("20000.00"),
                amount=Decimal("20000.00"),
                bank_name="中国银行郑州高新区支行",
                bank_account_name=enterprise.name,
                bank_account="6216610200016587",
                payment_batch=batch,
            )
            for enterprise in enterprises
        ),
        batch_size=2000,
    )
    return batch


def consume(response, into) -> int:
    """Read the response chunk by chunk as a server sends it, into a file; the peak memory while reading."""
    tracemalloc.start()
    try:
        for chunk in response.streaming_content:
            into.write(chunk)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_20000_award_batch_streams_as_csv_and_xlsx_with_every_cell_safe_and_each_export_recorded(staff):
    batch = big_batch(staff)

    response = payment_batch_export(batch=batch, fmt="csv", user=staff).response()
    assert response.streaming
    with tempfile.TemporaryFile() as body:
        peak = consume(response, body)
        body.seek(0)
        rows = list(csv.reader(io.StringIO(body.read().decode("utf-8-sig"))))

    assert len(rows) == 1 + BIG_BATCH
    assert rows[1][1] == '\'=HYPERLINK("http://x/0")'
    assert rows[2][1] == "郑州测试科技有限公司1"
    assert rows[-1][0] == str(BIG_BATCH)
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    # Read in chunks: the whole file (about 4 MB) and the 20,000 awards are never held at once.
    assert peak < 12 * 1024 * 1024, peak

    response = payment_batch_export(batch=batch, fmt="xlsx", user=staff).response()
    assert response.streaming  # sent from its temporary file in blocks
    sheet = load_workbook(io.BytesIO(response.getvalue()), read_only=True).active
    response.file_to_stream.close()  # the temporary file is gone
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1 + BIG_BATCH + 2
    assert rows[1][1] == '\'=HYPERLINK("http://x/0")'
    assert rows[-1][1] == "合计"
    assert response["Content-Disposition"] == f'attachment; filename="payment-batch-{batch.pk}.xlsx"'
    assert list(batch.exports.order_by("pk").values_list("fmt", flat=True)) == ["csv", "xlsx"]
