"""A resident's household subsidies: the block on the resident home, the award page, confirm and decline."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.residents.services import resident_user_for
from subsidies import matching
from subsidies.models import Award, AwardStatus
from subsidies.services import awards_review_bulk, run_release
from tests.residents.factories import PersonFactory
from tests.subsidies.award_factories import PublicizedAwardFactory
from tests.subsidies.household_factories import household_scheme, purchase

pytestmark = pytest.mark.django_db

RELEASED_ON = dt.datetime(2023, 8, 1, 10, tzinfo=dt.UTC)
IN_PUBLICITY = dt.datetime(2023, 8, 3, 10, tzinfo=dt.UTC)
CARD = "6216 6100 0000 1234 567"


def _release(staff) -> list[Award]:
    with time_machine.travel(RELEASED_ON, tick=False):
        run = matching.match_run_execute()
        awards_review_bulk(awards=list(run.awards.all()), user=staff, approve=True)
        run_release(run=run, user=staff)
    return list(Award.objects.order_by("pk"))


def _logged_in(client, person, *, privacy_accepted: bool = False):
    user = resident_user_for(person=person)
    if privacy_accepted:
        person.privacy_accepted_at = timezone.now()
        person.save(update_fields=["privacy_accepted_at"])
    client.force_login(user)
    return client


@pytest.fixture
def household(staff):
    """张三明 and 李娜's purchase, matched for 12,345.68 元 (half its deed tax), released on 2023-08-01."""
    household_scheme(publicity_days=5, cap_per_enterprise=Decimal("50000.00"), title="新建商品住房契税补贴")
    main = PersonFactory(name="张三明")
    spouse = PersonFactory(name="李娜")
    home = purchase(
        buyers=[main, spouse],
        deed_tax=Decimal("24691.36"),
        contract_no="ZZ2023-000123",
        address="郑州高新区梧桐街 8 号 2 单元 301",
    )
    [award] = _release(staff)
    return award, home, main, spouse


def test_the_resident_home_lists_the_households_subsidy(client, household):
    award, _home, _main, spouse = household

    page = _logged_in(client, spouse).get("/resident/").content.decode()

    block = page[page.index('id="household-awards"') :]
    assert "新建商品住房契税补贴" in block
    assert "ZZ2023-000123" in block
    assert "郑州高新区梧桐街 8 号 2 单元 301" in block
    assert "12,345.68 元" in block
    assert "公示期满待确认" in block
    assert "2023-08-01 — 2023-08-" in block
    assert "未拨付" in block
    assert f'href="/resident/awards/{award.pk}/"' in block


def test_a_resident_sees_no_other_households_subsidy_and_its_page_is_not_found(client, household, staff):
    award, _home, _main, _spouse = household
    stranger = PersonFactory(name="王德明")
    purchase(buyers=[stranger], deed_tax=None, deed_tax_paid_on=None)
    enterprise_award = PublicizedAwardFactory()
    _logged_in(client, stranger, privacy_accepted=True)

    home = client.get("/resident/").content.decode()
    assert "新建商品住房契税补贴" not in home
    assert "暂无购房补贴" in home
    for pk in (award.pk, enterprise_award.pk):
        assert client.get(f"/resident/awards/{pk}/").status_code == 404
        confirm = {"bank_name": "中国银行", "bank_account_name": "王德明", "bank_account": CARD}
        confirm["agree"] = "on"
        assert client.post(f"/resident/awards/{pk}/confirm/", confirm).status_code == 404
        decline = {"reason": "不需要", "understood": "on"}
        assert client.post(f"/resident/awards/{pk}/decline/", decline).status_code == 404
    award.refresh_from_db()
    assert award.status == AwardStatus.PUBLICIZED


def test_an_enterprise_login_is_not_shown_the_resident_award_page(client, household, owner):
    award, *_ = household
    client.force_login(owner)

    assert client.get(f"/resident/awards/{award.pk}/").status_code == 403


def test_the_award_page_explains_in_sentences_what_happens_next_and_the_hotline(client, household, settings):
    settings.SERVICE_HOTLINE = "0371-12345"
    award, _home, main, _spouse = household

    response = _logged_in(client, main).get(f"/resident/awards/{award.pk}/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "12,345.68 元" in page
    assert "符合全部条件" in page
    assert '<li class="pass">该套住房是新建商品房</li>' in page
    assert "购房合同签订日期 2023年3月15日，介于 2023年1月1日与 2023年6月30日之间（含）" in page
    assert "贵企业" not in page
    assert "公示期已满。请确认接受补贴" in page
    assert "0371-12345" in page[page.index('id="contact"') :]
    # The privacy notice comes first: a link to it (and back here), not the card form yet.
    assert 'id="confirm-form"' not in page
    assert f"/resident/privacy/?next=%2Fresident%2Fawards%2F{award.pk}%2F" in page


def test_during_publicity_the_page_says_when_it_can_be_confirmed(client, household):
    award, _home, main, _spouse = household
    _logged_in(client, main, privacy_accepted=True)

    with time_machine.travel(IN_PUBLICITY, tick=False):
        page = client.get(f"/resident/awards/{award.pk}/").content.decode()
        refused = client.post(
            f"/resident/awards/{award.pk}/confirm/",
            {"bank_name": "中国银行", "bank_account_name": "张三明", "bank_account": CARD, "agree": "on"},
        )

    assert "公示期至 2023-08-" in page
    assert 'id="confirm-form"' not in page
    assert refused.status_code == 400
    assert "公示期满后方可确认" in refused.content.decode()
    award.refresh_from_db()
    assert award.status == AwardStatus.PUBLICIZED


def test_confirming_before_the_privacy_notice_is_accepted_goes_to_it_and_back(client, household):
    award, _home, main, _spouse = household
    _logged_in(client, main)
    data = {"bank_name": "中国银行", "bank_account_name": "张三明", "bank_account": CARD, "agree": "on"}

    response = client.post(f"/resident/awards/{award.pk}/confirm/", data)

    assert response.status_code == 302
    assert response["Location"] == f"/resident/privacy/?next=%2Fresident%2Fawards%2F{award.pk}%2F"
    award.refresh_from_db()
    assert award.status == AwardStatus.PUBLICIZED
    accepted = client.post("/resident/privacy/", {"agree": "on", "next": f"/resident/awards/{award.pk}/"})
    assert accepted["Location"] == f"/resident/awards/{award.pk}/"
    assert 'id="confirm-form"' in client.get(accepted["Location"]).content.decode()


def test_the_account_must_be_in_the_buyers_own_name(client, household):
    award, _home, main, _spouse = household
    _logged_in(client, main, privacy_accepted=True)

    response = client.post(
        f"/resident/awards/{award.pk}/confirm/",
        {"bank_name": "中国银行", "bank_account_name": "李娜", "bank_account": CARD, "agree": "on"},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "账户名称须为您本人姓名“张三明”" in page
    assert 'class="site-header' in page
    award.refresh_from_db()
    assert (award.status, award.bank_account) == (AwardStatus.PUBLICIZED, "")


def test_a_buyer_confirms_with_a_bank_card_and_sees_it_masked(client, household):
    award, _home, _main, spouse = household
    _logged_in(client, spouse, privacy_accepted=True)

    response = client.post(
        f"/resident/awards/{award.pk}/confirm/",
        {"bank_name": "中国银行高新区支行", "bank_account_name": "李娜", "bank_account": CARD, "agree": "on"},
    )

    assert response.status_code == 302
    assert response["Location"] == f"/resident/awards/{award.pk}/"
    award.refresh_from_db()
    assert award.status == AwardStatus.CONFIRMED
    assert (award.bank_account_name, award.bank_account) == ("李娜", "6216610000001234567")
    spouse.refresh_from_db()
    assert award.confirmed_by == spouse.user
    page = client.get(response["Location"]).content.decode()
    assert "已确认，补贴资金将拨付至尾号 4567 的银行卡。" in page
    assert "**** **** 4567" in page
    assert "6216610000001234567" not in page
    assert 'id="confirm-form"' not in page
    assert '<span class="status s-confirmed">已确认</span>' in page
    assert "企业已确认" not in page
    assert "已确认，待拨付" in client.get("/resident/").content.decode()


def test_declining_asks_for_a_reason_and_the_acknowledgement(client, household):
    award, _home, main, _spouse = household
    _logged_in(client, main)

    refused = client.post(f"/resident/awards/{award.pk}/decline/", {"reason": "  "})
    assert refused.status_code == 400
    assert "请填写放弃兑现的原因。" in refused.content.decode()
    assert "请勾选确认您已知悉放弃的后果。" in refused.content.decode()
    award.refresh_from_db()
    assert award.status == AwardStatus.PUBLICIZED

    reason = {"reason": "已享受其他补贴", "understood": "on"}
    done = client.post(f"/resident/awards/{award.pk}/decline/", reason)
    assert done["Location"] == f"/resident/awards/{award.pk}/"
    award.refresh_from_db()
    assert (award.status, award.reason) == (AwardStatus.DECLINED, "已享受其他补贴")
    page = client.get(done["Location"]).content.decode()
    assert "您已放弃这笔补贴" in page
    assert '<span class="status s-declined">已放弃</span>' in page


def test_the_forms_need_the_csrf_token(household):
    award, _home, main, _spouse = household
    client = _logged_in(Client(enforce_csrf_checks=True), main, privacy_accepted=True)

    response = client.post(f"/resident/awards/{award.pk}/decline/", {"reason": "不需要", "understood": "on"})

    assert response.status_code == 403
    award.refresh_from_db()
    assert award.status == AwardStatus.PUBLICIZED


def _queries(client, path: str, empty_cache) -> int:
    """The queries of a view with nothing kept (the header's unread count): the worst case each time."""
    empty_cache()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_the_home_and_award_page_cost_the_same_queries_however_many_subsidies(client, staff, empty_cache):
    household_scheme(publicity_days=5)
    person = PersonFactory(name="张三明")
    purchase(buyers=[person, PersonFactory()], deed_tax=Decimal("4000.00"))
    [first] = _release(staff)
    _logged_in(client, person, privacy_accepted=True)
    one_home = _queries(client, "/resident/", empty_cache)
    one_page = _queries(client, f"/resident/awards/{first.pk}/", empty_cache)

    for _ in range(3):
        purchase(buyers=[person, PersonFactory(), PersonFactory()], deed_tax=Decimal("6000.00"))
    Award.objects.all().delete()
    awards = _release(staff)
    assert len(awards) == 4
    client.post(f"/resident/awards/{awards[0].pk}/decline/", {"reason": "不需要", "understood": "on"})

    assert _queries(client, "/resident/", empty_cache) == one_home
    assert _queries(client, f"/resident/awards/{awards[0].pk}/", empty_cache) == one_page


def test_in_english_mode_the_award_page_and_its_errors_are_in_english(client, household):
    award, _home, main, _spouse = household
    _logged_in(client, main, privacy_accepted=True)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    page = client.get(f"/resident/awards/{award.pk}/").content.decode()
    refused = client.post(
        f"/resident/awards/{award.pk}/confirm/",
        {"bank_name": "中国银行", "bank_account_name": "李娜", "bank_account": CARD, "agree": "on"},
    ).content.decode()

    assert "What happens next" in page
    assert "Accept the subsidy" in page
    assert "Must be your own name" in page
    assert "The account name must be your own name &quot;张三明&quot;" in refused


def test_a_resident_who_opens_the_enterprise_awards_page_is_sent_to_the_resident_home(client):
    _logged_in(client, PersonFactory(name="王五"))
    response = client.get("/me/awards/", follow=True)
    assert response.redirect_chain == [("/resident/", 302)]
    assert "居民的补贴在居民主页查看。" in response.content.decode()


def test_the_refusal_for_another_account_points_home_not_back_to_itself(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    response = client.get("/me/awards/")
    assert response.status_code == 403
    body = response.content.decode()
    assert "只有企业账号可以查看本企业的兑现记录。" in body
    assert 'href="/me/awards/"' not in body
    assert "服务热线" in body
