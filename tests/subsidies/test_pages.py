import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from subsidies.models import AwardStatus
from subsidies.rules import explain
from subsidies.variables import variable_specs
from tests.factories import EnterpriseUserFactory
from tests.subsidies.award_factories import (
    AwardFactory,
    AwardSchemeFactory,
    PublicizedAwardFactory,
    bank_details,
    fast_passwords,  # noqa: F401 - a fixture
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


def page(client, url, **kwargs):
    response = client.get(url, **kwargs)
    return response, response.content.decode()


# — the awards block on /me/ —


def _award_queries(client, url: str) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in queries.captured_queries if "subsidies_award" in q["sql"]]


def test_the_dashboard_keeps_its_award_counts_until_an_award_changes(client, owner):
    award = PublicizedAwardFactory(enterprise=owner.enterprise)
    client.force_login(owner)
    assert "1 项兑现待您确认" in page(client, "/me/")[1]
    assert _award_queries(client, "/me/") == []

    client.post(f"/me/awards/{award.pk}/confirm/", {**bank_details(award), "agree": "on"})

    _, html = page(client, "/me/")
    assert "待您确认" not in html
    assert "已确认待拨付 1" in html


def test_the_dashboard_shows_a_publicity_ended_overnight_the_next_morning(client, owner):
    today = timezone.localdate()
    PublicizedAwardFactory(
        enterprise=owner.enterprise, publicity_from=today - dt.timedelta(days=6), publicity_to=today
    )
    client.force_login(owner)
    assert "公示中 1" in page(client, "/me/")[1]

    tomorrow = dt.datetime.combine(
        today + dt.timedelta(days=1), dt.time(9), tzinfo=timezone.get_current_timezone()
    )
    with time_machine.travel(tomorrow, tick=False):
        client.force_login(owner)
        html = page(client, "/me/")[1]

    assert "1 项兑现待您确认" in html
    assert "公示中 0" in html


def test_the_award_pages_name_the_scheme_as_it_stands_without_joining_it_each_time(client, owner):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    award = PublicizedAwardFactory(enterprise=owner.enterprise, scheme__title="研发费用后补助")
    client.force_login(owner)
    assert "研发费用后补助" in page(client, f"/me/awards/{award.pk}/")[1]
    assert "研发费用后补助" in page(client, "/me/awards/")[1]

    with CaptureQueriesContext(connection) as queries:
        client.get(f"/me/awards/{award.pk}/")
        client.get("/me/awards/")
    assert not [q for q in queries.captured_queries if "subsidies_scheme" in q["sql"]]

    award.scheme.title = "研发费用增量后补助"
    award.scheme.save()

    assert "研发费用增量后补助" in page(client, f"/me/awards/{award.pk}/")[1]
    assert "研发费用增量后补助" in page(client, "/me/awards/")[1]


def test_a_scheme_newer_than_the_kept_ones_is_read_from_the_database(client, owner):
    from subsidies.models import Award, Scheme
    from subsidies.selectors import schemes_held

    first = PublicizedAwardFactory(enterprise=owner.enterprise)
    client.force_login(owner)
    client.get("/me/awards/")
    assert first.scheme_id in schemes_held()
    # Written in bulk: no signal moves the generation on, the kept schemes do not know it.
    scheme = AwardSchemeFactory.build(code="bulk-2026", title="批量写入的方案", policy=first.scheme.policy)
    Scheme.objects.bulk_create([scheme])
    scheme = Scheme.objects.get(code="bulk-2026")
    Award.objects.bulk_create([PublicizedAwardFactory.build(enterprise=owner.enterprise, scheme=scheme)])
    award = Award.objects.get(scheme=scheme)
    assert scheme.pk not in schemes_held()

    assert "批量写入的方案" in page(client, f"/me/awards/{award.pk}/")[1]
    assert "批量写入的方案" in page(client, "/me/awards/")[1]


# — /me/awards/ —


def test_an_enterprise_sees_only_its_own_released_awards(client, owner):
    mine = PublicizedAwardFactory(enterprise=owner.enterprise, scheme__title="研发费用后补助")
    AwardFactory(enterprise=owner.enterprise, scheme__title="尚未审核的方案")
    AwardFactory(enterprise=owner.enterprise, status="rejected", scheme__title="审核未通过的方案")
    PublicizedAwardFactory(scheme__title="别家企业的方案")
    client.force_login(owner)

    response, html = page(client, "/me/awards/")

    assert response.status_code == 200
    assert "研发费用后补助" in html
    assert f'href="/me/awards/{mine.pk}/"' in html
    assert "研发费用 350 万元，不低于 100 万元" in html
    for hidden in ("尚未审核的方案", "审核未通过的方案", "别家企业的方案"):
        assert hidden not in html


def test_another_enterprises_award_is_not_found(client, owner):
    other = PublicizedAwardFactory()
    client.force_login(owner)

    assert client.get(f"/me/awards/{other.pk}/").status_code == 404
    assert client.post(f"/me/awards/{other.pk}/confirm/", bank_details(other)).status_code == 404


def test_the_awards_page_costs_the_same_queries_for_one_award_or_many(client, owner, empty_cache):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    PublicizedAwardFactory(enterprise=owner.enterprise)
    client.force_login(owner)
    # Both views with nothing kept: the worst case each time.
    empty_cache()
    with CaptureQueriesContext(connection) as one:
        client.get("/me/awards/")
    PublicizedAwardFactory.create_batch(6, enterprise=owner.enterprise)
    empty_cache()
    with CaptureQueriesContext(connection) as seven:
        client.get("/me/awards/")

    assert len(seven) == len(one) <= 14


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/me/awards/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_staff_are_sent_to_the_admin_list_of_awards(client, staff):
    client.force_login(staff)

    assert client.get("/me/awards/").url == "/admin/subsidies/award/"


# — an award's page —


def test_the_award_page_says_why_and_how_much(client, owner):
    award = PublicizedAwardFactory(enterprise=owner.enterprise, amount=Decimal("66666.66"))
    client.force_login(owner)

    _, html = page(client, f"/me/awards/{award.pk}/")

    assert "66,666.66 元" in html
    assert "按政策核定 100,000.00 元" in html
    assert '<li class="pass">研发费用 350 万元，不低于 100 万元</li>' in html
    assert "符合全部条件" in html
    assert "0371-67980001" in html
    assert 'id="confirm-form"' in html


def test_the_award_page_shows_the_branch_of_an_or_that_passed_and_folds_the_other(client, owner):
    rule = {
        "or": [
            {"in": ["high_tech", {"var": "qualifications"}]},
            {">=": [{"var": "rd_expense"}, 500]},
        ]
    }
    explanation = explain(rule, {"qualifications": ["high_tech"], "rd_expense": 350}, variable_specs())
    award = PublicizedAwardFactory(enterprise=owner.enterprise, explanation=explanation.as_dict())
    client.force_login(owner)

    _, html = page(client, f"/me/awards/{award.pk}/")

    why = html[html.index('id="why"') :]
    shown, folded = why.split('<details class="trace-others">', 1)
    assert '<li class="pass">贵企业已获得高新技术企业资质</li>' in shown
    assert "研发费用" not in shown
    assert '<li class="fail">研发费用 350 万元，要求不低于 500 万元</li>' in folded
    assert "资质按 2022年12月31日 计" in why


def test_the_owner_confirms_an_award_on_its_page(client, owner):
    award = PublicizedAwardFactory(enterprise=owner.enterprise)
    client.force_login(owner)

    response = client.post(f"/me/awards/{award.pk}/confirm/", {**bank_details(award), "agree": "on"})

    assert response.status_code == 302
    award.refresh_from_db()
    assert award.status == AwardStatus.CONFIRMED
    _, html = page(client, f"/me/awards/{award.pk}/")
    assert "已确认，兑现资金将拨付至尾号 3456 的账户。" in html
    assert "**** **** 3456" in html
    assert "1702020109000123456" not in html


def test_a_confirmation_with_a_bad_account_shows_the_error_in_chinese(client, owner):
    award = PublicizedAwardFactory(enterprise=owner.enterprise)
    client.force_login(owner)

    response = client.post(
        f"/me/awards/{award.pk}/confirm/", {**bank_details(award), "bank_account": "12-34", "agree": "on"}
    )

    assert response.status_code == 400
    assert "银行账号应为 8 至 30 位数字。" in response.content.decode()
    award.refresh_from_db()
    assert award.status == AwardStatus.PUBLICIZED


def test_a_confirmation_needs_the_declaration_ticked(client, owner):
    award = PublicizedAwardFactory(enterprise=owner.enterprise)
    client.force_login(owner)

    response = client.post(f"/me/awards/{award.pk}/confirm/", bank_details(award))

    assert "请勾选确认声明。" in response.content.decode()


def test_an_agent_reads_the_award_but_cannot_confirm_it(client):
    award = PublicizedAwardFactory()
    agent = EnterpriseUserFactory(enterprise=award.enterprise, enterprise_role="agent")
    client.force_login(agent)

    _, html = page(client, f"/me/awards/{award.pk}/")
    assert "研发费用 350 万元，不低于 100 万元" in html
    assert 'id="confirm-form"' not in html
    assert "确认或放弃须由企业法定代表人账号操作" in html

    response = client.post(f"/me/awards/{award.pk}/confirm/", {**bank_details(award), "agree": "on"})
    assert response.status_code == 403
    assert "只有企业法定代表人账号可以确认或放弃兑现" in response.content.decode()
    assert client.post(f"/me/awards/{award.pk}/decline/").status_code == 403
    award.refresh_from_db()
    assert award.status == AwardStatus.PUBLICIZED


@time_machine.travel(dt.datetime(2023, 3, 6, 2, tzinfo=dt.UTC), tick=False)
def test_during_publicity_the_page_says_when_confirming_opens(client, owner):
    award = PublicizedAwardFactory(enterprise=owner.enterprise, publicity_to=dt.date(2023, 3, 7))
    client.force_login(owner)

    _, html = page(client, f"/me/awards/{award.pk}/")

    assert "公示期至 2023-03-07 结束，期满无异议后可确认并填写收款账户。" in html
    assert 'id="confirm-form"' not in html
    assert 'id="decline-form"' in html


def test_the_owner_declines_an_award(client, owner):
    award = PublicizedAwardFactory(enterprise=owner.enterprise)
    client.force_login(owner)

    response = client.post(
        f"/me/awards/{award.pk}/decline/", {"reason": "已享受同类市级补助", "understood": "on"}
    )

    assert response.status_code == 302
    award.refresh_from_db()
    assert (award.status, award.reason) == ("declined", "已享受同类市级补助")


def test_declining_is_behind_a_disclosure_lighter_than_the_confirm_button(client, owner):
    award = PublicizedAwardFactory(enterprise=owner.enterprise)
    client.force_login(owner)

    _, html = page(client, f"/me/awards/{award.pk}/")

    assert '<details class="decline">' in html
    assert "<summary>不需要这项兑现？放弃兑现</summary>" in html
    assert '<button type="submit" class="btn-small">确认放弃</button>' in html
    assert '<button type="submit" class="btn">确认</button>' in html


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"understood": "on"}, "请填写放弃兑现的原因。"),
        ({"reason": "   ", "understood": "on"}, "请填写放弃兑现的原因。"),
        ({"reason": "已享受同类市级补助"}, "请勾选确认您已知悉放弃的后果。"),
    ],
)
def test_declining_without_a_reason_or_the_acknowledgement_changes_nothing(client, owner, data, error):
    award = PublicizedAwardFactory(enterprise=owner.enterprise)
    client.force_login(owner)

    response = client.post(f"/me/awards/{award.pk}/decline/", data)

    html = response.content.decode()
    assert response.status_code == 400
    assert f"：{error}</a></li>" in html
    assert '<details class="decline" open>' in html
    award.refresh_from_db()
    assert award.status == AwardStatus.PUBLICIZED
    assert award.events.count() == 0


def test_confirming_a_paid_award_again_is_refused_with_the_reason(client, owner):
    award = PublicizedAwardFactory(enterprise=owner.enterprise, status="paid")
    client.force_login(owner)

    response = client.post(f"/me/awards/{award.pk}/confirm/", {**bank_details(award), "agree": "on"})

    assert response.status_code == 400
    assert "当前状态为“已拨付”的兑现记录不能确认。" in response.content.decode()


# — publicity —


@time_machine.travel(dt.datetime(2023, 3, 3, 2, tzinfo=dt.UTC), tick=False)
def test_the_publicity_page_lists_awards_in_their_publicity_period_with_the_objection_contact(client):
    scheme = AwardSchemeFactory(title="高新技术企业认定奖励", policy__guide_phone="0371-67980011")
    PublicizedAwardFactory(
        scheme=scheme, enterprise__name="郑州梧桐智能科技有限公司", amount=Decimal("300000")
    )
    PublicizedAwardFactory(
        scheme=scheme, enterprise__name="郑州枫杨生物医药有限公司", amount=Decimal("100000")
    )
    PublicizedAwardFactory(
        scheme__title="已过公示期的方案", publicity_from=dt.date(2023, 2, 1), publicity_to=dt.date(2023, 2, 7)
    )
    PublicizedAwardFactory(scheme=scheme, status="confirmed", enterprise__name="已确认企业")

    _, html = page(client, "/publicity/")
    assert "高新技术企业认定奖励" in html
    assert "2 家企业，合计 400,000.00 元" in html
    assert "0371-67980011" in html
    assert "已过公示期的方案" not in html

    _, html = page(client, f"/publicity/{scheme.code}/")
    assert "郑州梧桐智能科技有限公司" in html
    assert "300,000.00" in html
    assert "已确认企业" not in html
    assert "9141" not in html  # no credit codes: names and amounts only

    _, html = page(client, f"/publicity/{scheme.code}/", data={"q": "枫杨"})
    assert "郑州枫杨生物医药有限公司" in html
    assert "郑州梧桐智能科技有限公司" not in html
    assert 'maxlength="100"' in html

    # A pasted text longer than any name is cut, and the page says so.
    _, html = page(client, f"/publicity/{scheme.code}/", data={"q": "郑州枫杨" + "生" * 200})
    assert "检索词过长，已按前 100 个字检索。" in html


def test_a_scheme_not_in_publicity_has_no_list(client):
    scheme = AwardSchemeFactory()

    assert client.get(f"/publicity/{scheme.code}/").status_code == 404


# — shared pages —


def test_the_dashboard_tells_the_enterprise_what_waits_for_it(client, owner):
    PublicizedAwardFactory(enterprise=owner.enterprise, scheme__title="高新技术企业认定奖励")
    PublicizedAwardFactory(enterprise=owner.enterprise, status="paid", amount=Decimal("20000"))
    client.force_login(owner)

    _, html = page(client, "/me/")

    assert "1 项兑现待您确认" in html
    assert "已拨付 1（20,000.00 元）" in html
    assert "高新技术企业认定奖励" in html


def test_the_home_page_shows_the_lists_in_publicity(client):
    today = timezone.localdate()
    PublicizedAwardFactory(
        scheme__title="科技型中小企业培育奖励",
        publicity_from=today,
        publicity_to=today + dt.timedelta(days=7),
    )

    _, html = page(client, "/")

    assert "科技型中小企业培育奖励" in html
    assert "1 家企业，合计 100,000.00 元" in html


def test_the_policy_section_lists_its_schemes_and_the_enterprises_own_award(rf, owner):
    from django.template.loader import render_to_string

    from subsidies.sections import policy_schemes

    scheme = AwardSchemeFactory(title="研发费用后补助", cap_per_enterprise=Decimal("2000000"))
    AwardSchemeFactory(policy=scheme.policy, title="草稿方案", status="draft")
    award = PublicizedAwardFactory(scheme=scheme, enterprise=owner.enterprise, amount=Decimal("35000"))
    request = rf.get("/")
    request.user = owner

    section = policy_schemes(request, scheme.policy)

    assert [s.title for s in section["schemes"]] == ["研发费用后补助"]
    html = render_to_string(section["template"], {"section": section}, request=request)
    assert "单户最高 2,000,000.00 元" in html
    assert "无需申请" in html
    assert f'href="/me/awards/{award.pk}/"' in html
    assert "本企业：35,000.00 元（公示中）" in html


def test_a_policy_without_schemes_has_no_section(rf):
    from subsidies.sections import policy_schemes
    from tests.subsidies.award_factories import AwardPolicyFactory

    request = rf.get("/")
    request.user = AnonymousUser()

    assert policy_schemes(request, AwardPolicyFactory()) is None
