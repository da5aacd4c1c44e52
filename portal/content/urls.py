"""Pages at urlpatterns; API routes at api_urlpatterns, mounted under /api/v1/."""

from django.urls import path

from portal import public_cache
from portal.content import api, feeds, views

app_name = "content"

urlpatterns = [
    path("news/", views.news_list, name="news"),
    path("news/feed/rss/", feeds.NewsFeed(), name="feed_rss"),
    path("news/feed/atom/", feeds.NewsAtomFeed(), name="feed_atom"),
    path("news/<slug:slug>/", views.article_detail, name="article"),
    path("faq/", views.faq_index, name="faq"),
    path("faq/answers/", views.faq_answers, name="faq_answers"),
    path("faq/ask/", views.faq_ask, name="faq_ask"),
    path("faq/<int:pk>/", views.faq_detail, name="faq_detail"),
    path("faq/<int:pk>/feedback/", views.faq_feedback, name="faq_feedback"),
    path("economy/", views.economy, name="economy"),
    path("economy/indicators.csv", views.economy_csv, name="economy_csv"),
    path("performance/", views.performance, name="performance"),
]

api_urlpatterns = [
    path("stats/", public_cache.cache_public(api.StatsView.as_view(), by_accept=True), name="stats"),
]
