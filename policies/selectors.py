"""Reads of the policy catalogue for the pages, the API, the admin and the subsidy engine."""

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
from django.db.models import Case, IntegerField, Max, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from policies.models import Attachment, Category, Policy, PolicyStatus, Subscription
from portal import public_cache
from portal.accounts.models import Department, User
from portal.content.selectors import SearchTerms, search_terms
from portal.search import Bm25Index, IndexHolder, RankedResults, deletions, ranked_search

# The statuses a visitor may filter the catalogue by.
PUBLIC_STATUSES = (PolicyStatus.PUBLISHED, PolicyStatus.EXPIRED, PolicyStatus.REPEALED)


@dataclass
class PolicyFilters:
    """What the catalogue is narrowed by; every field optional."""

    q: str | None = None
    category: str | None = None  # Category.slug
    department: str | None = None  # Department.code
    status: str | None = None  # a PUBLIC_STATUSES value, as the public sees it today
    year: int | None = None  # year of publication
    terms: SearchTerms = field(default_factory=SearchTerms, init=False)

    def __post_init__(self):
        # The news and the FAQ read a query the same way: the staff's synonyms widen it (高企, R&D).
        self.terms = search_terms(self.q)

    @property
    def searching(self) -> bool:
        return self.terms.searching

    @property
    def tokens(self) -> list[str]:
        """What to mark in a result: the query's words and the synonyms searched for."""
        return self.terms.words


def _in_force(today: dt.date) -> Case:
    """1 for a policy in force on ``today`` (published, started, not past its end), else 0; on a queryset
    annotated ``with_status_now``."""
    started = Q(effective_from__isnull=True) | Q(effective_from__lte=today)
    return Case(
        When(started, status_now=PolicyStatus.PUBLISHED, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )


@dataclass(frozen=True)
class CatalogueIndex:
    """The catalogue as a search ranks it, held in memory: BM25 over every policy's tokens (drafts too),
    and per policy (in the order of ``bm25.keys``) whether the public may read it, whether it is in force
    on the day it was built and its publication day (an ordinal, 0 when unknown)."""

    bm25: Bm25Index
    public: np.ndarray
    in_force: np.ndarray
    published: np.ndarray


def _build_catalogue_index(day: dt.date) -> CatalogueIndex:
    rows = list(
        Policy.objects.with_status_now(day)
        .annotate(in_force=_in_force(day))
        .order_by("pk")
        .values_list("pk", "search_title", "search_body", "status", "in_force", "published_on")
    )
    return CatalogueIndex(
        bm25=Bm25Index((pk, title, body) for pk, title, body, *_ in rows),
        public=np.array([row[3] != PolicyStatus.DRAFT for row in rows], dtype=bool),
        in_force=np.array([row[4] for row in rows], dtype=np.int64),
        published=np.array([row[5].toordinal() if row[5] else 0 for row in rows], dtype=np.int64),
    )


_catalogue_index = IndexHolder(lambda: _build_catalogue_index(timezone.localdate()))


def catalogue_index() -> CatalogueIndex:
    """The catalogue's search index, rebuilt in each process when a policy is saved, published or repealed,
    and each day (what is in force changes with the date)."""
    # Read from two indexes (a count of the whole catalogue took 55 ms a search at 100,000 policies): a new
    # policy moves the highest id, an edit the last change, a deletion in admin the deletions count.
    version = Policy.objects.aggregate(last=Max("updated_at"), top=Max("id"))
    return _catalogue_index.get((*version.values(), deletions(Policy), timezone.localdate()))


def _with_related(qs: QuerySet[Policy]) -> QuerySet[Policy]:
    return qs.select_related("department").prefetch_related(
        Prefetch("categories", queryset=Category.objects.order_by("order", "id"))
    )


def policy_list(
    *, filters: PolicyFilters | None = None, include_drafts: bool = False
) -> QuerySet[Policy] | RankedResults:
    """The catalogue, filtered; newest first, or best match first when searching (then a ``RankedResults``,
    which pages like a queryset). Fixed query count.

    A search ranks the policies in force above the expired and repealed ones, then by how well they match:
    a reader asking for 研发费用补助 wants the scheme they can still apply to.
    """
    filters = filters or PolicyFilters()
    qs = Policy.objects.all() if include_drafts else Policy.objects.public()
    qs = qs.with_status_now()
    if filters.category:
        qs = qs.filter(categories__slug=filters.category)
    if filters.department:
        qs = qs.filter(department__code=filters.department)
    if filters.status in PolicyStatus.values:
        qs = qs.filter(status_now=filters.status)
    if filters.year:
        qs = qs.filter(published_on__year=filters.year)
    qs = _with_related(qs)
    if filters.searching:
        tokens, groups = list(filters.terms.tokens), filters.terms.groups
        if not tokens and not groups:
            return qs.none()  # nothing searchable was typed (punctuation only)
        narrowed = bool(filters.category or filters.department or filters.status or filters.year)
        return _ranked(qs, tokens, groups, include_drafts=include_drafts, narrowed=narrowed)
    return qs.order_by("-published_on", "-id")


def _ranked(qs: QuerySet[Policy], tokens: list[str], groups, *, include_drafts: bool, narrowed: bool):
    """A search's policies, best first: those in force today, then by BM25 (a title counts three times the
    rest), then the newest; found and ordered in memory (``CatalogueIndex``), the database asked only for
    the filters and for the rows of the page shown."""
    catalogue = catalogue_index()
    keep = np.ones(len(catalogue.public), dtype=bool) if include_drafts else catalogue.public
    return ranked_search(
        catalogue.bm25,
        tokens,
        groups,
        keep=keep,
        queryset=qs,
        confirm=narrowed,
        title_field="search_title",
        body_field="search_body",
        first=catalogue.in_force,
        then=catalogue.published,
        rows=lambda page: qs.filter(pk__in=page).annotate(in_force=_in_force(timezone.localdate())),
    )


def policy_detail(*, code: str, include_drafts: bool = False) -> Policy | None:
    """One policy with its department, categories, attachments and supersession links, in four queries."""
    qs = Policy.objects.all() if include_drafts else Policy.objects.public()
    return (
        _with_related(qs)
        .select_related("superseded_by")
        .prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.order_by("id")),
            Prefetch("supersedes", queryset=Policy.objects.public().order_by("-published_on")),
        )
        .filter(code=code)
        .first()
    )


def policy_by_code(*, code: str) -> Policy | None:
    return Policy.objects.filter(code=code).first()


def policies_in_force(*, day: dt.date) -> QuerySet[Policy]:
    """Published policies in force on ``day`` (for the subsidy engine and the stats)."""
    return Policy.objects.published().effective_on(day)


def newest_policies(*, limit: int = 6) -> list[Policy]:
    """The latest public policies, for the home page."""
    return list(_with_related(Policy.objects.public()).order_by("-published_on", "-id")[:limit])


def categories() -> QuerySet[Category]:
    return Category.objects.order_by("order", "id")


def departments_with_policies() -> list[Department]:
    """Departments that issued at least one public policy, for the filter (kept until a public change)."""
    return public_cache.remember(
        "policies:departments",
        lambda: list(
            Department.objects.filter(policies__status__in=PUBLIC_STATUSES).distinct().order_by("id")
        ),
    )


def publication_years() -> list[int]:
    """Years in which public policies were published, newest first (kept until a public change)."""
    return public_cache.remember(
        "policies:years",
        lambda: [d.year for d in Policy.objects.public().dates("published_on", "year", order="DESC")],
    )


def subscribed_categories(*, user: User) -> QuerySet[Category]:
    return Category.objects.filter(subscriptions__user=user).order_by("order", "id")


def subscribers_of(*, policy: Policy) -> QuerySet[User]:
    """Active users who were subscribed to any of the policy's categories when it was published, each once."""
    subscriptions = Subscription.objects.filter(category__policies=policy)
    if policy.published_at is not None:
        # However late the notice task runs, a subscription made after publication does not count.
        subscriptions = subscriptions.filter(created_at__lte=policy.published_at)
    return User.objects.filter(is_active=True, pk__in=subscriptions.values("user_id")).order_by("pk")


def policies_for_subscriber(*, user: User, limit: int = 5) -> list[Policy]:
    """The newest public policies in the user's subscribed categories."""
    qs = Policy.objects.public().filter(categories__subscriptions__user=user).distinct()
    return list(_with_related(qs).order_by("-published_on", "-id")[:limit])
