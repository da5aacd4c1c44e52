"""Chinese matching for the FAQ box and the news search: jieba words, staff synonyms, a small ranking.

A query becomes *groups* of interchangeable words (one per query word, widened by its synonyms).
A text matches a group when it holds one of the words; a match that starts and ends on jieba's word
boundaries counts fully, one inside a longer word (社保 in 社保卡) counts half, so that 高企 is not
found in 提高企业. Groups that are rare in the corpus weigh more (inverse document frequency).
No model or database access here: callers pass texts in and get scores out.
"""

import logging
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import jieba
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from portal.search import MAX_QUERY_LENGTH, tokenize

jieba.setLogLevel(logging.WARNING)

# Question words and particles that say nothing about the subject.
_STOP_TEXT = """
    怎么 怎样 怎么办 如何 什么 哪些 哪里 哪个 多少 多久 是否 可以 能否 能不能 需要 请问 一下 时候
    我们 我司 你们 这个 那个 这些 那些 还是 或者 以及 还有 就是 有没有 是不是 要不要 为什么 么
    的 了 和 与 及 或 是 在 有 我 你 吗 呢 吧 啊 要 能 会 给 对 把 被 从 到 去 也 都 就 还 又 请 想
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())
_SPLIT = re.compile(r"[,，、;；=＝/|]+")
_SPACES = re.compile(r"\s+")
# A piece of Latin letters only is one English phrase (high-tech enterprise); anything else splits at spaces.
_LATIN_PHRASE = re.compile(r"[a-z0-9&'. -]+")
_WORDLIKE = re.compile(r"\w", re.UNICODE)

# Field weights: a word in the question says more than one in the answer.
FIELD_WEIGHTS = {"question": 3.0, "keywords": 2.5, "answer": 1.0}
PARTIAL_MATCH = 0.5


def split_words(text: str) -> list[str]:
    """Staff-entered word lists ("高企 = 高新技术企业", "社保，养老保险") as clean words, in order.

    Spaces separate words too, except inside an English phrase set off by "=" or a comma:
    "高企 高新技术企业 = high-tech enterprise" is three words.
    """
    words: list[str] = []
    for piece in _SPLIT.split(normalise(text or "")):
        piece = _SPACES.sub(" ", piece).strip()
        pieces = [piece] if _LATIN_PHRASE.fullmatch(piece) else piece.split(" ")
        for word in pieces:
            if word and word not in words:
                words.append(word)
    return words


def normalise(text: str) -> str:
    """Full-width to half-width, lower case: what visitors type varies, the words do not."""
    return unicodedata.normalize("NFKC", text or "").lower()


class Synonyms:
    """Staff-maintained groups of words with one meaning; each word maps to its whole group."""

    def __init__(self, groups: Iterable[Iterable[str]] = ()):
        self._by_word: dict[str, frozenset[str]] = {}
        for group in groups:
            words = frozenset(normalise(w) for w in group if w)
            for word in words:
                self._by_word[word] = self._by_word.get(word, frozenset()) | words

    def expand(self, word: str) -> frozenset[str]:
        return self._by_word.get(word, frozenset()) | {word}

    @property
    def words(self) -> frozenset[str]:
        return frozenset(self._by_word)


class Segmented:
    """A text with the word boundaries jieba sees in it."""

    __slots__ = ("boundaries", "text")

    def __init__(self, text: str):
        self.text = normalise(text)
        self.boundaries = {0, len(self.text)}
        for _word, start, end in jieba.tokenize(self.text, mode="search"):
            self.boundaries.add(start)
            self.boundaries.add(end)

    def whole_word_spans(self, word: str) -> list[tuple[int, int]]:
        """Where ``word`` occurs starting and ending on word boundaries, as (start, end) positions."""
        spans = []
        start = self.text.find(word) if word else -1
        while start != -1:
            if start in self.boundaries and start + len(word) in self.boundaries:
                spans.append((start, start + len(word)))
            start = self.text.find(word, start + 1)
        return spans

    def match(self, word: str) -> float:
        """1 when ``word`` occurs as whole words, 0.5 when only inside a longer word, else 0."""
        found = 0.0
        start = self.text.find(word)
        while start != -1:
            if start in self.boundaries and start + len(word) in self.boundaries:
                return 1.0
            found = PARTIAL_MATCH
            start = self.text.find(word, start + 1)
        return found


def _meaningful(word: str) -> bool:
    return len(word) >= 2 and word not in STOP_WORDS and bool(_WORDLIKE.search(word))


def query_words(query: str, *, vocabulary: Iterable[str] = (), precise: bool = False) -> list[str]:
    """The query's words: jieba's, plus known terms (synonyms, keywords) that sit on word boundaries."""
    segmented = Segmented(query)
    text = segmented.text
    words: list[str] = []
    for term in sorted(set(vocabulary), key=len, reverse=True):
        if term and segmented.match(term) == 1.0 and term not in words:
            words.append(term)
    cut = jieba.cut(text) if precise else jieba.cut_for_search(text)
    for word in cut:
        word = word.strip()
        if _meaningful(word) and word not in words:
            words.append(word)
    if precise:
        # Keep the longest words only: a text holding 高新技术企业 holds 企业 too.
        words = [w for w in words if not any(w != other and w in other for other in words)]
    return words


def query_groups(
    query: str, *, synonyms: Synonyms | None = None, vocabulary: Iterable[str] = (), precise: bool = False
) -> list[frozenset[str]]:
    """One group of interchangeable words per query word, synonyms included, without repeats."""
    synonyms = synonyms or Synonyms()
    groups: list[frozenset[str]] = []
    for word in query_words(query, vocabulary={*vocabulary, *synonyms.words}, precise=precise):
        group = synonyms.expand(word)
        if group not in groups:
            groups.append(group)
    return groups


class SynonymTerms(NamedTuple):
    """A query's search terms for ``portal.search.apply_search``, its synonyms as groups of alternatives."""

    tokens: list[str]
    groups: list[list[list[str]]]
    words: list[str]  # the synonyms behind the groups, whole, for marking them in results


def synonym_terms(query: str, tokens: list[str], synonyms: Synonyms) -> SynonymTerms:
    """The tokens and synonym groups to search for, given a query and its tokens (``parse_query``).

    A staff synonym found in the query on word boundaries (高企 in "高企认定", not in "提高企业"), longest
    first, becomes one group: every word of its synonym group as that word's tokens, any one enough. The rest
    of the query keeps its tokens; with no synonym in the query, ``tokens`` come back as they are.
    """
    segmented = Segmented(query.strip()[:MAX_QUERY_LENGTH])  # the text parse_query read
    taken: list[tuple[int, int]] = []
    groups: list[list[list[str]]] = []
    words: list[str] = []
    seen: set[frozenset[str]] = set()
    for word in sorted(synonyms.words, key=lambda w: (-len(w), w)):
        spans = [
            span
            for span in segmented.whole_word_spans(word)
            if not any(span[0] < end and start < span[1] for start, end in taken)
        ]
        if not spans or not tokenize(word):
            continue
        taken.extend(spans)
        group = synonyms.expand(word)
        if group in seen:
            continue
        seen.add(group)
        # The word as typed first, then the others longest first: a stable order.
        alternatives = []
        for other in sorted(group, key=lambda w: (w != word, -len(w), w)):
            if tokenize(other):
                alternatives.append(tokenize(other))
                words.append(other)
        groups.append(alternatives)
    if not groups:
        return SynonymTerms(tokens, [], [])
    rest, last = [], 0
    for start, end in sorted(taken):
        rest.append(segmented.text[last:start])
        last = end
    rest.append(segmented.text[last:])
    return SynonymTerms(list(dict.fromkeys(tokenize(" ".join(rest)))), groups, list(dict.fromkeys(words)))


@dataclass
class Document:
    """One searchable entry (a question) with its fields segmented once."""

    key: object
    fields: dict[str, Segmented]
    order: tuple = ()

    @classmethod
    def build(cls, key, *, order: tuple = (), **texts: str) -> "Document":
        return cls(key=key, fields={name: Segmented(text) for name, text in texts.items()}, order=order)

    def group_score(self, group: frozenset[str]) -> float:
        """The group's best match in each field, weighted and summed: a word in every field says most."""
        return sum(
            FIELD_WEIGHTS.get(name, 1.0) * max(segmented.match(word) for word in group)
            for name, segmented in self.fields.items()
        )


@dataclass
class Hit:
    key: object
    score: float
    words: frozenset[str] = field(default_factory=frozenset)


class Matcher:
    """Ranks documents against a visitor's query: best match first."""

    def __init__(self, documents: Sequence[Document], *, synonyms: Synonyms | None = None, vocabulary=()):
        self.documents = list(documents)
        self.synonyms = synonyms or Synonyms()
        self.vocabulary = frozenset(normalise(v) for v in vocabulary if v)

    def search(self, query: str, *, limit: int = 5) -> list[Hit]:
        groups = query_groups(query, synonyms=self.synonyms, vocabulary=self.vocabulary)
        if not groups or not self.documents:
            return []
        scores = {id(doc): [doc.group_score(g) for g in groups] for doc in self.documents}
        total = len(self.documents)
        idf = []
        for index in range(len(groups)):
            df = sum(1 for doc in self.documents if scores[id(doc)][index] > 0)
            idf.append(math.log(1 + total / df) if df else 0.0)
        whole = normalise(query).strip()
        hits = []
        for doc in self.documents:
            per_group = scores[id(doc)]
            score = sum(s * w for s, w in zip(per_group, idf, strict=True))
            if score <= 0:
                continue
            question = doc.fields.get("question")
            if question is not None and len(groups) > 1 and whole in question.text:
                score *= 2  # the visitor typed (part of) this very question
            matched = frozenset().union(*(g for g, s in zip(groups, per_group, strict=True) if s > 0))
            hits.append((doc, Hit(key=doc.key, score=round(score, 4), words=matched)))
        hits.sort(key=lambda pair: (-pair[1].score, pair[0].order))
        return [hit for _doc, hit in hits[:limit]]


def highlight(text: str, words: Iterable[str]) -> SafeString:
    """``text`` escaped, with each occurrence of ``words`` (case-insensitive, NFKC) marked."""
    words = sorted({w for w in words if w}, key=len, reverse=True)
    if not words:
        return escape(text)
    folded = normalise(text)
    if len(folded) != len(text):
        # Normalising changed lengths (rare ligatures): positions no longer line up, so mark nothing.
        return escape(text)
    pattern = re.compile("|".join(re.escape(w) for w in words))
    spans: list[list[int]] = []
    for found in pattern.finditer(folded):
        if spans and found.start() <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], found.end())  # 联合|验收 side by side: one mark
        else:
            spans.append([found.start(), found.end()])
    pieces, last = [], 0
    for start, end in spans:
        pieces.append(escape(text[last:start]))
        pieces.append(f"<mark>{escape(text[start:end])}</mark>")
        last = end
    pieces.append(escape(text[last:]))
    return mark_safe("".join(pieces))  # noqa: S308 — every piece is escaped above
