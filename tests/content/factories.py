"""Factories for the public content and for the policies it links to."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import factory

from portal.content import services
from portal.content.models import (
    Article,
    ArticleCategory,
    ArticleStatus,
    Faq,
    FaqCategory,
    FaqFeedback,
    Indicator,
    SynonymGroup,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


class ArticleFactory(factory.django.DjangoModelFactory):
    """An article written through ``services.article_save``, as the admin does: its search tokens are set."""

    class Meta:
        model = Article

    category = ArticleCategory.NEWS
    title = factory.Sequence(lambda n: f"高新区新闻{n}")
    slug = factory.Sequence(lambda n: f"news-{n}")
    summary = "新闻摘要"
    body = "新闻正文。"
    author = "园区运营中心"
    status = ArticleStatus.PUBLISHED
    publish_at = factory.Sequence(
        lambda n: dt.datetime(2023, 3, 1, 9, tzinfo=SHANGHAI) + dt.timedelta(hours=n)
    )

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        related_policies = kwargs.pop("related_policies", None)
        return services.article_save(article=model_class(*args, **kwargs), related_policies=related_policies)


class FaqCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FaqCategory
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"类别{n}")
    slug = factory.Sequence(lambda n: f"cat{n}")


class FaqFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Faq

    category = factory.SubFactory(FaqCategoryFactory)
    question = factory.Sequence(lambda n: f"常见问题{n}？")
    answer = "答复。"


class SynonymGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SynonymGroup

    words = "高企 高新技术企业"


class IndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Indicator

    period = "2023H1"
    name = factory.Sequence(lambda n: f"指标{n}")
    value = Decimal("100.00")
    unit = "亿元"
    yoy_growth = Decimal("5.00")
    source = "统计局"


# The catalogue's own factory (it publishes through the catalogue's services), published by default here.
from tests.policies.factories import PolicyFactory as CataloguePolicyFactory  # noqa: E402


class PolicyFactory(CataloguePolicyFactory):
    status = "published"


class FaqFeedbackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FaqFeedback

    faq = factory.SubFactory(FaqFactory)
    helpful = True
    session_key = factory.Sequence(lambda n: f"session-{n}")
