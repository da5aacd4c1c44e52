import datetime as dt
import xml.etree.ElementTree as ET

import pytest
import time_machine
from django.urls import reverse

from portal.content.models import ArticleCategory, ArticleStatus
from tests.content.factories import SHANGHAI, ArticleFactory

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"
NOW = dt.datetime(2023, 6, 30, 12, tzinfo=SHANGHAI)


def parse(content: bytes) -> ET.Element:
    return ET.fromstring(content)  # noqa: S314 — the portal's own feed, the thing under test


@time_machine.travel(NOW, tick=False)
def test_the_rss_feed_is_valid_xml_with_the_published_articles_newest_first(client):
    older = ArticleFactory(title="较早的新闻", publish_at=NOW - dt.timedelta(days=2))
    newer = ArticleFactory(
        title="较新的新闻", summary="摘要 <b>加粗</b>", publish_at=NOW - dt.timedelta(days=1)
    )
    ArticleFactory(title="明天发布", publish_at=NOW + dt.timedelta(days=1))
    ArticleFactory(title="草稿", status=ArticleStatus.DRAFT, publish_at=None)

    response = client.get(reverse("content:feed_rss"))

    assert response["Content-Type"].startswith("application/rss+xml")
    channel = parse(response.content).find("channel")
    items = channel.findall("item")
    assert [i.findtext("title") for i in items] == ["较新的新闻", "较早的新闻"]
    assert items[0].findtext("link") == f"http://testserver{newer.get_absolute_url()}"
    assert items[0].findtext("description") == "摘要 <b>加粗</b>"
    assert items[0].findtext("category") == "要闻动态"
    assert items[1].findtext("link") == f"http://testserver{older.get_absolute_url()}"


@time_machine.travel(NOW, tick=False)
def test_the_atom_feed_is_valid_xml_and_can_be_limited_to_one_category(client):
    ArticleFactory(title="一条通知", category=ArticleCategory.NOTICE)
    ArticleFactory(title="一条要闻", category=ArticleCategory.NEWS)

    response = client.get(reverse("content:feed_atom"), {"category": "notice"})

    assert response["Content-Type"].startswith("application/atom+xml")
    feed = parse(response.content)
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}title").endswith("新闻 · 通知公告")
    assert [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")] == ["一条通知"]


def test_the_feed_holds_at_most_twenty_items(client):
    ArticleFactory.create_batch(25)

    channel = parse(client.get(reverse("content:feed_rss")).content).find("channel")

    assert len(channel.findall("item")) == 20
