"""The staff's synonyms as the searches read them: word lists, word boundaries, a query's synonym groups.

One query expansion for the news, the policy catalogue and the FAQ (``portal.content.ranking``):
a synonym counts where it starts and ends on jieba's word boundaries, so that 高企 is found in
高企认定 and not in 提高企业. No model or database access here: callers pass texts in.
"""

import logging
import re
import unicodedata
from collections.abc import Iterable
from typing import NamedTuple

import jieba
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from portal.search import MAX_QUERY_LENGTH, tokenize

jieba.setLogLevel(logging.WARNING)

_SPLIT = re.compile(r"[,，、;；=＝/|]+")
_SPACES = re.compile(r"\s+")
# A piece of Latin letters only is one English phrase (high-tech enterprise); anything else splits at spaces.
_LATIN_PHRASE = re.compile(r"[a-z0-9&'. -]+")

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
