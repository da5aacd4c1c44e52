from portal.content import matching
from portal.content.matching import Document, Matcher, Synonyms


def test_a_known_term_on_word_boundaries_is_one_query_word():
    assert matching.query_words("高企认定条件", vocabulary={"高企"})[:1] == ["高企"]


def test_an_abbreviation_hidden_inside_other_words_is_not_taken_for_the_term():
    assert "高企" not in matching.query_words("如何提高企业研发投入", vocabulary={"高企"})


def test_question_words_and_single_characters_are_dropped():
    assert matching.query_words("怎么办理社保？") == ["办理", "社保"]


def test_synonyms_widen_a_query_word_to_its_group():
    synonyms = Synonyms([["高企", "高新技术企业", "高新企业"]])

    groups = matching.query_groups("高企", synonyms=synonyms)

    assert groups == [frozenset({"高企", "高新技术企业", "高新企业"})]


def test_staff_word_lists_accept_spaces_commas_and_equals_signs():
    assert matching.split_words("高企 = 高新技术企业，高新企业、 ＨＴ") == [
        "高企",
        "高新技术企业",
        "高新企业",
        "ht",
    ]


def test_an_english_phrase_between_equals_signs_stays_one_word():
    assert matching.split_words("高企 高新技术企业 = High-tech  Enterprise = HNTE") == [
        "高企",
        "高新技术企业",
        "high-tech enterprise",
        "hnte",
    ]


def test_the_best_match_comes_first_and_non_matches_are_left_out():
    documents = [
        Document.build(
            1, order=(1,), question="开办企业要办哪些事？", keywords="开办企业", answer="营业执照。"
        ),
        Document.build(
            2, order=(2,), question="高新技术企业认定条件？", keywords="认定", answer="研发费用。"
        ),
        Document.build(3, order=(3,), question="高新技术企业有什么好处？", keywords="", answer="税率。"),
    ]
    matcher = Matcher(documents, synonyms=Synonyms([["高企", "高新技术企业"]]))

    hits = matcher.search("高企认定")

    assert [h.key for h in hits] == [2, 3]
    assert hits[0].score > hits[1].score


def test_a_word_inside_a_longer_word_counts_half():
    assert matching.Segmented("社保卡怎么办").match("社保卡") == 1.0
    assert matching.Segmented("提高企业效率").match("高企") == 0.5
    assert matching.Segmented("提高企业效率").match("税率") == 0.0


def test_highlighting_escapes_the_text_and_marks_neighbouring_words_once():
    html = matching.highlight("<b>联合验收</b>改革", {"联合", "验收"})

    assert html == "&lt;b&gt;<mark>联合验收</mark>&lt;/b&gt;改革"
