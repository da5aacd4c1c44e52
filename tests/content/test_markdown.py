import pytest

from portal.content.markdown import render
from tests.content.factories import ArticleFactory


def test_scripts_styles_and_event_handlers_are_removed():
    html = render('段落<script>alert(1)</script><style>p{}</style><p onclick="x()">点我</p>')

    assert "<script" not in html
    assert "alert(1)" not in html
    assert "<style" not in html
    assert "onclick" not in html
    assert "点我" in html


def test_javascript_links_lose_their_target_and_other_links_get_noopener():
    html = render("[坏链接](javascript:alert(1)) [好链接](https://www.example.gov.cn/)")

    assert "javascript:" not in html
    assert '<a href="https://www.example.gov.cn/" rel="noopener noreferrer">好链接</a>' in html


def test_markdown_tables_and_lists_survive_cleaning():
    html = render("| 指标 | 数值 |\n| --- | --- |\n| GDP | 302.3 |\n\n- 一\n- 二")

    assert "<table>" in html
    assert "<td>302.3</td>" in html
    assert "<li>一</li>" in html


@pytest.mark.django_db
def test_the_article_page_shows_the_body_sanitised(client):
    article = ArticleFactory(body="**加粗**<img src=x onerror=alert(1)>")

    body = client.get(article.get_absolute_url()).content.decode()

    assert "<strong>加粗</strong>" in body
    assert "onerror" not in body
