"""A household award's life: review, masked publicity, a buyer's confirmation with a bank card, payment."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.db import connection

from portal.residents.models import HousePurchase, Person
from subsidies import matching, selectors
from subsidies.models import Allocation, Award, AwardStatus, Beneficiary
from subsidies.services import (
    AwardError,
    HouseholdConfirmation,
    award_confirm,
    awards_review_bulk,
    household_award_confirm,
    household_award_decline,
    household_awards_confirm,
    payment_batch_create,
    payment_batch_export,
    payment_batch_mark_paid,
    run_release,
)
from tests.residents.factories import PersonFactory
from tests.subsidies.award_factories import PublicizedAwardFactory
from tests.subsidies.household_factories import household_scheme, purchase

pytestmark = pytest.mark.django_db

RELEASED_ON = dt.datetime(2023, 8, 1, 10, tzinfo=dt.UTC)
AFTER_PUBLICITY = dt.datetime(2023, 8, 20, 10, tzinfo=dt.UTC)


@pytest.fixture
def household():
    """A purchase of 张三明 and 李娜 (主购房人 first), matched, approved and released on 2023-08-01."""
    scheme = household_scheme(publicity_days=5)
    main = PersonFactory(name="张三明", id_number="410105199001011233")
    spouse = PersonFactory(name="李娜")
    home = purchase(buyers=[main, spouse], deed_tax=Decimal("4000.00"))
    return scheme, home, main, spouse


def _released(staff):
    with time_machine.travel(RELEASED_ON, tick=False):
        run = matching.match_run_execute()
        awards_review_bulk(awards=list(run.awards.all()), user=staff, approve=True)
        run_release(run=run, user=staff)
    return Award.objects.get()


def test_a_household_award_goes_from_match_to_paid_through_the_shared_services(household, staff):
    scheme, home, _main, spouse = household
    award = _released(staff)
    assert (award.status, award.purchase_id, award.amount) == (
        AwardStatus.PUBLICIZED,
        home.pk,
        Decimal("2000"),
    )

    with time_machine.travel(AFTER_PUBLICITY, tick=False):
        award = household_award_confirm(
            award=award,
            person=spouse,
            bank_name="中国银行郑州高新区支行",
            bank_account="6216 6100 0000 1234 567",
        )
        assert award.status == AwardStatus.CONFIRMED
        assert (award.bank_account_name, award.bank_account) == ("李娜", "6216610000001234567")
        assert "李*" in award.events.get(to_status=AwardStatus.CONFIRMED).note
        scheme.refresh_from_db()
        assert scheme.committed == Decimal("2000.00")

        batch = payment_batch_create(awards=[award], user=staff, title="2023 年契税补贴第一批")
        rows = list(
            csv.reader(
                io.StringIO(
                    payment_batch_export(batch=batch, fmt="csv", user=staff).read().decode("utf-8-sig")
                )
            )
        )
        payment_batch_mark_paid(batch=batch, user=staff, reference="HD2023082001")

    assert rows[0][:3] == ["序号", "主购房人", "网签合同号"]
    assert rows[1][1:7] == [
        "张*明（4101**********1233）",
        home.contract_no,
        "中国银行郑州高新区支行",
        "李娜",
        "6216610000001234567",
        "2000.00",
    ]
    award.refresh_from_db()
    home.refresh_from_db()
    assert award.status == AwardStatus.PAID
    assert home.paid_at == award.paid_at == AFTER_PUBLICITY


def test_the_bank_card_of_a_household_is_stored_encrypted_and_shown_masked(household, staff):
    _scheme, _home, main, _spouse = household
    award = _released(staff)
    with time_machine.travel(AFTER_PUBLICITY, tick=False):
        household_award_confirm(
            award=award, person=main, bank_name="建设银行", bank_account="6217000000001234567"
        )

    with connection.cursor() as cursor:
        cursor.execute("SELECT bank_account FROM subsidies_award WHERE id = %s", [award.pk])
        assert "6217000000001234567" not in cursor.fetchone()[0]
    award.refresh_from_db()
    assert selectors.mask_account(award.bank_account).endswith("4567")
    assert "000000001234" not in selectors.mask_account(award.bank_account)


def test_only_a_buyer_of_the_purchase_may_confirm_and_nothing_is_written_otherwise(household, staff):
    award = _released(staff)
    stranger = PersonFactory(name="王五")

    with time_machine.travel(AFTER_PUBLICITY, tick=False):
        with pytest.raises(AwardError, match="只有该购房记录的购房人本人可以确认或放弃这笔补贴"):
            household_award_confirm(
                award=award, person=stranger, bank_name="建设银行", bank_account="6217000000001234567"
            )
        with pytest.raises(AwardError, match="购房家庭的兑现记录由购房人本人确认"):
            award_confirm(
                award=award,
                user=staff,
                bank_name="建设银行",
                bank_account_name="王五",
                bank_account="6217000000001234567",
                offline=True,
            )

    award.refresh_from_db()
    assert (award.status, award.bank_account, award.events.count()) == (AwardStatus.PUBLICIZED, "", 2)


def test_a_household_cannot_confirm_during_its_publicity(household, staff):
    _scheme, _home, main, _spouse = household
    award = _released(staff)

    with time_machine.travel(RELEASED_ON, tick=False), pytest.raises(AwardError, match="公示期满后方可确认"):
        household_award_confirm(
            award=award, person=main, bank_name="建设银行", bank_account="6217000000001234567"
        )


def _three_households(staff, **scheme_fields):
    """Three purchases of the 2,000 元 subsidy each, released; their awards and 主购房人 in purchase order."""
    household_scheme(publicity_days=5, **scheme_fields)
    buyers = [PersonFactory() for _ in range(3)]
    for buyer in buyers:
        purchase(buyers=[buyer], deed_tax=Decimal("4000.00"))
    with time_machine.travel(RELEASED_ON, tick=False):
        run = matching.match_run_execute()
        awards_review_bulk(awards=list(run.awards.all()), user=staff, approve=True)
        run_release(run=run, user=staff)
    awards = list(Award.objects.select_related("purchase").order_by("purchase_id"))
    return awards, buyers


def _card(award, person, account="6217000000001234567"):
    return HouseholdConfirmation(award=award, person=person, bank_name="建设银行", bank_account=account)


def test_many_households_confirmed_at_once_wait_in_the_order_handed_in_as_one_by_one_would(staff):
    awards, buyers = _three_households(
        staff, allocation=Allocation.FIRST_CONFIRMED, budget=Decimal("4000.00")
    )
    handed_in = [2, 0, 1]

    with time_machine.travel(AFTER_PUBLICITY, tick=False):
        confirmed = household_awards_confirm(confirmations=[_card(awards[i], buyers[i]) for i in handed_in])

    assert [a.pk for a in confirmed] == [awards[i].pk for i in handed_in]
    by_pk = {a.pk: a for a in Award.objects.all()}
    assert [(by_pk[awards[i].pk].status, by_pk[awards[i].pk].waitlisted) for i in handed_in] == [
        (AwardStatus.CONFIRMED, False),
        (AwardStatus.CONFIRMED, False),
        (AwardStatus.CONFIRMED, True),
    ]
    scheme = awards[0].scheme
    scheme.refresh_from_db()
    assert scheme.committed == Decimal("4000.00")
    last = by_pk[awards[1].pk]
    assert [(e.to_status, e.note) for e in last.events.order_by("id")][-2:] == [
        (AwardStatus.AWAITING, f"公示期至 {last.publicity_to} 届满，等待购房人确认"),
        (AwardStatus.CONFIRMED, f"购房人 {buyers[1].masked_name} 确认接受补贴；预算已用尽，列入候补"),
    ]


def test_one_refused_confirmation_among_many_refuses_them_all_and_names_its_contract(staff):
    awards, buyers = _three_households(staff)

    with time_machine.travel(AFTER_PUBLICITY, tick=False):
        with pytest.raises(AwardError, match=f"购房合同 {awards[1].purchase.contract_no}：银行账号应为"):
            household_awards_confirm(
                confirmations=[
                    _card(awards[0], buyers[0]),
                    _card(awards[1], buyers[1], account="12-34"),
                    _card(awards[2], buyers[2]),
                ]
            )
        with pytest.raises(AwardError, match="同一兑现记录只能确认一次"):
            household_awards_confirm(confirmations=[_card(awards[0], buyers[0])] * 2)
        with pytest.raises(AwardError, match=f"购房合同 {awards[2].purchase.contract_no}：只有该购房记录"):
            household_awards_confirm(confirmations=[_card(awards[0], buyers[0]), _card(awards[2], buyers[0])])

    assert {(a.status, a.bank_account) for a in Award.objects.all()} == {(AwardStatus.PUBLICIZED, "")}
    assert all(a.events.count() == 2 for a in Award.objects.all())
    assert awards[0].scheme.__class__.objects.get().committed == 0


def test_a_buyer_declines_a_household_award_saying_why(household, staff):
    _scheme, _home, main, _spouse = household
    award = _released(staff)

    with time_machine.travel(AFTER_PUBLICITY, tick=False):
        award = household_award_decline(award=award, person=main, reason="已享受其他购房补贴")

    assert (award.status, award.reason) == (AwardStatus.DECLINED, "已享受其他购房补贴")


def test_enterprise_and_household_awards_are_paid_in_separate_batches(household, staff):
    _scheme, _home, main, _spouse = household
    award = _released(staff)
    with time_machine.travel(AFTER_PUBLICITY, tick=False):
        household_award_confirm(
            award=award, person=main, bank_name="建设银行", bank_account="6217000000001234567"
        )
    firm_award = PublicizedAwardFactory(status=AwardStatus.CONFIRMED, bank_account="1702020109000123456")

    with pytest.raises(AwardError, match="须分批拨付"):
        payment_batch_create(awards=[award, firm_award], user=staff, title="混合批次")
    assert not HousePurchase.objects.filter(paid_at__isnull=False).exists()


def test_the_publicity_list_of_a_household_scheme_shows_masked_buyers_only(household, staff, client):
    scheme, _home, _main, _spouse = household
    _released(staff)

    with time_machine.travel(RELEASED_ON, tick=False):
        page = client.get(f"/publicity/{scheme.code}/").content.decode()

    assert "张*明" in page and "4101**********1233" in page
    assert "张三明" not in page and "410105199001011233" not in page and "李娜" not in page
    assert "1 户购房家庭" in page
    with time_machine.travel(RELEASED_ON, tick=False):
        lists = client.get("/publicity/").content.decode()
    assert "1 户购房家庭，合计 2,000.00 元" in lists


def test_the_award_admin_filters_by_beneficiary_and_shows_a_household_masked(household, staff, client):
    _released(staff)
    PublicizedAwardFactory()
    client.force_login(staff)

    listing = client.get(
        "/admin/subsidies/award/", {"scheme__beneficiary": Beneficiary.HOUSEHOLDS}
    ).content.decode()
    award = Award.objects.get(purchase__isnull=False)
    detail = client.get(f"/admin/subsidies/award/{award.pk}/change/").content.decode()

    assert "张*明（4101**********1233）" in listing
    assert listing.count('class="action-select"') == 1
    assert "张*明（4101**********1233）、李*" in detail
    assert "张三明" not in listing + detail and "410105199001011233" not in listing + detail


def test_a_resident_reads_the_released_awards_of_every_purchase_they_bought_in_few_queries(
    household, staff, django_assert_num_queries
):
    _scheme, _home, main, spouse = household
    award = _released(staff)
    other = purchase(buyers=[PersonFactory()])
    Award.objects.create(
        scheme=award.scheme, purchase=other, period="2023", computed_amount=1, amount=1, status="publicized"
    )
    candidate_home = purchase(buyers=[spouse])
    Award.objects.create(
        scheme=award.scheme, purchase=candidate_home, period="2023", computed_amount=1, amount=1
    )

    with django_assert_num_queries(2):
        mine = list(selectors.household_awards_of(person=spouse))
        labels = [a.beneficiary_label for a in mine]

    assert [a.pk for a in mine] == [award.pk]  # not another household's, not a candidate under review
    assert labels == ["张*明（4101**********1233）"]
    assert [a.pk for a in selectors.household_awards_of(person=main)] == [award.pk]


def test_the_residents_purge_keeps_a_subsidized_purchase_as_the_payment_record_without_personal_data(
    household, staff
):
    from portal.residents.services import resident_data_purge

    _scheme, home, main, spouse = household
    award = _released(staff)
    Award.objects.filter(pk=award.pk).update(bank_account_name="张三明", bank_account="6222020200112233445")
    HousePurchase.objects.filter(pk=home.pk).update(paid_at=AFTER_PUBLICITY)
    unsubsidized = purchase(buyers=[PersonFactory()])
    HousePurchase.objects.filter(pk=unsubsidized.pk).update(paid_at=AFTER_PUBLICITY)
    now = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)

    counts = resident_data_purge(now=now)

    assert (counts["purchases"], counts["purchases_cleared"], counts["persons"]) == (1, 1, 3)
    # The payment's record stays: the award, its amount, the purchase's contract; the people do not.
    assert list(HousePurchase.objects.values_list("pk", flat=True)) == [home.pk]
    home.refresh_from_db()
    assert (home.address, home.personal_data_cleared_at) == ("", now)
    assert not Person.objects.filter(pk__in=[main.pk, spouse.pk]).exists()
    award = Award.objects.get()
    assert (award.purchase_id, award.amount) == (home.pk, award.computed_amount)
    assert (award.bank_account_name, award.bank_account) == ("", "")
    assert award.beneficiary_label == home.contract_no
    # Run again: nothing left to clear.
    assert resident_data_purge(now=now)["purchases_cleared"] == 0


def test_staff_read_a_household_award_through_the_api_masked(household, staff, client):
    award = _released(staff)
    client.force_login(staff)

    row = next(r for r in client.get("/api/v1/awards/").json()["results"] if r["id"] == award.pk)

    assert (row["enterprise"], row["household"]) == (None, "张*明（4101**********1233）")
