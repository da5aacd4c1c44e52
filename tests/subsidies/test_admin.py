import datetime as dt
from decimal import Decimal

import pytest
import time_machine
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
AFTER_PUBLICITY = dt.datetime(2023, 8, 20, 10, tzinfo=dt.UTC)
BANK = {"bank_name": "中国工商银行", "bank_account_name": "企业", "bank_account": "1702020109000123456"}


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

    page = client.get(f"/admin/subsidies/paymentbatch/{batch.pk}/change/").content.decode()
    assert f'<form method="post" action="/admin/subsidies/paymentbatch/{batch.pk}/export/csv/"' in page
    csv = client.post(f"/admin/subsidies/paymentbatch/{batch.pk}/export/csv/")
    assert csv["Content-Type"] == "text/csv; charset=utf-8"
    assert "6216610200016587" in csv.getvalue().decode("utf-8-sig")
    xlsx = client.post(f"/admin/subsidies/paymentbatch/{batch.pk}/export/xlsx/")
    assert xlsx.getvalue()[:2] == b"PK"
    assert list(batch.exports.order_by("pk").values_list("exported_by", "fmt")) == [
        (staff.pk, "csv"),
        (staff.pk, "xlsx"),
    ]

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

    assert "研发费用 350 万元，不低于 100 万元" in page
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
    assert client.post(f"/admin/subsidies/paymentbatch/{batch.pk}/export/csv/").status_code == 403
    award.refresh_from_db()
    batch.refresh_from_db()
    assert (award.status, award.events.count()) == ("candidate", 0)
    assert (batch.status, batch.exported_at) == ("draft", None)


# — schemes: the rule builder and the preview —


def scheme_post(policy, **overrides):
    data = {
        "policy": policy.pk,
        "code": "rd-builder-2022",
        "title": "研发费用增量后补助",
        "mode": "automatic",
        "status": "active",
        "facts_year": "2022",
        "reference_date": "",
        "period": "2023",
        "eligibility_mode": "builder",
        "combinator": "and",
        "cond_0_variable": "rd_expense",
        "cond_0_op": ">=",
        "cond_0_value": "100",
        "cond_1_variable": "rd_expense",
        "cond_1_op": ">",
        "cond_1_other": "prev.rd_expense",
        "cond_2_variable": "qualifications",
        "cond_2_op": "holds",
        "cond_2_value": "高新技术企业",
        "cond_3_variable": "credit_rating",
        "cond_3_op": "in",
        "cond_3_value": "A, B",
        "cond_4_variable": "is_above_scale",
        "cond_4_op": "true",
        "eligibility_json": "",
        "amount_kind": "product",
        "amount_variable": "rd_expense",
        "amount_minus": "prev.rd_expense",
        "amount_factor": "1000",
        "amount_json": "",
        "cap_per_enterprise": "2000000",
        "budget": "30000000",
        "allocation": "pro_rata",
        "exclusive_group": "",
        "publicity_days": "5",
    }
    data.update(overrides)
    return data


def test_staff_build_a_scheme_rule_in_the_form_and_it_is_saved_as_jsonlogic(client, staff):
    from subsidies.models import Scheme
    from tests.subsidies.award_factories import AwardPolicyFactory

    policy = AwardPolicyFactory()
    client.force_login(staff)

    response = client.post("/admin/subsidies/scheme/add/", scheme_post(policy))

    assert response.status_code == 302, response.content.decode()[:2000]
    scheme = Scheme.objects.get(code="rd-builder-2022")
    assert scheme.eligibility == {
        "and": [
            {">=": [{"var": "rd_expense"}, 100]},
            {">": [{"var": "rd_expense"}, {"var": "prev.rd_expense"}]},
            {"in": ["high_tech", {"var": "qualifications"}]},
            {"in": [{"var": "credit_rating"}, ["A", "B"]]},
            {"var": "is_above_scale"},
        ]
    }
    assert scheme.amount_rule == {"*": [{"-": [{"var": "rd_expense"}, {"var": "prev.rd_expense"}]}, 1000]}
    assert scheme.reference_date == dt.date(2022, 12, 31)

    page = client.get(f"/admin/subsidies/scheme/{scheme.pk}/change/").content.decode()
    assert '<option value="prev.rd_expense" selected>' in page
    assert 'name="cond_3_value" value="A, B"' in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"cond_0_value": "一百"}, "“一百”不是数字。"),
        ({"cond_0_value": ""}, "条件“研发费用”缺少比较值。"),
        ({"cond_2_value": "诺贝尔奖"}, "未知资质“诺贝尔奖”"),
        (
            {"eligibility_mode": "json", "eligibility_json": '{">=": [{"var": "profit"}, 1]}'},
            "资格规则：",
        ),
        ({"amount_kind": "json", "amount_json": '{"*": [{"var": "rd_expense"}'}, "规则不是合法的 JSON"),
    ],
)
def test_a_bad_rule_is_refused_with_a_chinese_message_and_nothing_is_saved(overrides, message, client, staff):
    from subsidies.models import Scheme
    from tests.subsidies.award_factories import AwardPolicyFactory

    client.force_login(staff)

    response = client.post("/admin/subsidies/scheme/add/", scheme_post(AwardPolicyFactory(), **overrides))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Scheme.objects.filter(code="rd-builder-2022").exists()


def test_a_nested_rule_is_edited_as_a_formula(client, staff):
    from tests.subsidies.award_factories import AwardSchemeFactory

    scheme = AwardSchemeFactory(
        eligibility={"or": [{"and": [{"var": "is_above_scale"}, {">": [{"var": "employees"}, 10]}]}, False]}
    )
    client.force_login(staff)

    page = client.get(f"/admin/subsidies/scheme/{scheme.pk}/change/").content.decode()

    assert '<option value="formula" selected>' in page
    assert "(is_above_scale 且 employees &gt; 10) 或 否</textarea>" in page


def test_a_rule_neither_rows_nor_a_formula_can_write_is_edited_as_jsonlogic(client, staff):
    from tests.subsidies.award_factories import AwardSchemeFactory

    scheme = AwardSchemeFactory(eligibility={">=": [{"var": ["rd_expense", 0]}, 100]})
    client.force_login(staff)

    page = client.get(f"/admin/subsidies/scheme/{scheme.pk}/change/").content.decode()

    assert "该资格规则无法用条件行或公式表示，请直接编辑 JsonLogic。" in page
    assert '<option value="json" selected>' in page


def test_staff_try_a_scheme_on_an_enterprise_and_read_the_trace(client, staff):
    from tests.factories import AnnualReportFactory, EnterpriseFactory
    from tests.subsidies.award_factories import AwardSchemeFactory

    scheme = AwardSchemeFactory(
        eligibility={">=": [{"var": "rd_expense"}, 100]},
        amount_rule={"*": [{"var": "rd_expense"}, 100]},
    )
    enterprise = EnterpriseFactory(name="郑州试算科技有限公司")
    AnnualReportFactory(enterprise=enterprise, year=2022, rd_expense=Decimal("350"))
    client.force_login(staff)

    page = client.get(
        f"/admin/subsidies/scheme/{scheme.pk}/preview/", {"uscc": enterprise.uscc}
    ).content.decode()

    assert "郑州试算科技有限公司" in page
    assert "应兑现 35,000.00 元" in page
    assert "2022 年研发费用 350 万元，不低于 100 万元" in page
    assert "未找到" not in page
    missing = client.get(f"/admin/subsidies/scheme/{scheme.pk}/preview/", {"uscc": "不存在的企业"})
    assert "企业档案中没有找到该企业。" in missing.content.decode()


def test_staff_allocate_an_over_subscribed_scheme_from_the_list(client, staff):
    from tests.subsidies.award_factories import AwardSchemeFactory

    scheme = AwardSchemeFactory(budget=Decimal("150000.00"))
    AwardFactory.create_batch(2, scheme=scheme, status="approved")
    client.force_login(staff)

    act(client, "/admin/subsidies/scheme/", "allocate", [scheme])

    assert list(Award.objects.values_list("amount", flat=True)) == [Decimal("75000.00")] * 2


def test_the_admin_lists_show_money_in_yuan_with_thousands_separators(client, staff):
    award = AwardFactory(computed_amount=Decimal("1234567.50"), amount=Decimal("1000000.00"))
    award.scheme.budget = Decimal("25000000.00")
    award.scheme.save()
    confirmed = PublicizedAwardFactory(status="confirmed", amount=Decimal("88888.80"), **BANK)
    batch = payment_batch_create(awards=[confirmed], user=staff, title="第一批")
    client.force_login(staff)

    awards = client.get(AWARDS).content.decode()
    schemes = client.get("/admin/subsidies/scheme/").content.decode()
    batches = client.get("/admin/subsidies/paymentbatch/").content.decode()
    one_batch = client.get(f"/admin/subsidies/paymentbatch/{batch.pk}/change/").content.decode()

    assert "1,234,567.50 元" in awards
    assert "1,000,000.00 元" in awards
    assert "25,000,000.00 元" in schemes
    assert "88,888.80 元" in batches
    assert "88,888.80 元" in one_batch


def test_opening_the_export_address_with_get_changes_nothing(client, staff):
    award = PublicizedAwardFactory(status="confirmed")
    award.bank_account = "6216610200016587"
    award.save()
    batch = payment_batch_create(awards=[award], user=staff, title="第一批")
    client.force_login(staff)

    response = client.get(f"/admin/subsidies/paymentbatch/{batch.pk}/export/csv/")

    batch.refresh_from_db()
    assert response.status_code == 405
    assert (batch.status, batch.exported_at, batch.exports.count()) == ("draft", None, 0)


# — households: a buyer's confirmation handed in on paper —


@pytest.fixture
def household_award(staff):
    """A household award of 张三明 (主购房人) and 李娜 whose publicity ended on 2023-08-06."""
    from subsidies import matching
    from subsidies.services import awards_review_bulk, run_release
    from tests.residents.factories import PersonFactory
    from tests.subsidies.household_factories import household_scheme, purchase

    household_scheme(publicity_days=5)
    main = PersonFactory(name="张三明", id_number="410105199001011233")
    spouse = PersonFactory(name="李娜")
    purchase(buyers=[main, spouse], deed_tax=Decimal("4000.00"))
    with time_machine.travel(dt.datetime(2023, 8, 1, 10, tzinfo=dt.UTC), tick=False):
        run = matching.match_run_execute()
        awards_review_bulk(awards=list(run.awards.all()), user=staff, approve=True)
        run_release(run=run, user=staff)
    return Award.objects.get(), main, spouse


HOUSEHOLD_CARD = {
    "bank_name": "中国银行郑州高新区支行",
    "bank_account": "6216 6100 0000 1234 567",
    "agree": "on",
}


def test_staff_record_a_buyers_paper_confirmation_choosing_the_buyer_who_signed(
    client, staff, household_award
):
    award, _main, spouse = household_award
    client.force_login(staff)

    with time_machine.travel(AFTER_PUBLICITY, tick=False):
        assert "录入线下确认" in client.get(f"{AWARDS}{award.pk}/change/").content.decode()
        form = client.get(f"{AWARDS}{award.pk}/offline-confirm/").content.decode()
        response = client.post(f"{AWARDS}{award.pk}/offline-confirm/", {"buyer": spouse.pk, **HOUSEHOLD_CARD})

    # The buyers are offered masked, 主购房人 first; the names and ID numbers are never shown whole.
    assert form.index("张*明（4101**********1233），主购房人") < form.index("李*")
    assert "410105199001011233" not in form and "张三明" not in form
    # The way back names the scheme, the contract and the period; the closing sentence takes no colon.
    assert f"新建商品住房契税补贴 · {award.purchase.contract_no} · 2023</a>" in form
    assert "一致。:" not in form and "一致。</label>" in form
    assert response.status_code == 302
    award.refresh_from_db()
    assert (award.status, award.confirmed_by, award.bank_name) == (
        "confirmed",
        staff,
        "中国银行郑州高新区支行",
    )
    assert (award.bank_account_name, award.bank_account) == ("李娜", "6216610000001234567")
    event = award.events.get(to_status="confirmed")
    assert (event.actor, event.note) == (staff, "购房人 李* 确认接受补贴（线下确认，工作人员代录）")


def test_a_paper_confirmation_the_service_refuses_is_explained_in_chinese_on_the_admin_page(
    client, staff, household_award
):
    award, main, _spouse = household_award
    client.force_login(staff)

    # Still in publicity on 2023-08-03.
    with time_machine.travel(dt.datetime(2023, 8, 3, 10, tzinfo=dt.UTC), tick=False):
        early = client.post(f"{AWARDS}{award.pk}/offline-confirm/", {"buyer": main.pk, **HOUSEHOLD_CARD})
    with time_machine.travel(AFTER_PUBLICITY, tick=False):
        stranger = client.post(f"{AWARDS}{award.pk}/offline-confirm/", {"buyer": 999999, **HOUSEHOLD_CARD})
        unticked = client.post(
            f"{AWARDS}{award.pk}/offline-confirm/",
            {"buyer": main.pk, "bank_name": "建设银行", "bank_account": "12"},
        )

    assert early.status_code == 200
    assert "公示期满后方可确认" in early.content.decode()
    assert "请从该购房记录的购房人中选择。" in stranger.content.decode()
    page = unticked.content.decode()
    assert "银行账号应为 8 至 30 位数字。" in page and "请勾选确认已收到确认书原件并核对身份。" in page
    award.refresh_from_db()
    assert (award.status, award.events.filter(to_status="confirmed").count()) == ("publicized", 0)


def test_only_staff_with_the_change_permission_on_awards_record_a_buyers_paper_confirmation(
    client, household_award
):
    from django.contrib.auth.models import Permission

    from subsidies.services import AwardError, household_award_confirm

    award, main, _spouse = household_award
    reader = StaffFactory()
    reader.user_permissions.add(Permission.objects.get(codename="view_award"))
    client.force_login(reader)

    with time_machine.travel(AFTER_PUBLICITY, tick=False):
        posted = client.post(f"{AWARDS}{award.pk}/offline-confirm/", {"buyer": main.pk, **HOUSEHOLD_CARD})
        with pytest.raises(AwardError, match="只有有权办理兑现记录的工作人员可以代录购房人的线下确认"):
            household_award_confirm(
                award=award,
                person=main,
                bank_name="建设银行",
                bank_account="6217000000001234567",
                user=reader,
            )

    assert posted.status_code == 403
    award.refresh_from_db()
    assert (award.status, award.confirmed_by) == ("publicized", None)
