"""Chinese full-text search shared by the policy catalogue and the news: jieba tokens, stored and matched.

A searchable model keeps two text columns of space-joined jieba tokens, one for the title and one for the
rest (``search_document``), written by the service that writes the row. On PostgreSQL the columns are
matched as a weighted ``tsvector`` (config ``simple``: the tokens are already words) through a GIN index
on the same expression (``search_index``); elsewhere every token is looked up in the stored token text,
which is slower but finds the same rows. A search may add groups of alternatives (a caller's synonyms:
高企 or 高新技术企业), one of which must match. Nothing here knows a model: callers pass field names.

``Bm25Index`` holds the same token columns in memory, per process, rebuilt when the rows change
(``IndexHolder``): BM25 (bm25s), so a rare word found in a title weighs more than a common one found
anywhere, and which rows hold which token. ``ranked_search`` finds and orders a search's rows there and
asks the database only what memory cannot tell (the caller's filters, a synonym's words side by side) and
for the rows of the page shown (``RankedResults``): at 100,000 policies all holding the word searched,
ranking them in SQL took seconds, in memory 20 ms.
"""

import logging
import operator
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from functools import reduce

import bm25s
import numpy as np
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.core.cache import cache
from django.db.models import Case, F, FloatField, Func, IntegerField, Q, QuerySet, TextField, Value, When
from django.db.models.functions import Concat, Greatest, Least
from django.db.models.signals import post_delete
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

MAX_QUERY_LENGTH = 100
# Words that carry no meaning in a policy title or query ("关于……的若干措施"); matching them only adds noise.
_STOPWORD_TEXT = (
    "的 了 和 与 及 或 在 对 为 是 等 将 把 被 于 之 其 以 由 从 向 并 且 而 也 就 都 这 那 个 各 该 "
    "关于 有关 若干 一些 以及 或者 并且 按照 根据 通过 进行 a an and or of the to in on for"
)
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
# Weight of a token found in the title against one found elsewhere, for the fallback ranking.
TITLE_WEIGHT = 3
BODY_WEIGHT = 1

logging.getLogger("bm25s").setLevel(logging.WARNING)
logger = logging.getLogger(__name__)

_jieba_lock = threading.Lock()
_jieba = None


def _segmenter():
    """jieba, loaded once per process (about a second: it builds its prefix dictionary)."""
    global _jieba
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _jieba = jieba
    return _jieba


def warm_up() -> None:
    """Load jieba's dictionary now, at a web process's start, rather than in its first search."""
    _segmenter()


def _is_word(token: str) -> bool:
    return any(unicodedata.category(ch)[0] in "LN" for ch in token)


def tokenize(text: str) -> list[str]:
    """jieba search-mode words of ``text``, lowercased, without punctuation, spaces and stopwords."""
    if not text:
        return []
    text = unicodedata.normalize("NFKC", text).lower()
    tokens = []
    for token in _segmenter().cut_for_search(text):
        token = token.strip()
        if token and token not in STOPWORDS and _is_word(token):
            tokens.append(token)
    return tokens


def search_document(*texts: str) -> str:
    """The text to store in a token column: the tokens of every text, space-joined."""
    return " ".join(token for text in texts if text for token in tokenize(text))


def parse_query(q: str | None) -> list[str] | None:
    """The distinct tokens of a search box's text, in order.

    None when nothing was asked (absent or blank); [] when the text has no searchable word (punctuation,
    stopwords only). Text longer than ``MAX_QUERY_LENGTH`` is cut to that length (see ``query_notice``).
    """
    if q is None:
        return None
    q = q.strip()
    if not q:
        return None
    return list(dict.fromkeys(tokenize(q[:MAX_QUERY_LENGTH])))


def query_notice(q: str | None) -> str | None:
    """What to tell the person about their query, if anything (cut short, or nothing to search for)."""
    if q is None or not q.strip():
        return None
    if len(q.strip()) > MAX_QUERY_LENGTH:
        return _("检索词过长，已按前 %(n)d 个字检索。") % {"n": MAX_QUERY_LENGTH}
    if parse_query(q) == []:
        return _("检索词中没有可检索的文字，请输入关键词，如“研发费用”。")
    return None


def search_vector(title_field: str, body_field: str) -> SearchVector:
    """The weighted tsvector of the two token columns (title A, the rest B): the index and the query."""
    return SearchVector(title_field, weight="A", config="simple") + SearchVector(
        body_field, weight="B", config="simple"
    )


class SearchIndex(GinIndex):
    """A GIN index on ``search_vector``; created on PostgreSQL only (other databases search without)."""

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return _NoStatement()
        return super().create_sql(model, schema_editor, using=using, **kwargs)

    def remove_sql(self, model, schema_editor, **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return _NoStatement()
        return super().remove_sql(model, schema_editor, **kwargs)


class _NoStatement:
    """A schema statement that does nothing, for databases without the index type."""

    def __str__(self) -> str:
        return "SELECT 1"

    def references_table(self, table) -> bool:
        return False

    def references_column(self, table, column) -> bool:
        return False

    def rename_table_references(self, old_table, new_table) -> None:
        pass

    def rename_column_references(self, table, old_column, new_column) -> None:
        pass


def search_index(*, name: str, title_field: str, body_field: str) -> SearchIndex:
    """The index for ``Meta.indexes`` that makes ``apply_search`` fast on PostgreSQL."""
    return SearchIndex(search_vector(title_field, body_field), name=name)


def apply_search(
    queryset: QuerySet,
    tokens: list[str],
    *,
    title_field: str,
    body_field: str,
    then: Iterable[str] = ("-pk",),
    groups: Sequence[Sequence[Sequence[str]]] = (),
) -> QuerySet:
    """Rows whose title or text hold every token, best first (``search_rank``), then by ``then``.

    ``groups`` widens a search with alternatives (a reader's synonyms): a row must also hold one alternative
    of every group. An alternative is the tokens of one word as ``tokenize`` cuts it, to be found side by
    side in that order, in the title or in the text: 高新企业 is not found in "高新区……企业".
    """
    groups = [alternatives for alternatives in (_alternatives(g) for g in groups) if alternatives]
    if not tokens and not groups:
        return queryset.none()
    if queryset.db and _vendor(queryset) == "postgresql":
        query = _tsquery(tokens) if tokens else None
        for alternatives in groups:
            either = reduce(
                operator.or_, (_tsquery(alternative, phrase=True) for alternative in alternatives)
            )
            query = either if query is None else query & either
        vector = search_vector(title_field, body_field)
        queryset = queryset.annotate(search_vector=vector).filter(search_vector=query)
        if groups:
            rank = _ts_rank(vector, _tsquery(tokens)) if tokens else None
            for alternatives in groups:
                # ts_rank grows with every term found, so a four-token alternative in the text would outrank a
                # one-token one in the title; an alternative ranks as its weakest token instead, and the group
                # as its best alternative: a title hit comes first, as it does for tokens.
                best = _greatest(
                    [_least([_ts_rank(vector, _tsquery([t])) for t in alt]) for alt in alternatives]
                )
                rank = best if rank is None else rank + best
        else:
            rank = _ts_rank(vector, query)
        queryset = queryset.annotate(search_rank=rank)
    else:
        queryset = queryset.annotate(
            _search_title=Concat(Value(" "), F(title_field), Value(" "), output_field=TextField()),
            _search_body=Concat(Value(" "), F(body_field), Value(" "), output_field=TextField()),
        )
        rank = Value(0, output_field=IntegerField())
        for token in tokens:
            needle = f" {token} "
            queryset = queryset.filter(Q(_search_title__contains=needle) | Q(_search_body__contains=needle))
            rank = (
                rank
                + Case(When(_search_title__contains=needle, then=Value(TITLE_WEIGHT)), default=Value(0))
                + Case(When(_search_body__contains=needle, then=Value(BODY_WEIGHT)), default=Value(0))
            )
        for alternatives in groups:
            # A group weighs as one token: an alternative found in the title, or in the text.
            in_title = _any_phrase(alternatives, "_search_title")
            in_body = _any_phrase(alternatives, "_search_body")
            queryset = queryset.filter(in_title | in_body)
            rank = (
                rank
                + Case(When(in_title, then=Value(TITLE_WEIGHT)), default=Value(0))
                + Case(When(in_body, then=Value(BODY_WEIGHT)), default=Value(0))
            )
        queryset = queryset.annotate(search_rank=rank)
    return queryset.order_by("-search_rank", *then)


class Bm25Index:
    """BM25 scores of one model's rows, from their stored token columns (title and the rest)."""

    def __init__(self, rows: Iterable[tuple[object, str, str]]):
        rows = list(rows)
        self.keys = [key for key, _title, _body in rows]
        self.fields = []
        for column, weight in ((1, TITLE_WEIGHT), (2, BODY_WEIGHT)):
            corpus = [(row[column] or "").split() or [""] for row in rows]
            retriever = bm25s.BM25()
            if rows:
                retriever.index(corpus, show_progress=False)
            self.fields.append((weight, retriever, {token for tokens in corpus for token in tokens}))

    def _token(self, retriever, vocabulary, token: str) -> np.ndarray:
        if token not in vocabulary:
            return np.zeros(len(self.keys))
        return retriever.get_scores([token]).astype(np.float64)

    def scores(self, tokens: Sequence[str], groups: Sequence[Sequence[Sequence[str]]] = ()) -> dict:
        """Each row's score for ``tokens`` and ``groups`` (as ``apply_search`` takes them), if above 0.

        An alternative of a group scores as its weakest token and a group as its best alternative, as in
        ``apply_search``: 高新技术企业 (four tokens) does not outweigh 高企 (one).
        """
        total = self.score_vector(tokens, groups)
        return {key: float(score) for key, score in zip(self.keys, total, strict=True) if score > 0}

    def score_vector(
        self, tokens: Sequence[str], groups: Sequence[Sequence[Sequence[str]]] = ()
    ) -> np.ndarray:
        """``scores`` as an array in the order of ``keys`` (0 where a row scores nothing)."""
        total = np.zeros(len(self.keys))
        for weight, retriever, vocabulary in self.fields:
            for token in tokens:
                total += weight * self._token(retriever, vocabulary, token)
            for alternatives in groups:
                best = np.zeros(len(self.keys))
                for alternative in _alternatives(alternatives):
                    weakest = np.min([self._token(retriever, vocabulary, t) for t in alternative], axis=0)
                    best = np.maximum(best, weakest)
                total += weight * best
        return total

    def holding(self, tokens: Sequence[str], groups: Sequence[Sequence[Sequence[str]]] = ()) -> np.ndarray:
        """Which rows (in the order of ``keys``) hold every token, in the title or the rest, and every
        token of one alternative of each group: what ``apply_search`` finds where SQLite runs it, token for
        token. Whether an alternative's tokens stand side by side is not known here (``needs_phrases``)."""
        found = np.ones(len(self.keys), dtype=bool)
        for token in tokens:
            found &= self._holds(token)
        for alternatives in groups:
            either = np.zeros(len(self.keys), dtype=bool)
            for alternative in _alternatives(alternatives):
                every = np.ones(len(self.keys), dtype=bool)
                for token in alternative:
                    every &= self._holds(token)
                either |= every
            found &= either
        return found

    def _holds(self, token: str) -> np.ndarray:
        held = np.zeros(len(self.keys), dtype=bool)
        for _weight, retriever, vocabulary in self.fields:
            # A BM25 score is above 0 exactly where the token occurs (its idf is positive even in every row).
            held |= self._token(retriever, vocabulary, token) > 0
        return held


def deletions(model) -> int:
    """How many of ``model``'s rows were ever deleted (counted by ``count_deletions``), for the version of an
    index built from them: a deletion moves neither the last change nor the highest id. -1 when the cache
    cannot be reached (so the index is checked again next time)."""
    try:
        return cache.get(_deletions_key(model), 0)
    except Exception:
        logger.warning("search: the deletions count could not be read", exc_info=True)
        return -1


def count_deletions(model) -> None:
    """Count each deletion of ``model``'s rows in the shared cache, so every process's index notices it."""

    def deleted(sender, **kwargs) -> None:
        key = _deletions_key(model)
        try:
            if not cache.add(key, 1, None):
                cache.incr(key)
        except Exception:
            logger.warning("search: a deletion could not be counted", exc_info=True)

    post_delete.connect(
        deleted, sender=model, weak=False, dispatch_uid=f"search-deletions-{model._meta.label}"
    )


def _deletions_key(model) -> str:
    return f"search:deleted:{model._meta.label}"


class IndexHolder:
    """One ``Bm25Index`` per process, rebuilt when ``version`` (a cheap fingerprint of the rows) changes."""

    def __init__(self, build: Callable[[], Bm25Index]):
        self._build = build
        self._lock = threading.Lock()
        self._held: tuple[object, Bm25Index] | None = None

    def get(self, version) -> Bm25Index:
        held = self._held
        if held is None or held[0] != version:
            with self._lock:
                held = self._held
                if held is None or held[0] != version:
                    held = (version, self._build())
                    self._held = held
        return held[1]


def _alternatives(group: Sequence[Sequence[str]]) -> list[list[str]]:
    """The group's non-empty alternatives, each once."""
    kept: list[list[str]] = []
    for alternative in group:
        alternative = [t for t in alternative if t]
        if alternative and alternative not in kept:
            kept.append(alternative)
    return kept


def _ts_rank(vector: SearchVector, query: SearchQuery) -> SearchRank:
    # Normalisation 1 divides by the log of the length, so a long text does not win on repetition.
    return SearchRank(vector, query, normalization=Value(1))


def _greatest(expressions: list) -> Func:
    return expressions[0] if len(expressions) == 1 else Greatest(*expressions, output_field=FloatField())


def _least(expressions: list) -> Func:
    return expressions[0] if len(expressions) == 1 else Least(*expressions, output_field=FloatField())


def _tsquery(tokens: Sequence[str], *, phrase: bool = False) -> SearchQuery:
    # The stored columns are the tokens in text order, so a phrase query finds them side by side.
    search_type = "phrase" if phrase and len(tokens) > 1 else "plain"
    return SearchQuery(" ".join(tokens), config="simple", search_type=search_type)


def _any_phrase(alternatives: list[list[str]], field: str) -> Q:
    """One alternative's tokens side by side in ``field`` (the column with a space added at each end)."""
    return reduce(operator.or_, (Q(**{f"{field}__contains": f" {' '.join(alt)} "}) for alt in alternatives))


def _vendor(queryset: QuerySet) -> str:
    from django.db import connections

    return connections[queryset.db].vendor


def _match_pattern(tokens: Iterable[str]) -> re.Pattern | None:
    words = sorted({t for t in tokens if t}, key=len, reverse=True)
    if not words:
        return None
    # Adjacent matches join into one mark: "专精特新", not "专精" and "特新" side by side.
    return re.compile("(?:" + "|".join(re.escape(w) for w in words) + ")+", re.IGNORECASE)


def highlight(text: str, tokens: Iterable[str]) -> SafeString:
    """``text`` escaped, with every occurrence of a token wrapped in ``<mark>``."""
    text = text or ""
    pattern = _match_pattern(tokens)
    if pattern is None:
        return mark_safe(escape(text))  # noqa: S308 - escaped just now
    # Match on the raw text and escape each piece, so a token never matches inside an entity.
    parts, last = [], 0
    for match in pattern.finditer(text):
        parts.append(escape(text[last : match.start()]))
        parts.append(f"<mark>{escape(match.group())}</mark>")
        last = match.end()
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts))  # noqa: S308 - every piece escaped above


def snippet(text: str, tokens: Iterable[str], *, width: int = 120) -> SafeString:
    """About ``width`` characters of ``text`` around its first match, highlighted."""
    text = re.sub(r"\s+", " ", text or "").strip()
    tokens = list(tokens)
    pattern = _match_pattern(tokens)
    match = pattern.search(text) if pattern else None
    start = max(0, match.start() - width // 3) if match else 0
    end = min(len(text), start + width)
    excerpt = text[start:end]
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return mark_safe(f"{prefix}{highlight(excerpt, tokens)}{suffix}")  # noqa: S308 - highlight escapes


def needs_phrases(groups: Sequence[Sequence[Sequence[str]]]) -> bool:
    """Whether some alternative of ``groups`` has several tokens, which must then stand side by side: a
    thing ``Bm25Index.holding`` cannot tell and the database can."""
    return any(len(alternative) > 1 for alternatives in groups for alternative in _alternatives(alternatives))


class RankedResults:
    """A search's rows in rank order, read a page at a time: a list to ``Paginator`` and DRF's pagination.

    ``keys`` are the rows' primary keys, best first, and ``ranks`` their scores (lists or numpy arrays; a
    row read gets its score as ``search_rank``); ``rows(keys)`` reads those rows, in any order. Counting
    reads nothing, and a page reads its own rows only, however many matched (100,000 policies matching
    ``研发`` once took seconds to rank in SQL).
    """

    READ_AT_ONCE = 500

    def __init__(self, keys: Sequence[int], ranks: Sequence[float], rows: Callable[[list[int]], Iterable]):
        self.keys = keys
        self.ranks = ranks
        self._rows = rows

    def count(self) -> int:
        return len(self.keys)

    def __len__(self) -> int:
        return len(self.keys)

    def exists(self) -> bool:
        return len(self.keys) > 0

    __bool__ = exists

    def __getitem__(self, index):
        if not isinstance(index, slice):
            position = range(len(self.keys))[index]  # IndexError past the end, as a list raises
            return self[position : position + 1][0]
        keys, ranks = [int(key) for key in self.keys[index]], [float(rank) for rank in self.ranks[index]]
        found = {row.pk: row for row in self._rows(keys)}
        page = []
        for key, rank in zip(keys, ranks, strict=True):
            row = found.get(key)
            if row is not None:
                row.search_rank = rank
                page.append(row)
        return page

    def __iter__(self):
        for start in range(0, len(self.keys), self.READ_AT_ONCE):
            yield from self[start : start + self.READ_AT_ONCE]


# Above this many candidates, the database confirms a search's rows by reading every row of the queryset
# instead of a list of keys.
CONFIRM_AS_LIST = 5000


def ranked_search(
    index: Bm25Index,
    tokens: list[str],
    groups: Sequence[Sequence[Sequence[str]]],
    *,
    keep: np.ndarray,
    queryset: QuerySet,
    confirm: bool,
    title_field: str,
    body_field: str,
    first: np.ndarray | None = None,
    then: np.ndarray | None = None,
    rows: Callable[[list[int]], Iterable] | None = None,
) -> RankedResults:
    """The rows of ``queryset`` holding the search, best first, found and ordered in memory.

    ``keep`` (a mask over ``index.keys``) is what the caller allows before any word is read (what the public
    may see). The database is asked only what memory cannot tell, and of the candidates alone when they
    are few: whether ``queryset`` holds them (``confirm``, for the caller's filters) and whether a synonym's
    words stand side by side (``needs_phrases``). The order: ``first`` (descending: in force before not),
    the BM25 score, ``then`` (descending: the newest), the key. ``rows(keys)`` reads a page's rows (by
    default from ``queryset``).
    """
    keys = np.asarray(index.keys, dtype=np.int64)
    found = index.holding(tokens, groups) & keep
    phrases = needs_phrases(groups)
    if confirm or phrases:
        candidates = keys[found]
        exact = queryset if len(candidates) > CONFIRM_AS_LIST else queryset.filter(pk__in=candidates.tolist())
        if phrases:
            exact = apply_search(exact, tokens, groups=groups, title_field=title_field, body_field=body_field)
        confirmed = np.fromiter(exact.order_by().values_list("pk", flat=True), dtype=np.int64)
        found &= np.isin(keys, confirmed)
    positions = np.flatnonzero(found)
    scores = index.score_vector(tokens, groups)[positions]
    sort_keys = [-keys[positions]]
    if then is not None:
        sort_keys.append(-then[positions])
    sort_keys.append(-scores)
    if first is not None:
        sort_keys.append(-first[positions])
    order = np.lexsort(sort_keys)
    return RankedResults(
        keys[positions][order], scores[order], rows or (lambda page: queryset.filter(pk__in=page))
    )
