"""Reads of the public content: published news, the FAQ matcher, indicators by period."""

import datetime as dt
import threading
from dataclasses import dataclass

import numpy as np
from django.core.cache import cache
from django.db.models import Count, Max, Min, Prefetch, Q, QuerySet
from django.utils import timezone

from portal.content import matching, ranking
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
from portal.content.periods import Period, parse_period
from portal.search import Bm25Index, IndexHolder, RankedResults, deletions, parse_query, ranked_search

# The policy catalogue's states that a reader may follow a link to (drafts are not public).
_PUBLIC_POLICY_STATES = ("published", "expired", "repealed")


# News


def articles_published(*, now=None) -> QuerySet[Article]:
    """Articles a visitor may read: published, and their publishing time has come."""
    return Article.objects.filter(status=ArticleStatus.PUBLISHED, publish_at__lte=now or timezone.now())


def next_article_publication(*, now=None) -> dt.datetime | None:
    """When the next article scheduled ahead becomes public: the public pages' cache ends then."""
    later = Article.objects.filter(status=ArticleStatus.PUBLISHED, publish_at__gt=now or timezone.now())
    return later.aggregate(first=Min("publish_at"))["first"]


def synonyms() -> matching.Synonyms:
    """The staff-maintained synonym groups (高企 = 高新技术企业 …)."""
    return matching.Synonyms(
        matching.split_words(words) for words in SynonymGroup.objects.values_list("words", flat=True)
    )


@dataclass(frozen=True)
class SearchTerms:
    """A search read once: the catalogue's tokens, and a group of alternatives per synonym in it.

    The one query expansion of the portal: the news, the policy catalogue and the FAQ read the staff's
    synonyms (高企 = 高新技术企业, R&D = 研发) the same way.
    """

    searching: bool = False  # something was asked (it may hold no searchable word)
    tokens: tuple[str, ...] = ()
    groups: tuple[tuple[tuple[str, ...], ...], ...] = ()
    synonyms: tuple[str, ...] = ()  # the words behind the groups, whole

    @property
    def words(self) -> list[str]:
        """What to mark in a result: the tokens, and the synonyms as whole words (高新技术企业, not 技术)."""
        return list(dict.fromkeys([*self.tokens, *self.synonyms]))


def search_terms(q: str | None) -> SearchTerms:
    """What a search for ``q`` looks for: ``portal.search.parse_query`` widened by the staff's synonyms."""
    tokens = parse_query(q)
    if tokens is None:
        return SearchTerms()
    if not tokens:
        return SearchTerms(searching=True)
    terms = matching.synonym_terms(q, tokens, synonyms())
    return SearchTerms(
        searching=True,
        tokens=tuple(terms.tokens),
        groups=tuple(tuple(tuple(alternative) for alternative in group) for group in terms.groups),
        synonyms=tuple(terms.words),
    )


def article_search(
    qs: QuerySet[Article], q: str | SearchTerms, *, index=None, keep=None
) -> QuerySet[Article] | RankedResults:
    """Articles of ``qs`` holding every word of ``q`` (or a synonym), best first (BM25, a title counting three
    times the rest), then newest first; a ``RankedResults``, which pages like a queryset.

    Found and ordered in memory (``news_index``, or ``index`` when the caller has it). ``keep`` (a mask over
    the index) is what the caller has already decided in memory; without it the database says which
    articles ``qs`` holds. ``q`` may be the terms already read by ``search_terms``, which saves reading the
    synonyms twice.
    """
    terms = q if isinstance(q, SearchTerms) else search_terms(q)
    if not terms.searching:
        return qs.order_by("-publish_at", "-id")
    if not terms.tokens and not terms.groups:
        return qs.none()  # nothing searchable was typed: no rows
    index = index or news_index()
    return ranked_search(
        index.bm25,
        list(terms.tokens),
        terms.groups,
        keep=np.ones(len(index.published), dtype=bool) if keep is None else keep,
        queryset=qs,
        confirm=keep is None,
        title_field="search_title",
        body_field="search_body",
        then=index.publish_at,
    )


@dataclass(frozen=True)
class NewsIndex:
    """The news as a search ranks it, held in memory: BM25 over every article's tokens, and per article (in
    the order of ``bm25.keys``) whether it is published, when (seconds since the epoch) and its column."""

    bm25: Bm25Index
    published: np.ndarray
    publish_at: np.ndarray
    category: np.ndarray

    def visible(self, *, now: dt.datetime, category: str = "") -> np.ndarray:
        """What ``articles_published(now=now)`` holds (of one column, if given), as a mask over the index."""
        shown = self.published & (self.publish_at <= now.timestamp())
        if category:
            shown &= self.category == category
        return shown


def _build_news_index() -> NewsIndex:
    rows = list(
        Article.objects.order_by("pk").values_list(
            "pk", "search_title", "search_body", "status", "publish_at", "category"
        )
    )
    return NewsIndex(
        bm25=Bm25Index((pk, title, body) for pk, title, body, *_ in rows),
        published=np.array([row[3] == ArticleStatus.PUBLISHED for row in rows], dtype=bool),
        publish_at=np.array([row[4].timestamp() if row[4] else np.inf for row in rows], dtype=np.float64),
        category=np.array([row[5] for row in rows], dtype=object),
    )


_news_index = IndexHolder(_build_news_index)


def news_index() -> NewsIndex:
    """The news' search index, rebuilt in each process when an article is saved, published or deleted."""
    # Two index reads (a count of 100,000 articles took 20 ms a search), and the deletions, which move
    # neither.
    version = Article.objects.aggregate(last=Max("updated_at"), top=Max("id"))
    return _news_index.get((*version.values(), deletions(Article)))


def article_list(*, category: str = "", q: str | SearchTerms = "") -> QuerySet[Article] | RankedResults:
    """The news list: published articles of one category (or all), searched when ``q`` asks something."""
    qs = articles_published().defer("search_title", "search_body")
    if category:
        qs = qs.filter(category=category)
    terms = q if isinstance(q, SearchTerms) else search_terms(q)
    if not terms.searching:
        return qs.defer("body").order_by("-publish_at", "-id")
    # The body stays: the list shows where in it the words were found.
    if not terms.tokens and not terms.groups:
        return qs.none()  # nothing searchable was typed: no rows
    index = news_index()
    return article_search(qs, terms, index=index, keep=index.visible(now=timezone.now(), category=category))


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


INDEX_VERSION_KEY = "content:faq-index-version"
_index_lock = threading.Lock()
_index: tuple[tuple, ranking.FaqIndex] | None = None


def faq_index_version() -> tuple:
    """What the FAQ index is built from: the version staff edits bump, and the published questions' state.

    The version lives in the shared cache, so every process rebuilds after an edit in any of them; the
    count, newest change and highest id of the questions, of their learned wordings and of the synonyms
    also catch rows written around the services (imports, the shell). Two small queries.
    """
    published = Faq.objects.filter(is_published=True)
    faqs = published.aggregate(
        n=Count("id", distinct=True),
        last=Max("updated_at"),
        top=Max("id"),
        learned=Count("learned_phrasings", distinct=True),
        learned_top=Max("learned_phrasings__id"),
    )
    words = SynonymGroup.objects.aggregate(n=Count("id"), top=Max("id"))
    return (cache.get(INDEX_VERSION_KEY, 0), *faqs.values(), *words.values())


def faq_index() -> ranking.FaqIndex:
    """The published questions' index, built once per process and again only when they change."""
    global _index
    version = faq_index_version()
    if _index is None or _index[0] != version:
        with _index_lock:
            if _index is None or _index[0] != version:
                faqs = (
                    Faq.objects.filter(is_published=True)
                    .select_related("category")
                    .prefetch_related("learned_phrasings")
                )
                entries = [
                    ranking.Entry(
                        key=faq.pk,
                        question=faq.question,
                        keywords=faq.keywords,
                        answer=faq.answer,
                        order=(faq.category.order, faq.order, faq.pk),
                        learned=tuple(p.text for p in faq.learned_phrasings.all()),
                    )
                    for faq in faqs
                ]
                words = SynonymGroup.objects.values_list("words", flat=True)
                groups = [matching.split_words(w) for w in words]
                _index = (version, ranking.FaqIndex(entries, synonym_groups=groups))
    return _index[1]


@dataclass
class FaqVotes:
    overall: dict[int, tuple[int, int]]  # question id -> (有帮助, 没有帮助)
    for_query: dict[int, tuple[int, int]]  # the same, from visitors who typed the query asked


def faq_votes(*, query: str = "") -> FaqVotes:
    """Each published question's 有帮助 and 没有帮助 votes, overall and for ``query``, in one query."""
    key = ranking.query_key(query)
    counts = {"yes": Count("id", filter=Q(helpful=True)), "no": Count("id", filter=Q(helpful=False))}
    if key:
        counts["yes_here"] = Count("id", filter=Q(helpful=True, query=key))
        counts["no_here"] = Count("id", filter=Q(helpful=False, query=key))
    rows = FaqFeedback.objects.filter(faq__is_published=True).values("faq_id").annotate(**counts).order_by()
    votes = FaqVotes({}, {})
    for row in rows:
        votes.overall[row["faq_id"]] = (row["yes"], row["no"])
        if row.get("yes_here") or row.get("no_here"):
            votes.for_query[row["faq_id"]] = (row["yes_here"], row["no_here"])
    return votes


def faq_search(*, q: str, limit: int = 5) -> list[FaqHit]:
    """Published questions answering what the visitor typed, best first (``portal.content.ranking``)."""
    if not q.strip():
        return []
    votes = faq_votes(query=q)
    ranked = faq_index().search(q, votes=votes.overall, query_votes=votes.for_query, limit=limit)
    if not ranked:
        return []
    by_id = Faq.objects.select_related("category").in_bulk([hit.key for hit in ranked])
    return [FaqHit(by_id[hit.key], hit.score, hit.words) for hit in ranked if hit.key in by_id]


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
