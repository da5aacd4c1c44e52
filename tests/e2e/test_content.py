import datetime as dt
import io

import pytest

from portal.content import demo
from portal.content.models import FaqFeedback
from tests.factories import EnterpriseFactory


@pytest.fixture
def content(transactional_db):
    demo.load(io.StringIO())


@pytest.mark.django_db(transaction=True)
def test_a_visitor_types_a_question_and_sees_the_answer(page, screenshot, content):
    page.goto("/faq/")

    page.locator("#faq-q").press_sequentially("高企认定条件", delay=30)

    first = page.locator(".faq-hit").first
    first.locator("summary").filter(has_text="高新技术企业认定需要满足哪些条件？").wait_for()
    assert "科技人员占当年职工总数的比例不低于 10%" in first.locator(".faq-answer").inner_text()
    assert page.url.endswith("/faq/")  # answered in place, without leaving the page
    assert "0371-12345" in page.locator(".faq-not-answered").inner_text()
    screenshot("faq")

    first.get_by_role("button", name="有帮助", exact=True).click()
    page.get_by_text("感谢您的评价，很高兴能帮到您。").wait_for()
    vote = FaqFeedback.objects.get()
    assert (vote.faq.question, vote.query) == ("高新技术企业认定需要满足哪些条件？", "高企认定条件")


@pytest.mark.django_db(transaction=True)
def test_a_visitor_opens_the_performance_page_and_sees_the_figures(page, screenshot, content):
    for _ in range(3):
        EnterpriseFactory(registered_on=dt.date(2020, 1, 1))

    page.goto("/performance/?period=2023H1")

    figure = page.locator('.figure[data-key="enterprises"]')
    assert figure.locator("dt").inner_text() == "在册企业"
    assert figure.locator(".figure-value").inner_text() == "3"
    assert page.locator("h2.period-title").inner_text().startswith("2023年上半年")
    screenshot("performance")

    page.fill("#perf-from", "2023-07-01")
    page.fill("#perf-to", "2023-01-01")
    page.get_by_role("button", name="查询").click()
    assert page.get_by_role("alert").inner_text() == "开始日期不能晚于结束日期。"


@pytest.mark.django_db(transaction=True)
def test_the_home_news_and_economy_pages_look_right(page, screenshot, content):
    page.goto("/")
    page.locator("#home-faq-q").press_sequentially("小巨人", delay=30)
    page.locator(".home-faq .faq-hit summary").first.filter(
        has_text="专精特新小巨人企业怎么申报？"
    ).wait_for()
    screenshot("home")

    page.goto("/news/?q=免申即享")
    assert page.locator(".news-item mark").count() > 0
    screenshot("news")
    page.locator(".news-item a.list-title").first.click()
    page.locator("article h1").wait_for()
    screenshot("article")

    page.goto("/economy/")
    assert page.locator("table.indicators tbody tr").count() == 7
    assert page.locator("figure.chart-card svg").count() == 3
    screenshot("economy")


@pytest.mark.django_db(transaction=True)
def test_a_visitor_searches_the_news_by_an_abbreviation_and_by_punctuation(page, screenshot, content):
    page.goto("/news/")
    page.fill("#news-q", "高企认定")
    page.get_by_role("button", name="搜索").click()

    titles = page.locator(".news-item a.list-title")
    assert titles.first.inner_text() == "关于做好2023年度高新技术企业认定申报工作的通知"
    assert titles.first.locator("mark").all_inner_texts() == ["高新技术企业认定"]
    screenshot("news-synonym")

    page.fill("#news-q", "？？！")
    page.get_by_role("button", name="搜索").click()
    assert page.get_by_role("status").inner_text() == "检索词中没有可检索的文字，请输入关键词，如“研发费用”。"
    assert page.locator(".news-list li").inner_text() == "没有找到相关新闻，请换个关键词试试。"
    screenshot("news-nothing")
