"""The FAQ's instant answers (秒回复) ranked by intent: BM25 over jieba words, synonyms and pinyin.

Each question is four fields (the question, the staff's keywords, the answer, and the visitors'
wordings learned from their 有帮助 votes), each indexed with bm25s; a query's score is the weighted
sum of the four, and of a fifth weighed low: the single characters and the pairs of characters of the
question, keywords and wordings, for the colloquial words jieba does not know. Both sides are read the
same way (``Analyser``): jieba's search-mode words, the known terms (keywords, synonyms) found on word
boundaries, one token per synonym group found (so 高企 in a query meets 高新技术企业 in an answer, and
R&D meets 研发), and the pinyin of every Chinese word (so "gaoqi rending" and a homophone typo such as
加计扣出 still match). Visitors' votes (有帮助 / 没有帮助) move a question's score by at most
``VOTE_BOOST`` either way; the 没有帮助 votes of visitors who typed the very same query demote the
question for that query (``query_demotion``).
No model or database access here: callers pass texts in and get ranked keys out.
"""

import functools
import itertools
import logging
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import bm25s
import numpy as np
from pypinyin import Style, lazy_pinyin

from portal.content.matching import Segmented, normalise, split_words
from portal.search import MAX_QUERY_LENGTH, _segmenter

logging.getLogger("bm25s").setLevel(logging.WARNING)

# How much a word found in each field says about the question (tuned on the training part of the set).
# A learned wording is a visitor's own question for the answer: it weighs what the question does. "chars":
# the single Chinese characters and pairs of them in the question, keywords and learned wordings, for the
# colloquial words jieba does not know (领票, 搬家了): a fallback, weighed low (``characters``).
FIELD_WEIGHTS = {"question": 1.0, "keywords": 0.9, "answer": 0.35, "learned": 1.0, "chars": 0.4}
# The most the votes move a score: ±10 % for a question every voter found (un)helpful.
VOTE_BOOST = 0.2
# Votes count like this many neutral ones before they move anything (Laplace smoothing).
VOTE_PRIOR = 4
# Each 没有帮助 (less the 有帮助) from visitors who typed this very query takes this share off the
# question's score for that query, down to ``QUERY_DEMOTION_FLOOR`` of it.
QUERY_DEMOTION = 0.25
QUERY_DEMOTION_FLOOR = 0.25
# A question whose score is below this share of the best one is not worth showing.
RELATIVE_FLOOR = 0.2
# How much more a question asking what the visitor asks weighs (an amount, a procedure, a condition …),
# for an intent only one question has; a common one (怎么办理) says less and moves less (by its IDF).
INTENT_BOOST = 0.5

# What a question asks, told by its wording whatever its subject: one subject has several questions (高企:
# its conditions, its benefits, when to apply), and the visitor's question words choose among them.
INTENT_CUES = {
    "amount": r"多少(?![天年月日个]|时间)|金额|比例|费率|税率|几个点|百分之几|标准是",
    "benefit": r"好处|有什么用|有啥用|有用吗|划算|值不值|值得|能(拿|得|享受)到?什么"
    r"|(给|补|奖|拿|奖励|补贴|补助)多少|有(什么|啥|没有)?(补贴|补助|资助|奖励|奖补|支持|优惠|保障|政策)",
    "procedure": r"(怎么|怎样|如何|咋)(办|申|报|弄|搞|操作|领|开|做|享受|处理|设立|开通|添加|注销|归集|确定)"
    r"|流程|步骤|手续|程序",
    "where": r"哪里|哪儿|在哪|去哪|找哪|哪个部门|地址|窗口|找谁",
    "eligibility": r"条件|门槛|要求|资格|符合|够格|够不够|(认定|评价|什么|啥)标准|才算",
    "can": r"(可以|能|可否|允许)[^，,。？?！!]{0,12}吗|能不能|可不可以|行不行|能否|让不让",
    "time": r"多久|多长时间|几天|多少(天|年|个月|时间)|几个?月|哪个月|月份|什么时候|啥时候|何时|时间"
    r"|时限|期限|截止|哪天|几号|有效期|到期|每年|一年一次|几年一次",
    "materials": r"材料|资料|(带|交|准备|提交)(什么|啥|哪些)|证件|身份证|复印件|原件",
    "lookup": r"哪(里|儿)?(看|查)|查询|查看|进度|进展|到哪一步|到哪了|查得到",
    "definition": r"什么是|是什么意思|什么意思|啥意思|指什么|啥是|是指|是个啥|是啥",
    "why": r"为什么|为啥|怎么回事|原因",
    "options": r"哪些|有什么渠道|有啥渠道|都有啥|都有什么|有几种",
    "difference": r"不同|不一样|区别|差别|差异",
    "need": r"要不要|需不需要|用不用|必须|(需要|要|得)[^，,。？?！!]{0,10}吗",
}
_INTENT_PATTERNS = {intent: re.compile(cues) for intent, cues in INTENT_CUES.items()}


def intents(text: str) -> frozenset[str]:
    """What a question asks (``INTENT_CUES``), read from its wording."""
    text = normalise(text)
    return frozenset(intent for intent, pattern in _INTENT_PATTERNS.items() if pattern.search(text))


_SYNONYM = "\x00syn{}"
_PINYIN = "\x00py:"
_LATIN = re.compile(r"[a-z]+")
_HAN = re.compile(r"[\u4e00-\u9fff]")
# Particles and pronouns only: the question words (多少, 多久, 哪里, 什么时候) say what is asked, and BM25
# weighs the common ones down by itself.
_DROP_TEXT = (
    "的 了 和 与 及 或 是 在 有 我 你 他 吗 呢 吧 啊 呀 嘛 么 也 都 就 还 又 请 想 "
    "要 能 会 给 对 把 被 从 到 去 "
    "我们 我司 你们 咱们 本 这个 那个 这些 那些 请问 一下 怎么 怎样 如何 咋 可以 能否 能不能 是不是 是否 "
    "a an the"
)
_DROP = frozenset(_DROP_TEXT.split())


@dataclass(frozen=True)
class Entry:
    """One question as the index reads it."""

    key: object
    question: str
    keywords: str
    answer: str
    order: tuple = ()
    learned: tuple[str, ...] = ()  # visitors' wordings learned from their votes (LearnedPhrasing)


@dataclass(frozen=True)
class Ranked:
    key: object
    score: float
    words: frozenset[str]  # the visitor's words (and their synonyms) found in the entry, for marking


@functools.lru_cache(maxsize=65536)
def pinyin(word: str) -> str:
    """A Chinese word's pinyin without tones, run together: 高企 → gaoqi."""
    return "".join(lazy_pinyin(word, style=Style.NORMAL, errors="ignore"))


class Analyser:
    """Turns a text into the tokens both the index and the query use."""

    def __init__(self, *, synonym_groups: Sequence[Sequence[str]] = (), vocabulary: Iterable[str] = ()):
        self.group_of: dict[str, list[int]] = {}
        for index, group in enumerate(synonym_groups):
            for word in group:
                self.group_of.setdefault(normalise(word), []).append(index)
        self.terms = sorted({*self.group_of, *(normalise(v) for v in vocabulary if v)}, key=len, reverse=True)
        self.groups = [[normalise(w) for w in group] for group in synonym_groups]
        # The pinyin of a synonym spells its group: "gaoqi" and 高歧 mean 高企.
        self.synonym_pinyin = {
            pinyin(word): self._group_tokens(word)
            for word in self.group_of
            if _HAN.search(word) and len(word) > 1
        }

    def _group_tokens(self, word: str) -> list[str]:
        return [_SYNONYM.format(group) for group in self.group_of.get(word, ())]

    def spelled(self, spelling: str) -> list[str]:
        """The tokens of a word's pinyin: its synonym group's, or the pinyin token itself."""
        return self.synonym_pinyin.get(spelling) or [_PINYIN + spelling]

    def surface(self, text: str) -> list[str]:
        """The words of ``text``: known terms, then jieba's, without particles."""
        segmented = Segmented(text)
        words = [term for term in self.terms if len(term) > 1 and _on_a_boundary(segmented, term)]
        for token in _segmenter().cut_for_search(segmented.text):
            token = token.strip()
            if token and token not in _DROP and _is_word(token):
                words.append(token)
        return words

    def tokens(self, text: str) -> list[str]:
        """Every token of ``text``: words, synonym groups, pinyin (repeats kept: BM25 counts them)."""
        tokens = []
        surface = self.surface(text)
        for word in surface:
            if word in self.group_of:
                # A synonym stands for its group alone, so 高企 and 高新技术企业 weigh the same.
                tokens.extend(self._group_tokens(word))
                continue
            tokens.append(word)
            if _HAN.search(word) and len(word) > 1:
                tokens.extend(self.spelled(pinyin(word)))  # 高歧 sounds like 高企
        # jieba leaves a mistyped word in single characters (高歧, 社宝): their pinyin two by two still
        # spells the word meant (gaoqi, shebao).
        singles = list(_segmenter().cut(normalise(text)))
        for first, second in itertools.pairwise(singles):
            if len(first) == 1 and len(second) == 1 and _HAN.match(first) and _HAN.match(second):
                tokens.extend(self.spelled(pinyin(first + second)))
        return tokens


class FaqIndex:
    """The published questions, indexed once; ``search`` ranks them against what a visitor typed."""

    def __init__(
        self,
        entries: Sequence[Entry],
        *,
        synonym_groups: Sequence[Sequence[str]] = (),
    ):
        self.entries = list(entries)
        self.intents = [intents(entry.question) for entry in self.entries]
        self.intent_boost = _intent_boosts(self.intents)
        vocabulary = {w for entry in self.entries for w in split_words(entry.keywords)}
        self.analyser = Analyser(synonym_groups=synonym_groups, vocabulary=vocabulary)
        self.fields: dict[str, bm25s.BM25] = {}
        self.vocab: dict[str, set[str]] = {}
        self.doc_tokens: list[set[str]] = [set() for _ in self.entries]
        self.doc_words: list[set[str]] = [set() for _ in self.entries]  # as written, for marking
        for name in FIELD_WEIGHTS:
            texts = [_field_text(entry, name) for entry in self.entries]
            tokenise = characters if name == "chars" else self.analyser.tokens
            corpus = [tokenise(text) for text in texts]
            for index, tokens in enumerate(corpus):
                self.doc_tokens[index].update(tokens)
                if name not in ("learned", "chars"):  # marking is for the page's words, not the visitors'
                    self.doc_words[index].update(self.analyser.surface(texts[index]))
            retriever = bm25s.BM25()
            if self.entries:
                retriever.index([tokens or [""] for tokens in corpus], show_progress=False)
            self.fields[name] = retriever
            self.vocab[name] = {t for tokens in corpus for t in tokens}
        self.pinyin_words = {
            token.removeprefix(_PINYIN)
            for tokens in self.doc_tokens
            for token in tokens
            if token.startswith(_PINYIN)
        } | set(self.analyser.synonym_pinyin)

    def query_tokens(self, query: str) -> list[str]:
        """The query's tokens, with typed pinyin ("shebao", "gaoqi rending") read as the words it spells."""
        text = normalise(query).strip()[:MAX_QUERY_LENGTH]
        tokens = self.analyser.tokens(text) + characters(text)
        for latin in _LATIN.findall(text):
            for spelling in self._spell(latin):
                tokens.extend(self.analyser.spelled(spelling))
        return list(dict.fromkeys(tokens))

    def _spell(self, latin: str) -> list[str]:
        """``latin`` cut into the fewest pinyin words the index knows, or nothing when it is not pinyin."""
        if latin in self.pinyin_words:
            return [latin]
        best: list[list[str] | None] = [None] * (len(latin) + 1)
        best[0] = []
        for end in range(1, len(latin) + 1):
            for start in range(max(0, end - 24), end):
                piece = latin[start:end]
                if best[start] is not None and piece in self.pinyin_words:
                    candidate = [*best[start], piece]
                    if best[end] is None or len(candidate) < len(best[end]):
                        best[end] = candidate
        return best[-1] or []

    def scores(self, tokens: list[str]) -> np.ndarray:
        total = np.zeros(len(self.entries), dtype=np.float64)
        for name, weight in FIELD_WEIGHTS.items():
            if name == "chars":
                continue
            known = [t for t in tokens if t in self.vocab[name]]
            if known:
                total += weight * self.fields[name].get_scores(known)
        known = [t for t in tokens if t in self.vocab["chars"]]
        if known:
            # Single characters say something only beside a word or two characters in a row found in the
            # question: alone, 天 and 气 of 今天天气 would find 用气报装.
            pairs = [t for t in known if t.startswith(_PAIR)]
            chars = self.fields["chars"].get_scores(known)
            for index in np.nonzero(chars)[0]:
                if total[index] > 0 or any(t in self.doc_tokens[index] for t in pairs):
                    total[index] += FIELD_WEIGHTS["chars"] * chars[index]
        return total

    def search(
        self,
        query: str,
        *,
        votes: Mapping[object, tuple[int, int]] | None = None,
        query_votes: Mapping[object, tuple[int, int]] | None = None,
        limit: int = 5,
    ):
        """The best questions for ``query``, best first: at most ``limit``, none sharing nothing with it.

        ``votes`` are each question's 有帮助 and 没有帮助 votes; ``query_votes`` the ones given by visitors
        who typed this very query (``query_key``).
        """
        if not self.entries or not query.strip():
            return []
        tokens = self.query_tokens(query)
        if not tokens:
            return []
        scores = self.scores(tokens)
        asked = intents(query[:MAX_QUERY_LENGTH])
        if asked:
            for index, offered in enumerate(self.intents):
                shared = offered & asked
                if scores[index] > 0 and shared:
                    scores[index] *= 1 + max(self.intent_boost[intent] for intent in shared)
        votes = votes or {}
        query_votes = query_votes or {}
        for index, entry in enumerate(self.entries):
            if scores[index] > 0 and entry.key in votes:
                scores[index] *= vote_factor(*votes[entry.key])
            if scores[index] > 0 and entry.key in query_votes:
                scores[index] *= query_demotion(*query_votes[entry.key])
        top = float(scores.max())
        if top <= 0:
            return []
        order = sorted(
            (i for i in range(len(self.entries)) if scores[i] >= top * RELATIVE_FLOOR),
            key=lambda i: (-scores[i], self.entries[i].order),
        )
        words = self._words(query)
        return [
            Ranked(
                key=self.entries[i].key,
                score=round(float(scores[i]), 4),
                words=frozenset(w for w in words if w in self.doc_words[i]),
            )
            for i in order[:limit]
        ]

    def _words(self, query: str) -> set[str]:
        """The query's words and every synonym of them, as text: what to mark in an answer."""
        words = set()
        for word in self.analyser.surface(normalise(query)[:MAX_QUERY_LENGTH]):
            words.add(word)
            for group in self.analyser.group_of.get(word, ()):
                words.update(self.analyser.groups[group])
        return words


def _field_text(entry: Entry, name: str) -> str:
    if name == "learned":
        return "，".join(entry.learned)  # a comma between wordings: no word runs from one into the next
    if name == "chars":
        return "，".join([entry.question, entry.keywords, *entry.learned])
    return getattr(entry, name)


_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
_PAIR = "\x00bi:"
_CHAR = "\x00ch:"
# Two characters that ask rather than name: they say nothing of the subject.
_QUESTION_PAIRS_TEXT = "什么 怎么 怎样 如何 哪些 哪里 哪儿 哪个 多少 可以 需要 是否 有没 没有 一下 请问 能不"
_QUESTION_PAIRS = frozenset(_QUESTION_PAIRS_TEXT.split())


def characters(text: str) -> list[str]:
    """The tokens of the "chars" field: each Chinese character, and each two side by side, but particles
    and question words (的, 吗, 怎么, 什么), which say nothing of the subject."""
    pairs = []
    for run in _HAN_RUN.findall(normalise(text)):
        pairs.extend(
            _PAIR + run[i : i + 2]
            for i in range(len(run) - 1)
            if run[i : i + 2] not in _QUESTION_PAIRS and run[i] not in _DROP and run[i + 1] not in _DROP
        )
        pairs.extend(_CHAR + ch for ch in run if ch not in _DROP)
    return pairs


def query_key(query: str) -> str:
    """A query as the votes remember it: normalised, spaces collapsed, cut to ``MAX_QUERY_LENGTH``."""
    return " ".join(normalise(query).split())[:MAX_QUERY_LENGTH]


def _intent_boosts(offered: Sequence[frozenset[str]]) -> dict[str, float]:
    """Each intent's boost: ``INTENT_BOOST`` times its inverse question frequency (1 for the rarest)."""
    count = len(offered)
    if count < 2:
        return dict.fromkeys(INTENT_CUES, INTENT_BOOST)
    boosts = {}
    for intent in INTENT_CUES:
        having = sum(intent in found for found in offered)
        boosts[intent] = INTENT_BOOST * math.log(count / max(having, 1)) / math.log(count)
    return boosts


def warm_up() -> None:
    """Load jieba's dictionary and pypinyin's tables now, at start-up, not on a visitor's first search."""
    _segmenter()
    pinyin.__wrapped__("高新")


def _is_word(token: str) -> bool:
    return bool(_HAN.search(token) or _LATIN.fullmatch(token) or token.isdigit())


def _on_a_boundary(segmented: Segmented, term: str) -> bool:
    """``term`` occurs starting or ending where jieba cuts a word: 高企 in 高企划算, not in 提高企业."""
    start = segmented.text.find(term)
    while start != -1:
        if start in segmented.boundaries or start + len(term) in segmented.boundaries:
            return True
        start = segmented.text.find(term, start + 1)
    return False


def vote_factor(helpful: int, unhelpful: int) -> float:
    """1 ± at most ``VOTE_BOOST / 2``: the smoothed share of helpful votes, centred on one half."""
    share = (helpful + VOTE_PRIOR / 2) / (helpful + unhelpful + VOTE_PRIOR)
    return 1 + VOTE_BOOST * (share - 0.5) * (1 - math.exp(-(helpful + unhelpful) / 10))


def query_demotion(helpful: int, unhelpful: int) -> float:
    """How much of a question's score is left for a query its visitors found it no help for."""
    return max(QUERY_DEMOTION_FLOOR, 1 - QUERY_DEMOTION * max(0, unhelpful - helpful))


def demo_index(*, learned: Mapping[str, Sequence[str]] | None = None) -> FaqIndex:
    """The demo's questions and synonyms indexed, keyed by question text (for the benchmark and tests).

    ``learned``: wordings learned from votes, by question text.
    """
    from portal.content.demo_faqs import CATEGORIES, FAQS, SYNONYMS

    learned = learned or {}
    entries = [
        Entry(
            key=question,
            question=question,
            keywords=keywords,
            answer=answer,
            order=(rank, position),
            learned=tuple(learned.get(question, ())),
        )
        for rank, (slug, _name, _desk) in enumerate(CATEGORIES)
        for position, (question, keywords, answer) in enumerate(FAQS[slug])
    ]
    return FaqIndex(entries, synonym_groups=[split_words(words) for words in SYNONYMS])
