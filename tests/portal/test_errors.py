"""Error pages: in Chinese inside the site frame with a way back; JSON in Chinese on the API (DEBUG off)."""

import pytest
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def failing_urls(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.portal.error_urls"


def test_a_missing_page_answers_404_in_chinese_inside_the_site_frame(client, settings):
    settings.DEBUG = False

    response = client.get("/no-such-page/")

    page = response.content.decode()
    assert response.status_code == 404
    assert "<h1>页面不存在</h1>" in page
    assert 'class="site-header"' in page
    assert 'href="/">返回首页</a>' in page
    assert "Not Found" not in page


def test_a_missing_policy_says_which_thing_is_missing(client, settings):
    settings.DEBUG = False

    page = client.get("/policies/no-such-policy/").content.decode()

    assert "没有这项政策。" in page
    assert "<h1>页面不存在</h1>" in page


def test_a_missing_api_route_answers_json_in_chinese(client, settings):
    settings.DEBUG = False

    response = client.get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "没有找到这个地址对应的内容，请核对网址。"}


def test_a_forbidden_page_answers_403_in_chinese_with_a_login_link_for_visitors(client, failing_urls):
    response = client.get("/forbidden/")

    page = response.content.decode()
    assert response.status_code == 403
    assert "<h1>无权访问</h1>" in page
    assert 'href="/accounts/login/?next=/forbidden/"' in page
    assert 'class="site-footer"' in page


def test_a_forbidden_page_sends_a_signed_in_user_back_to_their_dashboard(client, failing_urls):
    client.force_login(UserFactory())

    page = client.get("/forbidden/").content.decode()

    assert 'href="/me/">返回我的主页</a>' in page


@pytest.mark.parametrize(
    ("factory", "advice", "not_advice"),
    [
        ("StaffFactory", "请联系系统管理员为您的账号分配相应角色", "法定代表人"),
        ("EnterpriseUserFactory", "联系企业的法定代表人为您开通", "系统管理员"),
        ("UserFactory", "请拨打服务热线咨询", "法定代表人"),
    ],
)
def test_a_forbidden_page_gives_the_advice_that_fits_the_account(
    client, failing_urls, factory, advice, not_advice
):
    import tests.factories

    client.force_login(getattr(tests.factories, factory)())

    page = client.get("/forbidden/").content.decode()

    assert advice in page
    assert not_advice not in page


def test_a_forbidden_api_call_answers_json_in_chinese(client, failing_urls):
    response = client.get("/api/v1/forbidden/")

    assert response.status_code == 403
    assert response.json() == {"detail": "您没有执行此操作的权限。"}


def test_a_server_error_answers_500_in_chinese_inside_the_site_frame(failing_urls):
    client = Client(raise_request_exception=False)

    response = client.get("/broken/")

    page = response.content.decode()
    assert response.status_code == 500
    assert "<h1>服务器出现错误</h1>" in page
    assert 'class="site-header"' in page
    assert 'href="/">返回首页</a>' in page
    assert "Server Error" not in page


def test_the_500_page_renders_without_the_request_context(failing_urls, monkeypatch):
    # The failure may be in what every page's context needs (here: the header's context processor).
    def failing_context(request):
        raise RuntimeError("the database is gone")

    monkeypatch.setattr("portal.context_processors.site", failing_context)
    client = Client(raise_request_exception=False)

    response = client.get("/broken/")

    assert response.status_code == 500
    assert "<h1>服务器出现错误</h1>" in response.content.decode()


def test_a_server_error_on_the_api_answers_json_in_chinese(failing_urls):
    client = Client(raise_request_exception=False)

    response = client.get("/api/v1/broken/")

    assert response.status_code == 500
    assert response.json() == {"detail": "服务器出现错误，请稍后重试；如仍有问题请拨打服务热线。"}


def test_a_form_sent_with_an_expired_token_says_so_in_chinese_and_offers_to_reopen_it(settings):
    settings.DEBUG = False
    client = Client(enforce_csrf_checks=True)

    response = client.post("/accounts/login/", {"username": "a", "password": "b"})

    page = response.content.decode()
    assert response.status_code == 403
    assert "<h1>页面已过期，表单未提交</h1>" in page
    assert 'href="/accounts/login/">重新打开页面</a>' in page
    assert 'class="site-header"' in page
    assert "CSRF" not in page


def test_a_signed_in_api_write_without_its_token_answers_json_in_chinese(settings):
    settings.DEBUG = False
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(is_staff=True))

    response = client.post("/api/v1/policies/x/publish/")

    assert response.status_code == 403
    assert response.json() == {"detail": "请求校验失败，请刷新页面后重试。"}


@pytest.mark.parametrize("signed_in", [False, True])
def test_opening_a_form_only_address_answers_405_in_chinese_inside_the_site_frame(
    client, settings, signed_in
):
    settings.DEBUG = False
    if signed_in:
        client.force_login(UserFactory())

    response = client.get("/accounts/logout/")

    page = response.content.decode()
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert "<h1>无法直接打开此地址</h1>" in page
    assert 'class="site-header"' in page
    assert "再点击按钮办理" in page


@pytest.mark.parametrize("method", ["put", "delete", "patch", "options", "trace"])
@pytest.mark.parametrize("path", ["/", "/policies/", "/accounts/login/", "/me/awards/"])
def test_a_page_refuses_a_method_no_page_takes_in_chinese_before_any_view_runs(
    client, settings, method, path
):
    settings.DEBUG = False
    client.force_login(UserFactory())

    response = getattr(client, method)(path)

    page = response.content.decode()
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, POST"
    assert "<h1>不支持此请求方式</h1>" in page
    assert 'class="site-header"' in page
    assert "CSRF" not in page


def test_the_api_still_answers_options_itself(client, settings):
    settings.DEBUG = False

    response = client.options("/api/v1/policies/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")


def test_a_405_on_the_api_stays_json(client, settings):
    settings.DEBUG = False

    response = client.delete("/api/v1/policies/")

    assert response.status_code in (403, 405)
    assert response["Content-Type"].startswith("application/json")


def test_a_refused_nul_byte_carries_the_security_headers(client, settings):
    settings.DEBUG = False

    response = client.get("/policies/", {"q": "研发\x00"})

    assert response.status_code == 400
    assert "Content-Security-Policy" in response.headers
    assert response["X-Frame-Options"] == "DENY"
