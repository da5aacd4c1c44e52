"""Residents' own pages: the SMS code login, the home, the privacy notice and the download of their data."""

import datetime as dt
import json
import re

import pytest
import time_machine
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.accounts.models import SecurityEvent
from portal.residents import sms
from portal.residents.access import current_person, privacy_accepted_required
from portal.residents.models import AccessAction, PersonAccess
from tests.factories import EnterpriseUserFactory, StaffFactory
from tests.residents.factories import PurchaseBuyerFactory

pytestmark = pytest.mark.django_db

MOBILE = "13812345678"
ID_NUMBER = "11010519491231002X"


@pytest.fixture(autouse=True)
def gateway(settings):
    settings.SMS_GATEWAY = "portal.residents.sms.LocmemGateway"
    settings.SERVICE_HOTLINE = "0371-12345"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


@pytest.fixture
def buyer():
    link = PurchaseBuyerFactory(
        person__mobile=MOBILE,
        person__id_number=ID_NUMBER,
        person__name="李秀英",
        purchase__address="郑州高新区梧桐街 8 号 2 单元 301",
    )
    PurchaseBuyerFactory(purchase=link.purchase, person__name="王德明", position=2)
    return link.person


@pytest.fixture
def resident_client(client, buyer):
    _log_in_by_sms(client, MOBILE, ID_NUMBER[-6:])
    return client


def _last_code() -> str:
    return re.search(r"验证码是 (\d{6})", sms.outbox[-1][1])[1]


def _log_in_by_sms(client, mobile: str, suffix: str):
    client.post("/resident/login/", {"mobile": mobile})
    client.post("/resident/login/code/", {"code": _last_code()})
    return client.post("/resident/login/identity/", {"id_suffix": suffix})


def test_a_resident_logs_in_with_the_mobile_number_the_code_and_the_id_number_suffix(client, buyer):
    sent = client.post("/resident/login/", {"mobile": "138 1234 5678"})
    assert sent.status_code == 302
    assert sent["Location"] == "/resident/login/code/"
    assert "验证码已发送至 138****5678" in client.get("/resident/login/code/").content.decode()

    coded = client.post("/resident/login/code/", {"code": _last_code()})
    assert coded["Location"] == "/resident/login/identity/"
    assert "_auth_user_id" not in client.session

    done = client.post("/resident/login/identity/", {"id_suffix": "31002x"})

    assert done.status_code == 302
    assert done["Location"] == "/resident/"
    buyer.refresh_from_db()
    assert buyer.user is not None
    assert int(client.session["_auth_user_id"]) == buyer.user_id
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.LOGIN, actor_id=buyer.user_id).exists()


def test_logging_in_again_by_sms_uses_the_same_login(client, buyer):
    _log_in_by_sms(client, MOBILE, ID_NUMBER[-6:])
    first = buyer.__class__.objects.get(pk=buyer.pk).user_id
    client.logout()

    # A new code may be asked for a minute after the last one.
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=2), tick=True):
        _log_in_by_sms(client, MOBILE, ID_NUMBER[-6:])

    assert int(client.session["_auth_user_id"]) == first


def test_the_login_does_not_tell_whether_a_number_is_on_a_purchase_record(client, buyer):
    answers = []
    for mobile in ("13900000000", MOBILE):
        client.cookies.clear()
        response = client.post("/resident/login/", {"mobile": mobile}, follow=True)
        page = response.content.decode()
        answers.append((response.status_code, response.redirect_chain))
        assert "如该手机号登记在购房记录中，验证码已发送至" in page
        assert "0371-12345" in page

    assert answers[0][0] == answers[1][0] == 200
    assert [url for url, _ in answers[0][1]] == [url for url, _ in answers[1][1]]


def test_a_wrong_code_is_refused_and_recorded(client, buyer):
    client.post("/resident/login/", {"mobile": MOBILE})
    wrong = "000000" if _last_code() != "000000" else "111111"

    response = client.post("/resident/login/code/", {"code": wrong})

    assert response.status_code == 400
    assert "验证码错误，还可尝试 4 次。" in response.content.decode()
    assert client.get("/resident/login/identity/")["Location"] == "/resident/login/"
    failure = SecurityEvent.objects.get(kind=SecurityEvent.Kind.LOGIN_FAILED)
    assert (failure.username, failure.success) == ("sms:138****5678", False)


def test_a_wrong_id_number_suffix_logs_nobody_in(client, buyer):
    response = _log_in_by_sms(client, MOBILE, "123456")

    assert response.status_code == 400
    assert "身份证号后六位与购房记录不符" in response.content.decode()
    assert "_auth_user_id" not in client.session
    buyer.refresh_from_db()
    assert buyer.user is None


def test_the_steps_cannot_be_skipped(client, buyer):
    assert client.get("/resident/login/code/")["Location"] == "/resident/login/"
    assert client.post("/resident/login/identity/", {"id_suffix": ID_NUMBER[-6:]})["Location"] == (
        "/resident/login/"
    )
    assert "_auth_user_id" not in client.session


def test_a_person_linked_to_a_staff_login_is_refused(client, buyer):
    buyer.user = StaffFactory()
    buyer.save(update_fields=["user"])

    response = _log_in_by_sms(client, MOBILE, ID_NUMBER[-6:])

    assert response.status_code == 400
    assert "园区工作人员账号不能以居民身份登录" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_home_shows_the_residents_purchase_and_masks_the_other_buyer(resident_client):
    page = resident_client.get("/resident/").content.decode()

    assert "郑州高新区梧桐街 8 号 2 单元 301" in page
    assert "本人（主购房人）" in page
    assert "王*明" in page
    assert "王德明" not in page
    assert ID_NUMBER not in page
    assert "1101**********002X" in page
    assert "1,200,000.00 元" in page
    assert "0371-12345" in page
    assert 'id="household-subsidies"' in page


def test_the_resident_pages_send_others_away(client, buyer):
    anonymous = client.get("/resident/")
    assert anonymous["Location"] == "/resident/login/?next=%2Fresident%2F"

    client.force_login(EnterpriseUserFactory())
    response = client.get("/resident/")
    assert response.status_code == 403
    assert "仅限居民使用" in response.content.decode()


def test_the_privacy_notice_is_accepted_once_and_the_time_kept(resident_client, buyer):
    refused = resident_client.post("/resident/privacy/", {})
    assert refused.status_code == 400
    assert "请勾选“我已阅读并同意”后再提交。" in refused.content.decode()
    buyer.refresh_from_db()
    assert buyer.privacy_accepted_at is None

    accepted = resident_client.post("/resident/privacy/", {"agree": "on", "next": "/resident/my-data/"})
    assert accepted["Location"] == "/resident/my-data/"
    buyer.refresh_from_db()
    first = buyer.privacy_accepted_at
    assert first is not None

    resident_client.post("/resident/privacy/", {"agree": "on"})
    buyer.refresh_from_db()
    assert buyer.privacy_accepted_at == first
    assert "您已于" in resident_client.get("/resident/privacy/").content.decode()


def test_a_confirming_page_waits_for_the_privacy_notice(buyer):
    @privacy_accepted_required
    def confirm(request):
        return HttpResponse("confirmed")

    request = RequestFactory().get("/resident/confirm/")
    request.user = _user_of(buyer)
    request.session = {}
    request._messages = _Messages()

    refused = confirm(request)
    assert refused.status_code == 302
    assert refused["Location"] == "/resident/privacy/?next=%2Fresident%2Fconfirm%2F"

    buyer.privacy_accepted_at = buyer.created_at
    buyer.save(update_fields=["privacy_accepted_at"])
    request = RequestFactory().get("/resident/confirm/")
    request.user = buyer.user
    assert confirm(request).content == b"confirmed"
    assert current_person(request) == buyer


def _user_of(person):
    from portal.residents.services import resident_user_for

    resident_user_for(person=person)
    person.refresh_from_db()
    return person.user


class _Messages(list):
    def add(self, level, message, extra_tags=""):
        self.append(message)


def test_the_resident_downloads_what_the_portal_holds_about_them(resident_client, buyer):
    response = resident_client.post("/resident/my-data/", {"fmt": "json"})

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="my-data-')
    document = json.loads(response.content)
    assert document["本人信息"]["居民身份证号"] == ID_NUMBER
    assert document["购房记录"][0]["房屋坐落"] == "郑州高新区梧桐街 8 号 2 单元 301"
    assert PersonAccess.objects.filter(person=buyer, action=AccessAction.SUBJECT_EXPORT).count() == 1

    csv = resident_client.post("/resident/my-data/", {"fmt": "csv"})
    assert csv["Content-Type"] == "text/csv; charset=utf-8"
    assert ID_NUMBER in csv.content.decode()


def test_the_home_costs_the_same_queries_whatever_the_number_of_purchases(
    resident_client, buyer, django_assert_num_queries, empty_cache
):
    # Both views with nothing kept (the header's unread count): the worst case each time.
    empty_cache()
    with CaptureQueriesContext(connection) as one:
        resident_client.get("/resident/")
    for _ in range(3):
        PurchaseBuyerFactory(person=buyer, position=1)
        PurchaseBuyerFactory(purchase=buyer.purchases.last(), position=2)

    empty_cache()
    with django_assert_num_queries(len(one.captured_queries)):
        page = resident_client.get("/resident/").content.decode()

    assert page.count('class="purchase"') == 4
