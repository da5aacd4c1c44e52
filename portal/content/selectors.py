"""Reads of the public content: published news, the FAQ matcher, indicators by period."""

import hashlib
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from portal.content import matching
from portal.content.models import (
    Article,
    ArticleCategory,
    ArticleStatus,
    Faq,
    FaqCategory,
    Indicator,
    SynonymGroup,
)
from portal.content.periods import Period, parse_period

# The policy catalogue's states that a reader may follow a link to (drafts are not public).
_PUBLIC_POLICY_STATES = ("published", "expired", "repealed")


# News


def articles_published(*, now=None) -> QuerySet[Article]:
    """Articles a visitor may read: published, and their publishing time has come."""
    return Article.objects.filter(status=ArticleStatus.PUBLISHED, publish_at__lte=now or timezone.now())


def synonyms() -> matching.Synonyms:
    """The staff-maintained synonym groups (高企 = 高新技术企业 …)."""
    return matching.Synonyms(
        matching.split_words(words) for words in SynonymGroup.objects.values_list("words", flat=True)
    )


def article_search(qs: QuerySet[Article], q: str) -> QuerySet[Article]:
    """Articles of ``qs`` holding every word of ``q`` (or a synonym), best first: title, summary, body.

    The one place news search goes through, so that it can move to the catalogue's search as a whole.
    """
    groups = matching.query_groups(q, synonyms=synonyms(), precise=True)
    if not groups:
        return qs.none() if q.strip() else qs
    score = Value(0, output_field=IntegerField())
    for group in groups:
        for field, weight in (("title", 4), ("summary", 2), ("body", 1)):
            matches = reduce(or_, (Q(**{f"{field}__icontains": word}) for word in group))
            score = score + Case(When(matches, then=Value(weight)), default=Value(0))
        qs = qs.filter(
            reduce(
                or_, (Q(title__icontains=w) | Q(summary__icontains=w) | Q(body__icontains=w) for w in group)
            )
        )
    return qs.annotate(relevance=score).order_by("-relevance", "-publish_at", "-id")


def article_list(*, category: str = "", q: str = "") -> QuerySet[Article]:
    """The news list: published articles of one category (or all), searched when ``q`` is given."""
    qs = articles_published().defer("body")
    if category:
        qs = qs.filter(category=category)
    if q.strip():
        return article_search(qs, q)
    return qs.order_by("-publish_at", "-id")


def search_words(q: str) -> set[str]:
    """The words (synonyms included) a search for ``q`` looks for, for marking them in results."""
    return set().union(*matching.query_groups(q, synonyms=synonyms(), precise=True)) if q.strip() else set()


def article_for_reader(*, slug: str, user=None) -> Article | None:
    """One article with its public related policies; staff also see unpublished ones (as a preview)."""
    qs = Article.objects if user is not None and user.is_staff else articles_published()
    return qs.filter(slug=slug).select_related("created_by").prefetch_related(_public_policies()).first()


def _public_policies() -> Prefetch:
    from django.apps import apps

    policy_model = apps.get_model("policies", "Policy")
    return Prefetch(
        "related_policies",
        queryset=policy_model.objects.filter(status__in=_PUBLIC_POLICY_STATES).order_by("-published_on"),
        to_attr="public_policies",
    )


def articles_latest(*, limit: int = 6) -> list[Article]:
    """The newest published articles, for the home page."""
    return list(articles_published().defer("body").order_by("-publish_at", "-id")[:limit])


def interpretations_for_policy(*, policy) -> list[Article]:
    """Published 政策解读 articles related to ``policy``, newest first."""
    return list(
        articles_published()
        .filter(category=ArticleCategory.INTERPRETATION, related_policies=policy)
        .defer("body")
        .order_by("-publish_at", "-id")
    )


def articles_adjacent(*, article: Article) -> tuple[Article | None, Article | None]:
    """The published articles of the same category just newer and just older than ``article``."""
    if article.publish_at is None:
        return None, None
    same = articles_published().filter(category=article.category).exclude(pk=article.pk).defer("body")
    newer = same.filter(publish_at__gt=article.publish_at).order_by("publish_at", "id").first()
    older = same.filter(publish_at__lte=article.publish_at).order_by("-publish_at", "-id").first()
    return newer, older


# FAQ


@dataclass
class FaqHit:
    faq: Faq
    score: float
    words: frozenset[str]


_matcher_cache: dict[str, matching.Matcher] = {}


def _faq_matcher(faqs: list[Faq], groups: list[list[str]]) -> matching.Matcher:
    # Segmenting every answer is the costly part; keep one matcher per exact content.
    digest = hashlib.sha256()
    for faq in faqs:
        digest.update(f"{faq.pk}\x1f{faq.question}\x1f{faq.keywords}\x1f{faq.answer}\x1e".encode())
    for group in groups:
        digest.update(("\x1f".join(group) + "\x1e").encode())
    key = digest.hexdigest()
    matcher = _matcher_cache.get(key)
    if matcher is None:
        documents = [
            matching.Document.build(
                faq.pk,
                order=(faq.category.order, faq.order, faq.pk),
                question=faq.question,
                keywords=faq.keywords,
                answer=faq.answer,
            )
            for faq in faqs
        ]
        vocabulary = {w for faq in faqs for w in matching.split_words(faq.keywords)}
        matcher = matching.Matcher(documents, synonyms=matching.Synonyms(groups), vocabulary=vocabulary)
        _matcher_cache.clear()
        _matcher_cache[key] = matcher
    return matcher


def faq_search(*, q: str, limit: int = 5) -> list[FaqHit]:
    """Published questions matching what the visitor typed, best match first."""
    if not q.strip():
        return []
    faqs = list(Faq.objects.filter(is_published=True).select_related("category"))
    groups = [matching.split_words(w) for w in SynonymGroup.objects.values_list("words", flat=True)]
    matcher = _faq_matcher(faqs, groups)
    by_id = {faq.pk: faq for faq in faqs}
    return [FaqHit(by_id[hit.key], hit.score, hit.words) for hit in matcher.search(q, limit=limit)]


def faq_categories() -> list[FaqCategory]:
    """Categories with their published questions, in order, in two queries."""
    return list(
        FaqCategory.objects.prefetch_related(
            Prefetch("faqs", queryset=Faq.objects.filter(is_published=True).order_by("order", "id"))
        )
    )


def faqs_popular(*, limit: int = 6) -> list[Faq]:
    """The questions visitors found most helpful (then the staff's order), for the home page."""
    return list(
        Faq.objects.filter(is_published=True)
        .annotate(helped=Count("feedback", filter=Q(feedback__helpful=True)))
        .order_by("-helped", "category__order", "order", "id")[:limit]
    )


def faq_public(*, pk: int) -> Faq | None:
    return Faq.objects.filter(pk=pk, is_published=True).select_related("category").first()


def faq_count() -> int:
    return Faq.objects.filter(is_published=True).count()


def faq_feedback_counts(*, faq: Faq) -> dict:
    """How many visitors found the answer helpful, and how many did not."""
    counts = faq.feedback.aggregate(
        yes=Count("id", filter=Q(helpful=True)), no=Count("id", filter=Q(helpful=False))
    )
    return {"helpful": counts["yes"], "unhelpful": counts["no"]}


# Economic indicators


def indicator_periods() -> list[Period]:
    """Periods that have figures, newest first."""
    codes = Indicator.objects.order_by().values_list("period", flat=True).distinct()
    return sorted((parse_period(code) for code in codes), key=lambda p: p.sort_key, reverse=True)


def indicators_for(*, period: str) -> list[Indicator]:
    return list(Indicator.objects.filter(period=period).order_by("order", "id"))


def indicators_all() -> QuerySet[Indicator]:
    return Indicator.objects.order_by("period", "order", "id")


def indicator_history(*, names: list[str], like: Period) -> dict[str, list[tuple[Period, Indicator]]]:
    """For each name, its values in periods of the kind of ``like`` (every first half …), oldest first."""
    suffix = like.code[4:]
    rows = Indicator.objects.filter(name__in=names, value__isnull=False).order_by("period")
    history: dict[str, list[tuple[Period, Indicator]]] = {name: [] for name in names}
    for row in rows:
        if row.period[4:] == suffix:
            history[row.name].append((parse_period(row.period), row))
    for series in history.values():
        series.sort(key=lambda pair: pair[0].sort_key)
    return history
