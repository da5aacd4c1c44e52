from portal.content import matching


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


def test_a_word_inside_a_longer_word_counts_half():
    assert matching.Segmented("社保卡怎么办").match("社保卡") == 1.0
    assert matching.Segmented("提高企业效率").match("高企") == 0.5
    assert matching.Segmented("提高企业效率").match("税率") == 0.0


def test_highlighting_escapes_the_text_and_marks_neighbouring_words_once():
    html = matching.highlight("<b>联合验收</b>改革", {"联合", "验收"})

    assert html == "&lt;b&gt;<mark>联合验收</mark>&lt;/b&gt;改革"
