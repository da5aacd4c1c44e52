"""What the public content adds to the home page and the main navigation."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal import stats
from portal.content import figures, selectors

NAV = [
    (50, _("新闻"), "content:news"),
    (60, _("常见问题"), "content:faq"),
    (70, _("经济数据"), "content:economy"),
    (80, _("服务绩效"), "content:performance"),
]


def home(request):
    """Latest news, the FAQ box and the headline figures of the last complete half year."""
    half = figures.default_half_year(timezone.localdate())
    headline = figures.present(stats.figures(start=half.start, end=half.end), keys=figures.HEADLINE_KEYS)
    return {
        "order": 20,
        "template": "content/home_block.html",
        "articles": selectors.articles_latest(limit=6),
        "popular": selectors.faqs_popular(limit=5),
        "faq_total": selectors.faq_count(),
        "headline": [item for section in headline for item in section["items"]],
        "half": half,
    }
