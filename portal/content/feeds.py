"""The news as RSS 2.0 and Atom 1.0 feeds (Django's syndication framework)."""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.content import selectors
from portal.content.models import ArticleCategory

FEED_ITEMS = 20


class NewsFeed(Feed):
    description = _("高新区要闻动态、通知公告、政策解读与媒体报道。")

    def get_object(self, request, *args, **kwargs):
        category = request.GET.get("category", "")
        return category if category in ArticleCategory.values else ""

    def title(self, category):
        name = gettext("%(zone)s新闻") % {"zone": settings.ZONE_NAME}
        return f"{name} · {ArticleCategory(category).label}" if category else name

    def link(self, category):
        url = reverse("content:news")
        return f"{url}?category={category}" if category else url

    def items(self, category):
        return selectors.article_list(category=category)[:FEED_ITEMS]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.summary or item.title

    def item_link(self, item):
        return item.get_absolute_url()

    def item_pubdate(self, item):
        return item.publish_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_author_name(self, item):
        return item.author or None

    def item_categories(self, item):
        return [item.get_category_display()]


class NewsAtomFeed(NewsFeed):
    feed_type = Atom1Feed
    subtitle = NewsFeed.description
