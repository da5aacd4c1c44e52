"""The provincial identity login against a real OpenID Provider process (tests/oidc/provider.js)."""

import pytest
import time_machine
from django.db import IntegrityError, transaction

from portal.accounts.models import EnterpriseRole, SecurityEvent, User
from tests.factories import EnterpriseFactory, EnterpriseUserFactory, StaffFactory
from tests.oidc.op import (
    ID_NUMBER,
    STAFF_ID_NUMBER,
    UNKNOWN_USCC,
    USCC,
    provider_now,
    running_provider,
    sign_in,
)
from tests.residents.factories import PersonFactory, PurchaseBuyerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def provider():
    with running_provider(redirect_uris=["http://testserver/oidc/callback/"]) as running:
        yield running


@pytest.fixture(autouse=True)
def _configured(settings, provider):
    for name, value in provider.settings().items():
        setattr(settings, name, value)
    # The portal checks token times on its own clock: it must be the provider's, not the suite's.
    with time_machine.travel(provider_now(provider), tick=True):
        yield


@pytest.fixture
def enterprise():
    return EnterpriseFactory(uscc=USCC, name="郑州梧桐智能科技有限公司")


@pytest.fixture
def resident():
    person = PersonFactory(id_number=ID_NUMBER, name="李秀英")
    PurchaseBuyerFactory(person=person, purchase__address="郑州高新区梧桐街 8 号 2 单元 301")
    return person


def _failures() -> list[str]:
    return list(
        SecurityEvent.objects.filter(kind=SecurityEvent.Kind.LOGIN_FAILED).values_list("detail", flat=True)
    )


def test_an_enterprise_owner_logs_in_and_becomes_a_member_of_the_enterprise_of_the_token(client, enterprise):
    response = sign_in(client, "corp-owner")

    assert response.status_code == 302
    assert response["Location"] == "/me/"
    user = User.objects.get(enterprise=enterprise)
    assert (user.enterprise_role, user.display_name, user.has_usable_password()) == (
        EnterpriseRole.OWNER,
        "王建国",
        False,
    )
    assert client.get("/me/").context["user"] == user
    login = SecurityEvent.objects.get(kind=SecurityEvent.Kind.LOGIN)
    assert (login.actor_id, login.username, login.success) == (user.pk, user.username, True)


def test_the_same_person_logging_in_again_keeps_one_membership(client, enterprise):
    sign_in(client, "corp-owner")
    client.logout()

    sign_in(client, "corp-owner")

    assert User.objects.filter(enterprise=enterprise).count() == 1


def test_a_person_who_is_not_the_legal_representative_becomes_an_agent(client, enterprise):
    sign_in(client, "corp-agent")

    assert User.objects.get(enterprise=enterprise).enterprise_role == EnterpriseRole.AGENT


def test_a_resident_logs_in_and_is_linked_to_their_person_by_the_id_number(client, resident):
    response = sign_in(client, "resident", kind="natural")

    assert response.status_code == 302
    assert response["Location"] == "/resident/"
    resident.refresh_from_db()
    assert resident.user is not None
    home = client.get("/resident/").content.decode()
    assert "郑州高新区梧桐街 8 号 2 单元 301" in home
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.LOGIN, actor_id=resident.user_id).exists()


def test_an_id_token_for_another_audience_is_refused(client, enterprise):
    response = sign_in(client, "corp-wrong-audience")

    assert response.status_code == 403
    assert "登录凭证校验未通过" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(enterprise=enterprise).exists()
    assert _failures() == ["oidc token_invalid: id token audience is another client"]


def test_an_expired_id_token_is_refused(client, enterprise):
    response = sign_in(client, "corp-expired")

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
    assert _failures() == ["oidc token_invalid: id token expired"]


def test_a_replayed_callback_is_refused_and_logs_nobody_in(client, enterprise):
    from django.test import Client

    start = client.get("/oidc/start/?kind=legal")
    from tests.oidc.op import provider_sign_in

    callback = provider_sign_in(start["Location"], "corp-owner", "http://testserver/oidc/callback/")
    path = callback.removeprefix("http://testserver")
    assert client.get(path).status_code == 302
    client.logout()

    again = client.get(path)
    elsewhere = Client().get(path)

    for response in (again, elsewhere):
        assert response.status_code == 403
        page = response.content.decode()
        assert "登录请求已失效" in page
        assert "重新点击“统一身份认证登录”" in page
    assert _failures() == ["oidc state: state unknown or already used"] * 2


def test_an_unknown_uscc_gets_a_page_saying_how_to_register(client, enterprise):
    response = sign_in(client, "corp-unknown")

    assert response.status_code == 403
    page = response.content.decode()
    assert "企业尚未纳入园区企业服务" in page
    assert UNKNOWN_USCC in page
    assert "园区政务服务中心登记" in page
    assert '<header class="site-header">' in page
    assert User.objects.count() == 0
    assert _failures() == [f"oidc unknown_uscc: uscc {UNKNOWN_USCC} not in the registry"]


def test_a_uscc_with_a_wrong_check_character_is_refused(client, enterprise):
    response = sign_in(client, "corp-bad-uscc")

    assert response.status_code == 403
    assert "统一社会信用代码无效" in response.content.decode()
    assert User.objects.count() == 0


def test_an_unknown_id_number_gets_a_page_saying_what_to_do(client, resident):
    response = sign_in(client, "resident-unknown", kind="natural")

    assert response.status_code == 403
    page = response.content.decode()
    assert "未找到您的购房记录" in page
    assert "服务热线" in page
    assert User.objects.count() == 0
    assert _failures() == ["oidc unknown_person: id number not on a purchase record"]


def test_a_token_of_an_unsupported_kind_is_refused(client):
    response = sign_in(client, "someone-else")

    assert response.status_code == 403
    assert "不支持的账号类型" in response.content.decode()


def test_staff_never_log_in_through_the_provider(client):
    staff = StaffFactory()
    person = PersonFactory(id_number=STAFF_ID_NUMBER)
    PurchaseBuyerFactory(person=person)
    person.user = staff
    person.save(update_fields=["user"])

    response = sign_in(client, "resident-staff", kind="natural")

    assert response.status_code == 403
    assert "工作人员" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert _failures() == ["oidc resident_refused"]


def test_a_member_cannot_be_made_staff_afterwards(client, enterprise):
    sign_in(client, "corp-owner")
    client.logout()

    # The database refuses a staff login that is an enterprise's member: the 法人 login stays a member only.
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(enterprise=enterprise).update(is_staff=True)

    response = sign_in(client, "corp-owner")
    assert response.status_code == 302
    assert not User.objects.get(enterprise=enterprise).is_staff


def test_an_existing_local_account_of_the_enterprise_is_untouched(client, enterprise):
    local = EnterpriseUserFactory(enterprise=enterprise, username=enterprise.uscc)

    sign_in(client, "corp-owner")

    local.refresh_from_db()
    assert local.has_usable_password()
    assert User.objects.filter(enterprise=enterprise).count() == 2


def test_the_login_page_offers_the_provincial_login_when_configured(client):
    page = client.get("/accounts/login/").content.decode()

    assert "统一身份认证登录" in page
    assert "/oidc/start/?kind=legal" in page
    assert "/oidc/start/?kind=natural" in page


def test_the_login_starts_with_pkce_a_nonce_and_the_kind_the_person_chose(client, provider):
    from urllib.parse import parse_qs, urlsplit

    location = client.get("/oidc/start/?kind=natural&next=/resident/my-data/")["Location"]

    parts = urlsplit(location)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{provider.issuer}/auth"
    assert query["client_id"] == "zone-portal"
    assert query["redirect_uri"] == "http://testserver/oidc/callback/"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    assert query["nonce"] and query["state"]
    assert query["user_type"] == "natural"
    assert query["scope"] == "openid profile province"
