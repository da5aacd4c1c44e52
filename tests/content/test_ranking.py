"""The FAQ's instant answers ranked by intent (portal.content.ranking): set, pinyin, votes, rebuilds."""

import csv
from pathlib import Path

import pytest

from portal.content import ranking, selectors, services
from portal.content.demo_faqs import FAQS
from portal.content.models import Faq
from tests.content.factories import FaqFactory, FaqFeedbackFactory, SynonymGroupFactory

QUESTIONS = Path(__file__).resolve().parents[2] / "bench" / "faq_questions.csv"


@pytest.fixture(scope="module")
def demo_index():
    return ranking.demo_index()


@pytest.fixture(scope="module")
def question_set():
    with QUESTIONS.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def accuracy(index, rows):
    found = [[hit.key for hit in index.search(row["question"], limit=3)] for row in rows]
    top1 = sum(keys[:1] == [row["answer"]] for keys, row in zip(found, rows, strict=True)) / len(rows)
    top3 = sum(row["answer"] in keys for keys, row in zip(found, rows, strict=True)) / len(rows)
    return top1, top3


def test_the_question_set_is_150_questions_or_more_each_answered_by_a_demo_question(question_set):
    demo_questions = {question for faqs in FAQS.values() for question, _keywords, _answer in faqs}
    holdout = [row for row in question_set if row["part"] == "holdout"]

    assert len(question_set) >= 250
    assert {row["answer"] for row in question_set} <= demo_questions
    assert {row["part"] for row in question_set} == {"tune", "holdout"}
    assert 0.40 <= len(holdout) / len(question_set) <= 0.50
    assert len({row["question"] for row in question_set}) == len(question_set)


def test_the_instant_answers_meet_the_target_on_the_questions_tuned_against(demo_index, question_set):
    top1, top3 = accuracy(demo_index, [row for row in question_set if row["part"] == "tune"])

    assert top1 >= 0.97
    assert top3 >= 0.99


def test_the_held_out_questions_never_tuned_against_are_mostly_answered_in_the_first_three(
    demo_index, question_set
):
    # Measured 0.83 / 0.97 on the 117 held-out questions (60 of them written to avoid the FAQ's words):
    # below the 90 % / 98 % target, which the whole set meets (0.92 / 0.98).
    top1, top3 = accuracy(demo_index, [row for row in question_set if row["part"] == "holdout"])

    assert top1 >= 0.80
    assert top3 >= 0.95


@pytest.mark.parametrize(
    ("query", "expected_first"),
    [
        ("shebao jishu", "企业社保缴费基数怎么确定？"),  # typed pinyin
        ("gongjijinkaihu", "住房公积金怎么开户缴存？"),  # pinyin run together
        ("公积今开户", "住房公积金怎么开户缴存？"),  # a homophone typo
        ("高歧认定条件", "高新技术企业认定需要满足哪些条件？"),  # a typo of an abbreviation
        ("R&D subsidy", "企业研发投入有补助吗？"),  # English through the synonyms
        ("怎么申请研发费用补贴", "企业研发投入有补助吗？"),
        ("高企认定奖励多少钱", "成为高新技术企业有什么好处？"),
    ],
)
def test_questions_typed_every_which_way_find_their_answer_first(demo_index, query, expected_first):
    assert demo_index.search(query)[0].key == expected_first


def test_a_hit_names_the_visitors_words_and_their_synonyms_found_in_it_for_marking(demo_index):
    hit = demo_index.search("高企到期")[0]

    assert hit.key == "高企资格到期了怎么办？"
    assert hit.words == {"高企", "高新技术企业", "到期"}


def test_an_abbreviation_hidden_inside_other_words_is_not_taken_for_the_term(demo_index):
    assert "高企" in demo_index.analyser.surface("高企认定条件")
    assert "高企" not in demo_index.analyser.surface("如何提高企业研发投入")


def test_a_query_sharing_nothing_with_any_question_finds_nothing(demo_index):
    assert demo_index.search("火星探测") == []
    assert demo_index.search("  ") == []


def test_single_characters_alone_find_nothing_however_many_questions_hold_them(demo_index):
    # 天 and 气 are in 用气 and in 天数, but the weather is nobody's question here.
    assert demo_index.search("今天天气怎么样") == []


def test_the_characters_of_a_word_jieba_does_not_know_lean_towards_the_question_holding_them():
    entries = [
        ranking.Entry("name", "企业名称可以自主申报吗？", "", ""),
        ranking.Entry("invoice", "新办企业怎么申领发票？", "", ""),
    ]
    index = ranking.FaqIndex(entries, synonym_groups=[["企业", "公司"]])

    # 领票 is no word to jieba; its 领 and 票 are in 申领发票, beside the 公司 both questions share.
    assert [hit.key for hit in index.search("公司领票")] == ["invoice", "name"]
    assert [hit.key for hit in index.search("怎么样")] == []  # question words say nothing of the subject


def test_the_votes_move_a_score_by_a_tenth_at_most():
    assert ranking.vote_factor(0, 0) == 1
    assert 1.09 < ranking.vote_factor(100_000, 0) <= 1.1
    assert 0.9 <= ranking.vote_factor(0, 100_000) < 0.91
    assert ranking.vote_factor(3, 3) == 1


def test_the_votes_decide_between_two_equal_answers_but_cannot_lift_a_weak_one():
    same = {"question": "社保怎么缴纳？", "keywords": "", "answer": "在电子税务局缴纳。"}
    entries = [
        ranking.Entry(key="a", order=(1,), **same),
        ranking.Entry(key="b", order=(2,), **same),
        ranking.Entry(key="c", question="养老怎么办？", keywords="", answer="社保。", order=(3,)),
    ]
    index = ranking.FaqIndex(entries)

    assert [hit.key for hit in index.search("社保缴纳")] == ["a", "b", "c"]
    voted = index.search("社保缴纳", votes={"b": (40, 0), "a": (0, 40), "c": (1000, 0)})
    assert [hit.key for hit in voted] == ["b", "a", "c"]


@pytest.mark.django_db
def test_the_index_is_built_once_and_a_search_then_costs_four_small_queries(django_assert_num_queries):
    FaqFactory(question="公章刻制怎么办理？", keywords="刻章")
    first = selectors.faq_index()

    with django_assert_num_queries(4):  # index version (2), votes, the questions found
        hits = selectors.faq_search(q="刻章")

    assert selectors.faq_index() is first
    assert [hit.faq.question for hit in hits] == ["公章刻制怎么办理？"]


@pytest.mark.django_db
def test_a_question_changed_through_the_service_is_found_by_its_new_words_at_once():
    faq = FaqFactory(question="公章刻制怎么办理？", keywords="刻章")
    assert [hit.faq.pk for hit in selectors.faq_search(q="刻章")] == [faq.pk]

    faq.question = "发票怎么申领？"
    faq.keywords = "开票"
    with_commit = services.faq_save(faq=faq)

    assert with_commit.pk == faq.pk
    assert selectors.faq_search(q="刻章") == []
    assert [hit.faq.pk for hit in selectors.faq_search(q="开票")] == [faq.pk]


@pytest.mark.django_db(transaction=True)
def test_editing_a_synonym_through_the_service_bumps_the_index_version():
    from django.core.cache import cache

    group = SynonymGroupFactory(words="科小 科技型中小企业")
    FaqFactory(question="科技型中小企业怎么评价？")
    before = cache.get(selectors.INDEX_VERSION_KEY, 0)
    assert [hit.faq.question for hit in selectors.faq_search(q="科小")] == ["科技型中小企业怎么评价？"]

    group.words = "科技小巨人 科技型中小企业"
    services.synonym_group_save(group=group)

    assert cache.get(selectors.INDEX_VERSION_KEY) == before + 1
    assert selectors.faq_search(q="科小") == []
    assert [hit.faq.question for hit in selectors.faq_search(q="科技小巨人")] == ["科技型中小企业怎么评价？"]


@pytest.mark.django_db
def test_deleting_a_question_through_the_service_takes_it_out_of_the_answers():
    faq = FaqFactory(question="公章刻制怎么办理？", keywords="刻章")
    FaqFeedbackFactory(faq=faq, helpful=True)

    services.faq_delete(faq=faq)

    assert selectors.faq_search(q="刻章") == []
    assert not Faq.objects.exists()


@pytest.mark.django_db
def test_the_visitors_votes_reorder_two_equally_good_answers():
    first = FaqFactory(question="社保怎么缴纳？", answer="在电子税务局缴纳。", order=1)
    second = FaqFactory(question="社保如何缴纳？", answer="在电子税务局缴纳。", order=2)
    assert [hit.faq for hit in selectors.faq_search(q="社保缴纳")] == [first, second]

    for n in range(30):
        FaqFeedbackFactory(faq=second, helpful=True, session_key=f"s{n}")
        FaqFeedbackFactory(faq=first, helpful=False, session_key=f"s{n}")

    assert [hit.faq for hit in selectors.faq_search(q="社保缴纳")] == [second, first]


def test_a_web_process_loads_the_word_dictionary_at_start_up_not_on_its_first_search():
    import os
    import subprocess
    import sys

    code = "import jieba, portal.wsgi; print(jieba.dt.initialized)"
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings"}

    started = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=True
    )

    assert started.stdout.strip() == "True"


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("高企认定奖励多少钱", {"amount", "benefit"}),
        ("审批要多少天", {"time"}),  # a number of days is a time, not an amount
        ("高企几月份报", {"time"}),
        ("加计扣除怎么报", {"procedure"}),
        ("高企认定标准", {"eligibility"}),
        ("怎样才算科小", {"eligibility"}),
        ("补贴标准是多少", {"amount"}),  # a standard amount, not a standard to meet
        ("身份证要原件还是复印件", {"materials"}),
        ("怎么申请研发补贴", {"procedure"}),
        ("这个有没有补贴", {"benefit"}),
        ("我们符合条件吗", {"eligibility"}),
        ("公司能晚点交社保吗", {"can"}),
        ("兼职要不要交社保", {"need"}),
        ("四证齐发是啥意思", {"definition"}),
        ("社保", set()),
    ],
)
def test_what_a_question_asks_is_read_from_its_wording(text, asked):
    assert ranking.intents(text) == asked


@pytest.mark.parametrize(
    ("query", "expected_first"),
    [
        ("高企门槛高吗", "conditions"),
        ("高企能拿多少钱", "benefits"),
        ("高企啥时候报", "dates"),
    ],
)
def test_among_questions_on_one_subject_the_one_asking_what_the_visitor_asks_comes_first(
    query, expected_first
):
    subject = "高企 高新技术企业 认定"
    index = ranking.FaqIndex(
        [
            ranking.Entry("dates", "高新技术企业认定什么时候申报？", subject, "每年两批。"),
            ranking.Entry("conditions", "高新技术企业认定需要满足哪些条件？", subject, "见认定办法。"),
            ranking.Entry("benefits", "高新技术企业有什么好处？", subject, "见优惠政策。"),
        ],
        synonym_groups=[["高企", "高新技术企业"]],
    )

    assert index.search(query)[0].key == expected_first
