"""Without the provider's settings, the provincial identity login is not offered and nothing breaks."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_login_page_does_not_offer_the_provincial_login(client, settings):
    settings.OIDC_RP_CLIENT_ID = ""

    page = client.get("/accounts/login/").content.decode()

    assert "统一身份认证登录" not in page
    assert "/oidc/start/" not in page
    assert "短信验证码登录" in page


def test_the_start_address_says_the_login_is_not_offered(client, settings):
    settings.OIDC_OP_ISSUER = ""

    response = client.get("/oidc/start/?kind=legal")

    assert response.status_code == 404
    assert "统一身份认证登录未开通" in response.content.decode()


def test_a_callback_without_a_login_in_progress_is_refused_in_chinese(client):
    response = client.get("/oidc/callback/?code=abc&state=xyz")

    assert response.status_code == 403
    assert "登录请求已失效" in response.content.decode()
