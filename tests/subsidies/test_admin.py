from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from subsidies.models import Award, AwardStatus, PaymentBatch, Undetermined
from subsidies.services import payment_batch_create
from tests.factories import StaffFactory
from tests.subsidies.award_factories import (
    AwardFactory,
    MatchRunFactory,
    PublicizedAwardFactory,
    bank_details,
    fast_passwords,  # noqa: F401 - a fixture
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

AWARDS = "/admin/subsidies/award/"


def act(client, url, action, objects, **data):
    return client.post(url, {"action": action, ACTION_CHECKBOX_NAME: [o.pk for o in objects], **data})


def statuses(awards):
    return [Award.objects.get(pk=a.pk).status for a in awards]


def test_staff_approve_candidates_in_bulk(client, staff):
    awards = AwardFactory.create_batch(3)
    client.force_login(staff)

    response = act(client, AWARDS, "approve", awards)

    assert response.status_code == 302
    assert statuses(awards) == ["approved"] * 3


def test_bulk_approval_with_a_non_candidate_changes_nothing_and_says_why(client, staff):
    awards = [AwardFactory(), AwardFactory(status="paid", enterprise__name="已拨付企业")]
    client.force_login(staff)

    response = act(client, AWARDS, "approve", awards)

    assert statuses(awards) == ["candidate", "paid"]
    page = client.get(response.url).content.decode()
    assert "已拨付企业 的“" in page and "未做任何修改" in page


def test_a_rejection_asks_for_the_reason_first(client, staff):
    awards = AwardFactory.create_batch(2)
    client.force_login(staff)

    form = act(client, AWARDS, "reject", awards)
    assert form.status_code == 200
    assert "审核不通过" in form.content.decode()
    assert statuses(awards) == ["candidate", "candidate"]

    act(client, AWARDS, "reject", awards, apply="1", reason="企业已注销")

    assert statuses(awards) == ["rejected", "rejected"]
    assert Award.objects.get(pk=awards[0].pk).reason == "企业已注销"


def test_staff_release_approved_awards_from_the_list(client, staff):
    awards = [AwardFactory(status="approved"), AwardFactory()]
    client.force_login(staff)

    act(client, AWARDS, "release", awards)

    assert statuses(awards) == ["publicized", "candidate"]


def test_a_run_page_shows_its_diff_and_review_progress_and_releases(client, staff):
    run = MatchRunFactory(
        totals={"rd-2023": {"eligible": 2, "undetermined": 1, "new": 1, "lost": 1, "amount": "150000.00"}}
    )
    approved = AwardFactory(run=run, status="approved", scheme__code="rd-2023")
    AwardFactory(run=run, scheme=approved.scheme)
    Undetermined.objects.create(
        run=run, scheme=approved.scheme, enterprise=approved.enterprise, missing=["employees"]
    )
    client.force_login(staff)

    page = client.get(f"/admin/subsidies/matchrun/{run.pk}/change/").content.decode()
    assert "<td>rd-2023</td><td>2</td>" in page
    assert "150,000.00" in page
    assert f"/admin/subsidies/undetermined/?run__id__exact={run.pk}" in page
    assert "已审核 1（100,000.00 元）" in page and "待审核 1（100,000.00 元）" in page

    act(client, "/admin/subsidies/matchrun/", "release", [run])

    assert Award.objects.get(pk=approved.pk).status == AwardStatus.PUBLICIZED
    undetermined = client.get(f"/admin/subsidies/undetermined/?run__id__exact={run.pk}").content.decode()
    assert approved.enterprise.name in undetermined


def test_staff_put_confirmed_awards_into_a_batch_export_it_and_mark_it_paid(client, staff):
    awards = [PublicizedAwardFactory(status="confirmed", amount=Decimal("1000.00")) for _ in range(2)]
    for award in awards:
        award.bank_name = "中国银行"
        award.bank_account = "6216610200016587"
        award.save()
    client.force_login(staff)

    response = act(client, AWARDS, "create_batch", awards, apply="1", title="2023 年第一批")
    batch = PaymentBatch.objects.get()
    assert response.url == f"/admin/subsidies/paymentbatch/{batch.pk}/change/"
    assert batch.total == Decimal("2000.00")

    csv = client.get(f"/admin/subsidies/paymentbatch/{batch.pk}/export/csv/")
    assert csv["Content-Type"] == "text/csv; charset=utf-8"
    assert "6216610200016587" in csv.content.decode("utf-8-sig")
    xlsx = client.get(f"/admin/subsidies/paymentbatch/{batch.pk}/export/xlsx/")
    assert xlsx.content[:2] == b"PK"

    client.post(f"/admin/subsidies/paymentbatch/{batch.pk}/paid/", {"reference": "HD20230620001"})
    assert statuses(awards) == ["paid", "paid"]
    again = client.post(f"/admin/subsidies/paymentbatch/{batch.pk}/paid/", {"reference": "HD20230620002"})
    assert "不会重复拨付" in again.content.decode()
    batch.refresh_from_db()
    assert batch.paid_reference == "HD20230620001"


def test_staff_record_a_paper_confirmation(client, staff):
    award = PublicizedAwardFactory()
    client.force_login(staff)

    assert "录入线下确认" in client.get(f"{AWARDS}{award.pk}/change/").content.decode()
    client.post(f"{AWARDS}{award.pk}/offline-confirm/", {**bank_details(award), "agree": "on"})

    award.refresh_from_db()
    assert (award.status, award.confirmed_by) == ("confirmed", staff)


def test_the_award_page_in_admin_shows_the_explanation_and_a_masked_account(client, staff):
    award = PublicizedAwardFactory(status="confirmed")
    award.bank_account = "6216610200016587"
    award.save()
    client.force_login(staff)

    page = client.get(f"{AWARDS}{award.pk}/change/").content.decode()

    assert "研发费用 350 万元 ≥ 100 万元 ✓" in page
    assert "**** **** 6587" in page
    assert "6216610200016587" not in page


def test_staff_without_the_permission_cannot_act_on_awards(client):
    clerk = StaffFactory()
    award = AwardFactory()
    batch_award = PublicizedAwardFactory(status="confirmed")
    batch_award.bank_account = "6216610200016587"
    batch_award.save()
    batch = payment_batch_create(awards=[batch_award], user=clerk, title="第一批")
    client.force_login(clerk)

    assert client.get(AWARDS).status_code == 403
    assert client.post(f"{AWARDS}{award.pk}/offline-confirm/").status_code == 403
    assert client.get(f"/admin/subsidies/paymentbatch/{batch.pk}/export/csv/").status_code == 403
