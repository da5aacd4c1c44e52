import pytest

from tests.policies.factories import PolicyFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url", "heading"),
    [
        ("/sitemap/", "网站地图"),
        ("/contact/", "联系我们"),
        ("/privacy/", "隐私政策"),
        ("/help/", "使用帮助"),
        ("/accessibility/", "无障碍声明"),
    ],
)
def test_each_site_page_is_linked_from_the_footer_and_shows_its_heading(client, url, heading):
    home = client.get("/").content.decode()
    page = client.get(url)

    assert f'<a href="{url}">{heading}</a>' in home
    assert page.status_code == 200
    assert f"<h1>{heading}</h1>" in page.content.decode()


def test_the_footer_carries_the_site_identifiers_from_settings_and_the_error_report_link(client, settings):
    settings.SITE_IDENTIFIER = "4101000001"
    settings.ICP_RECORD = "豫ICP备12345678号-2"
    settings.PUBLIC_SECURITY_RECORD = "豫公网安备41019702000123号"

    page = client.get("/news/").content.decode()

    assert "网站标识码：4101000001" in page
    assert 'href="https://beian.miit.gov.cn/" rel="noopener" target="_blank">豫ICP备12345678号-2</a>' in page
    assert "豫公网安备41019702000123号" in page
    assert '<a href="https://zfwzzc.www.gov.cn/" rel="noopener" target="_blank">我为政府网站找错' in page


def test_the_sitemap_lists_every_section_of_the_main_menu(client):
    page = client.get("/sitemap/").content.decode()

    for url, label in [
        ("/policies/", "政策"),
        ("/calculator/", "政策计算器"),
        ("/publicity/", "兑现公示"),
        ("/news/", "新闻"),
        ("/faq/", "常见问题"),
        ("/economy/", "经济数据"),
        ("/performance/", "服务绩效"),
        ("/me/problems/", "我的诉求"),
    ]:
        assert f'<a href="{url}">{label}</a>' in page


def test_the_menu_marks_the_current_page_and_the_section_of_a_page_inside_it(client):
    PolicyFactory(code="srdi-award-2023", status="published")

    listing = client.get("/news/").content.decode()
    article = client.get("/policies/srdi-award-2023/").content.decode()

    assert '<a href="/news/" aria-current="page">新闻</a>' in listing
    assert '<a href="/">首页</a>' in listing
    assert '<a href="/policies/" aria-current="true">政策</a>' in article


def test_the_favicon_is_linked_from_every_page_and_served(client):
    page = client.get("/faq/").content.decode()

    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page


def test_elder_mode_is_switched_on_from_the_header_and_remembered_for_a_year(client):
    home = client.get("/").content.decode()
    assert 'aria-pressed="false">长辈模式</button>' in home
    assert '<html lang="zh-hans">' in home

    response = client.post("/elder-mode/", {"mode": "on", "next": "/faq/"})

    assert response.status_code == 302
    assert response["Location"] == "/faq/"
    assert response.cookies["elder_mode"].value == "1"
    assert response.cookies["elder_mode"]["max-age"] == 31536000
    page = client.get("/faq/").content.decode()
    assert '<html lang="zh-hans" class="elder">' in page
    assert 'aria-pressed="true">长辈模式</button>' in page


def test_elder_mode_is_switched_off_again_and_never_redirects_to_another_site(client):
    client.cookies["elder_mode"] = "1"

    response = client.post("/elder-mode/", {"mode": "off", "next": "https://example.com/"})

    assert response["Location"] == "/"
    assert response.cookies["elder_mode"].value == ""
    assert 'class="elder"' not in client.get("/").content.decode()
