import datetime as dt
import re

import pytest
import time_machine

from portal.residents import services, sms
from portal.residents.models import SmsCode
from tests.residents.factories import PersonFactory, PurchaseBuyerFactory

pytestmark = pytest.mark.django_db

MOBILE = "13812345678"
ID_NUMBER = "11010519491231002X"
# 10:00 in Shanghai.
START = dt.datetime(2023, 7, 3, 2, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def gateway(settings):
    settings.SMS_GATEWAY = "portal.residents.sms.LocmemGateway"
    settings.SERVICE_HOTLINE = "0371-12345"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


@pytest.fixture
def buyer(db):
    return PurchaseBuyerFactory(person__mobile=MOBILE, person__id_number=ID_NUMBER).person


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def last_code() -> str:
    return re.search(r"验证码是 (\d{6})", sms.outbox[-1][1])[1]


def test_a_six_digit_code_is_sent_to_the_number_on_the_purchase_record_and_stored_hashed(
    buyer, clock, gateway
):
    sms_code = services.sms_code_send(mobile="138 1234 5678")

    assert len(gateway) == 1
    mobile, text, key = gateway[0]
    code = last_code()
    assert mobile == MOBILE
    assert text == f"【郑州高新技术产业开发区】您的验证码是 {code}，5 分钟内有效。请勿告诉他人。"
    assert key == str(sms_code.idempotency_key)
    assert code not in sms_code.code_hash and len(sms_code.code_hash) == 64
    assert sms_code.expires_at - sms_code.sent_at == dt.timedelta(minutes=5)


def test_a_number_not_on_any_purchase_record_gets_no_message_and_is_answered_as_any_other(clock, gateway):
    PersonFactory(mobile=MOBILE)  # a person, but no purchase

    services.sms_code_send(mobile=MOBILE)

    # Nothing is sent, yet nothing tells the sender so: the limits hold as for a number on a record.
    assert gateway == [] and SmsCode.objects.count() == 1
    with pytest.raises(services.ResidentError, match="秒后再重新获取"):
        services.sms_code_send(mobile=MOBILE)
    with pytest.raises(services.ResidentError, match="验证码错误"):
        services.sms_code_verify(mobile=MOBILE, code="123456")


def test_an_invalid_number_is_refused_in_chinese(clock):
    with pytest.raises(services.ResidentError, match="手机号无效"):
        services.sms_code_send(mobile="12345")


def test_one_code_a_minute_per_number(buyer, clock, gateway):
    services.sms_code_send(mobile=MOBILE)
    clock.shift(dt.timedelta(seconds=40))

    with pytest.raises(services.ResidentError) as caught:
        services.sms_code_send(mobile=MOBILE)
    assert str(caught.value) == "验证码已发送，请 21 秒后再重新获取。"

    clock.shift(dt.timedelta(seconds=20))
    services.sms_code_send(mobile=MOBILE)
    assert len(gateway) == 2


def test_ten_codes_a_day_per_number_then_tomorrow(buyer, clock, gateway):
    for _ in range(10):
        services.sms_code_send(mobile=MOBILE)
        clock.shift(dt.timedelta(minutes=1))

    with pytest.raises(services.ResidentError) as caught:
        services.sms_code_send(mobile=MOBILE)
    assert str(caught.value) == "该手机号今天已获取 10 次验证码，请明天再试，或拨打服务热线 0371-12345。"

    # Midnight in Shanghai, not in UTC, starts the next day.
    clock.move_to(dt.datetime(2023, 7, 3, 16, 0, 1, tzinfo=dt.UTC))
    services.sms_code_send(mobile=MOBILE)
    assert len(gateway) == 11


def test_the_right_code_passes_once(buyer, clock):
    services.sms_code_send(mobile=MOBILE)
    code = last_code()

    assert services.sms_code_verify(mobile=MOBILE, code=code).verified_at == START
    with pytest.raises(services.ResidentError, match="该验证码已使用，请重新获取。"):
        services.sms_code_verify(mobile=MOBILE, code=code)


def test_a_code_expires_after_five_minutes(buyer, clock):
    services.sms_code_send(mobile=MOBILE)
    clock.shift(dt.timedelta(minutes=5, seconds=1))

    with pytest.raises(services.ResidentError, match=r"验证码已过期（5 分钟内有效），请重新获取。"):
        services.sms_code_verify(mobile=MOBILE, code=last_code())


def test_only_the_latest_code_counts(buyer, clock):
    services.sms_code_send(mobile=MOBILE)
    first = last_code()
    clock.shift(dt.timedelta(minutes=1))
    services.sms_code_send(mobile=MOBILE)
    second = last_code()

    if first != second:
        with pytest.raises(services.ResidentError, match="验证码错误"):
            services.sms_code_verify(mobile=MOBILE, code=first)
    assert services.sms_code_verify(mobile=MOBILE, code=second).verified_at is not None


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_five_wrong_codes_lock_the_number_for_thirty_minutes(buyer, clock, gateway):
    services.sms_code_send(mobile=MOBILE)
    code = last_code()
    messages = []
    for _ in range(5):
        with pytest.raises(services.ResidentError) as caught:
            services.sms_code_verify(mobile=MOBILE, code=wrong(code))
        messages.append(str(caught.value))

    assert messages == [
        "验证码错误，还可尝试 4 次。",
        "验证码错误，还可尝试 3 次。",
        "验证码错误，还可尝试 2 次。",
        "验证码错误，还可尝试 1 次。",
        "错误次数过多，验证码已失效，该手机号锁定 30 分钟。",
    ]
    with pytest.raises(services.ResidentError, match="验证码错误次数过多，已失效"):
        services.sms_code_verify(mobile=MOBILE, code=code)

    clock.shift(dt.timedelta(minutes=2))
    with pytest.raises(services.ResidentError) as caught:
        services.sms_code_send(mobile=MOBILE)
    assert (
        str(caught.value)
        == "验证码错误次数过多，该手机号已锁定至 10:30，请届时再试或拨打服务热线 0371-12345。"
    )

    clock.shift(dt.timedelta(minutes=28, seconds=1))
    services.sms_code_send(mobile=MOBILE)
    assert services.sms_code_verify(mobile=MOBILE, code=last_code()).verified_at is not None
    assert len(gateway) == 2


def test_after_the_code_the_last_six_characters_of_the_id_number_identify_the_buyer(buyer, clock):
    services.sms_code_send(mobile=MOBILE)
    services.sms_code_verify(mobile=MOBILE, code=last_code())

    person = services.identity_verify(mobile=MOBILE, id_suffix="31002x")

    assert person == buyer
    sms_code = SmsCode.objects.get()
    assert (sms_code.person, sms_code.identified_at) == (buyer, START)


def test_the_id_check_needs_a_verified_code_first(buyer, clock):
    services.sms_code_send(mobile=MOBILE)

    with pytest.raises(services.ResidentError, match="请先获取并填写短信验证码。"):
        services.identity_verify(mobile=MOBILE, id_suffix="31002X")


def test_wrong_id_characters_count_towards_the_same_lock(buyer, clock):
    services.sms_code_send(mobile=MOBILE)
    code = last_code()
    for _ in range(2):
        with pytest.raises(services.ResidentError):
            services.sms_code_verify(mobile=MOBILE, code=wrong(code))
    services.sms_code_verify(mobile=MOBILE, code=code)

    with pytest.raises(services.ResidentError) as caught:
        services.identity_verify(mobile=MOBILE, id_suffix="123456")
    assert str(caught.value) == "身份证号后六位与购房记录不符，还可尝试 2 次。"
    for _ in range(2):
        with pytest.raises(services.ResidentError):
            services.identity_verify(mobile=MOBILE, id_suffix="123456")
    with pytest.raises(services.ResidentError, match="已锁定"):
        services.identity_verify(mobile=MOBILE, id_suffix="31002X")


def test_the_id_check_times_out_five_minutes_after_the_code(buyer, clock):
    services.sms_code_send(mobile=MOBILE)
    services.sms_code_verify(mobile=MOBILE, code=last_code())
    clock.shift(dt.timedelta(minutes=5, seconds=1))

    with pytest.raises(services.ResidentError, match="验证已超时，请重新获取短信验证码。"):
        services.identity_verify(mobile=MOBILE, id_suffix="31002X")


def test_a_gateway_failure_tells_the_resident_what_to_do(buyer, clock, settings):
    settings.SMS_GATEWAY = "tests.residents.test_sms.BrokenGateway"

    with pytest.raises(services.ResidentError) as caught:
        services.sms_code_send(mobile=MOBILE)

    assert str(caught.value) == "短信发送失败，请 1 分钟后重试，或拨打服务热线 0371-12345。"


class BrokenGateway(sms.Gateway):
    def send(self, *, mobile, text, idempotency_key):
        raise sms.SmsGatewayError("down")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_send_one_code(gateway):
    import threading

    from django.db import connection

    PurchaseBuyerFactory(person__mobile=MOBILE)
    barrier = threading.Barrier(2)
    results = []

    def request():
        try:
            barrier.wait()
            services.sms_code_send(mobile=MOBILE)
            results.append("sent")
        except services.ResidentError as exc:
            results.append(re.sub(r"\d+ 秒", "N 秒", str(exc)))
        finally:
            connection.close()

    threads = [threading.Thread(target=request) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == ["sent", "验证码已发送，请 N 秒后再重新获取。"]
    assert (len(gateway), SmsCode.objects.count()) == (1, 1)
