"""The shared Chinese search helpers (portal.search) and the catalogue search on the current database."""

import datetime as dt
import re

import pytest
from django.core.paginator import Paginator
from django.db import connection

from policies import selectors
from policies.models import Policy
from portal.search import (
    MAX_QUERY_LENGTH,
    apply_search,
    highlight,
    parse_query,
    query_notice,
    search_document,
    snippet,
    tokenize,
)
from tests.policies.factories import PolicyFactory


def test_tokenize_cuts_chinese_into_search_words_and_drops_punctuation_and_stopwords():
    assert tokenize("关于支持企业研发投入的若干措施！") == ["支持", "企业", "研发", "投入", "措施"]


def test_tokenize_lowercases_latin_words_and_normalises_full_width_letters():
    assert tokenize("ＰＣＴ 国际专利 AI") == ["pct", "国际", "专利", "ai"]


def test_search_document_joins_the_tokens_of_every_text_with_spaces():
    assert search_document("研发费用", "", "稳岗返还") == "研发 费用 稳岗 返还"


def test_parse_query_gives_none_for_nothing_asked_and_an_empty_list_for_punctuation_only():
    assert parse_query(None) is None
    assert parse_query("   ") is None
    assert parse_query("？！…、，") == []
    assert parse_query("的 了") == []


def test_parse_query_keeps_each_token_once_in_order():
    assert parse_query("研发费用 研发补助") == ["研发", "费用", "补助"]


def test_parse_query_searches_only_the_first_hundred_characters_of_an_overlong_query():
    q = "专精特新" + "啊" * 200
    assert parse_query(q) == parse_query(q[:MAX_QUERY_LENGTH])
    assert query_notice(q) == "检索词过长，已按前 100 个字检索。"


def test_query_notice_explains_a_query_without_words_and_says_nothing_of_a_good_one():
    assert query_notice("！！！") == "检索词中没有可检索的文字，请输入关键词，如“研发费用”。"
    assert query_notice("研发费用") is None
    assert query_notice("") is None


def test_highlight_escapes_the_text_and_marks_every_match_longest_first():
    html = highlight("<b>研发费用</b>补助与研发", ["研发", "研发费用"])
    assert str(html) == "&lt;b&gt;<mark>研发费用</mark>&lt;/b&gt;补助与<mark>研发</mark>"


def test_highlight_joins_adjacent_matches_into_one_mark():
    assert str(highlight("支持专精特新企业", ["专精", "特新"])) == "支持<mark>专精特新</mark>企业"


def test_highlight_never_matches_inside_an_html_entity():
    assert str(highlight("A & B", ["amp"])) == "A &amp; B"


def test_snippet_shows_the_text_around_the_first_match():
    text = "前言" * 100 + "对研发费用给予补助" + "结尾" * 100
    html = str(snippet(text, ["研发"], width=40))
    assert html.startswith("…")
    assert html.endswith("…")
    assert "<mark>研发</mark>费用给予补助" in html


@pytest.mark.django_db
def test_search_finds_a_policy_whose_words_are_split_differently_in_the_text():
    PolicyFactory(
        code="rd", title="企业创新支持办法", body="对企业研发投入中的费用按比例给予补助。", status="published"
    )
    PolicyFactory(code="other", title="人才住房办法", body="给予住房补贴。", status="published")

    found = selectors.policy_list(filters=selectors.PolicyFilters(q="研发费用补助"))

    assert [p.code for p in found] == ["rd"]


@pytest.mark.django_db
def test_search_requires_every_word_of_the_query():
    PolicyFactory(code="both", title="专精特新企业奖励", status="published")
    PolicyFactory(code="half", title="专精企业奖励", status="published")

    found = selectors.policy_list(filters=selectors.PolicyFilters(q="专精特新"))

    assert [p.code for p in found] == ["both"]


@pytest.mark.django_db
def test_search_ranks_a_title_match_above_a_body_match():
    PolicyFactory(code="in-body", title="企业发展办法", body="对研发费用给予补助。", status="published")
    PolicyFactory(code="in-title", title="研发费用补助办法", body="给予补助。", status="published")

    found = selectors.policy_list(filters=selectors.PolicyFilters(q="研发费用"))

    assert [p.code for p in found] == ["in-title", "in-body"]


@pytest.mark.django_db
def test_search_leaves_out_drafts_for_the_public():
    PolicyFactory(code="draft", title="专精特新企业奖励")

    assert list(selectors.policy_list(filters=selectors.PolicyFilters(q="专精特新"))) == []


@pytest.mark.django_db
def test_search_of_punctuation_only_finds_nothing_without_error():
    PolicyFactory(title="专精特新企业奖励", status="published")

    assert list(selectors.policy_list(filters=selectors.PolicyFilters(q="%_'\"；"))) == []


@pytest.mark.django_db
def test_changing_a_policys_text_through_the_service_updates_its_search_tokens():
    from policies import services

    policy = PolicyFactory(title="人才住房办法", status="published")
    policy.title = "契税补贴办法"
    services.policy_save(policy=policy)

    assert Policy.objects.get(pk=policy.pk).search_title == "契税 补贴 办法"
    assert [p.pk for p in selectors.policy_list(filters=selectors.PolicyFilters(q="契税"))] == [policy.pk]


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_matches_jieba_tokens_in_a_simple_tsvector_and_ranks_title_above_body():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tsvector_to_array(to_tsvector('simple', %s))", [search_document("专精特新中小企业")]
        )
        (lexemes,) = cursor.fetchone()
    assert sorted(lexemes) == sorted(["专精", "特新", "中小", "企业", "小企业", "中小企业"])

    PolicyFactory(code="body", title="中小企业发展办法", body="支持专精特新企业。" * 5, status="published")
    PolicyFactory(code="title", title="专精特新企业奖励办法", body="给予奖励。", status="published")
    found = list(selectors.policy_list(filters=selectors.PolicyFilters(q="专精特新")))

    assert [p.code for p in found] == ["title", "body"]
    assert found[0].search_rank > found[1].search_rank > 0


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_search_can_use_the_gin_index_on_the_token_columns():
    # What the catalogue still asks the database to match (a synonym of several words side by side).
    PolicyFactory(title="专精特新企业奖励办法", status="published")
    qs = apply_search(
        Policy.objects.public(), ["专精", "特新"], title_field="search_title", body_field="search_body"
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = qs.explain()

    assert "Bitmap Index Scan on policy_search_gin" in plan


@pytest.mark.django_db
def test_a_search_page_reads_its_own_rows_only_however_many_match(django_assert_max_num_queries):
    for n in range(45):
        PolicyFactory(
            code=f"rd-{n:02d}",
            title=f"研发补助办法{n}",
            published_on=dt.date(2023, 1, 1) + dt.timedelta(days=n),
            status="published",
        )
    selectors.catalogue_index()  # built once per process, as a web worker keeps it

    # The synonyms, the index's version, the page's rows and their categories.
    with django_assert_max_num_queries(4) as queries:
        page = Paginator(selectors.policy_list(filters=selectors.PolicyFilters(q="研发补助")), 20).page(2)
        codes = [policy.code for policy in page]

    assert page.paginator.count == 45
    # Equal scores: the newest first, so the second page holds the 21st to the 40th newest.
    assert codes == [f"rd-{n:02d}" for n in range(24, 4, -1)]
    read = [re.search(r'"policies_policy"\."id" IN \(([^)]*)\)', q["sql"]) for q in queries.captured_queries]
    assert [len(m.group(1).split(",")) for m in read if m] == [20]


@pytest.mark.django_db
def test_a_filtered_search_keeps_only_the_policies_the_filter_keeps():
    department = PolicyFactory(code="a", title="研发补助办法", status="published").department
    PolicyFactory(code="b", title="研发补助细则", status="published")

    found = selectors.policy_list(filters=selectors.PolicyFilters(q="研发补助", department=department.code))

    assert [p.code for p in found] == ["a"]


@pytest.mark.django_db
def test_search_finds_a_policy_through_a_staff_synonym_of_the_query():
    from tests.content.factories import SynonymGroupFactory

    SynonymGroupFactory(words="高企 高新技术企业")
    SynonymGroupFactory(words="科小 科技型中小企业")
    PolicyFactory(code="hnte", title="高新技术企业认定奖励办法", status="published")
    PolicyFactory(code="tsme", title="科技型中小企业入库奖励", status="published")

    gaoqi = selectors.policy_list(filters=selectors.PolicyFilters(q="高企"))
    kexiao = selectors.policy_list(filters=selectors.PolicyFilters(q="科小奖励"))

    assert [p.code for p in gaoqi] == ["hnte"]
    assert [p.code for p in kexiao] == ["tsme"]


@pytest.mark.django_db
def test_search_ranks_a_policy_in_force_above_an_expired_one_that_matches_better():
    PolicyFactory(
        code="old",
        title="研发费用补助办法",
        published_on=dt.date(2021, 3, 15),
        effective_from=dt.date(2021, 1, 1),
        effective_to=dt.date(2022, 12, 31),
        status="published",
    )
    PolicyFactory(code="now", title="企业创新发展措施", body="对研发费用给予补助。", status="published")
    PolicyFactory(code="repealed", title="研发费用补助暂行办法", status="repealed")

    found = selectors.policy_list(filters=selectors.PolicyFilters(q="研发费用补助"))

    assert (found[0].code, found[0].in_force) == ("now", 1)
    assert sorted((p.code, p.in_force) for p in found[1:]) == [("old", 0), ("repealed", 0)]


@pytest.mark.django_db
def test_a_policy_not_yet_in_force_ranks_below_one_in_force():
    PolicyFactory(
        code="later", title="研发费用补助办法", effective_from=dt.date(2099, 1, 1), status="published"
    )
    PolicyFactory(code="now", title="企业创新发展措施", body="对研发费用给予补助。", status="published")

    found = selectors.policy_list(filters=selectors.PolicyFilters(q="研发费用补助"))

    assert [p.code for p in found] == ["now", "later"]


@pytest.mark.django_db
def test_an_english_search_term_finds_the_chinese_policy_through_the_synonyms():
    from tests.content.factories import SynonymGroupFactory

    SynonymGroupFactory(words="研发 = R&D = research and development")
    SynonymGroupFactory(words="补贴 补助 = subsidy = subsidies")
    SynonymGroupFactory(words="高企 高新技术企业 = high-tech enterprise")
    PolicyFactory(code="rd", title="企业研发费用后补助办法", status="published")
    PolicyFactory(code="hnte", title="高新技术企业认定奖励办法", status="published")
    PolicyFactory(code="talent", title="人才住房补贴办法", status="published")

    def codes(q):
        return [p.code for p in selectors.policy_list(filters=selectors.PolicyFilters(q=q))]

    assert codes("R&D subsidy") == ["rd"]
    assert codes("Research and Development") == ["rd"]
    assert codes("high-tech enterprise") == ["hnte"]
    assert codes("subsidies") == ["talent", "rd"]  # both in force; the title's closer match first


def test_the_catalogue_page_marks_the_synonyms_it_searched_for(client, db):
    from tests.content.factories import SynonymGroupFactory

    SynonymGroupFactory(words="高企 高新技术企业")
    PolicyFactory(code="hnte", title="高新技术企业认定奖励办法", status="published")

    body = client.get("/policies/", {"q": "高企"}).content.decode()

    assert "<mark>高新技术企业</mark>认定奖励办法" in body


def test_the_demo_catalogue_answers_abbreviations_and_puts_the_policy_in_force_first(db):
    import io

    from policies import demo
    from portal.accounts import demo as accounts_demo
    from portal.content.demo_faqs import SYNONYMS
    from portal.content.models import SynonymGroup
    from tests.factories import DepartmentFactory

    for code, name, coordinating, phone in accounts_demo.DEPARTMENTS:
        DepartmentFactory(code=code, name=name, is_coordinating=coordinating, phone=phone)
    demo.load(io.StringIO())
    SynonymGroup.objects.bulk_create(SynonymGroup(words=words) for words in SYNONYMS)

    def found(q):
        return list(selectors.policy_list(filters=selectors.PolicyFilters(q=q)))

    assert found("高企") and found("科小")
    first = found("研发费用补助")[0]
    assert (first.code, first.current_status) != ("rd-investment-2021", "expired")
    assert first.current_status == "published"
    assert "rd-investment-2021" in [p.code for p in found("研发费用补助")]
    assert found("R&D subsidy")[0].current_status == "published"


def test_bm25_ranks_a_rare_word_in_a_title_above_a_common_one():
    from portal.search import Bm25Index

    index = Bm25Index(
        [
            (1, "专精特新 企业 认定 办法", "给予 奖励"),
            (2, "企业 奖励 办法", "专精特新 企业"),
            (3, "人才 奖励 办法", "奖励"),
            (4, "上市 奖励 办法", "奖励"),
        ]
    )

    scores = index.scores(["专精特新", "奖励"])

    assert sorted(scores, key=scores.get, reverse=True)[:2] == [1, 2]
    assert scores[2] > scores[3] == scores[4]
    assert index.scores(["火星"]) == {}


def test_bm25_scores_a_synonym_by_its_weakest_token_so_a_long_one_does_not_outweigh_a_short_one():
    from portal.search import Bm25Index

    index = Bm25Index([(1, "高企 奖励", ""), (2, "高新 技术 高新技术 企业 奖励", ""), (3, "人才 奖励", "")])

    scores = index.scores([], [[["高企"], ["高新", "技术", "高新技术", "企业"]]])

    assert set(scores) == {1, 2}
    assert scores[1] > scores[2] * 0.5  # the four tokens together do not count four times


@pytest.mark.django_db
def test_the_catalogue_ranks_by_bm25_so_the_rarer_word_in_the_title_comes_first():
    PolicyFactory(code="zjtx", title="专精特新企业认定办法", body="给予奖励。", status="published")
    PolicyFactory(code="award", title="企业奖励办法", body="专精特新企业。", status="published")
    for n in range(3):
        PolicyFactory(code=f"other-{n}", title=f"人才奖励办法{n}", body="给予奖励。", status="published")

    found = selectors.policy_list(filters=selectors.PolicyFilters(q="专精特新奖励"))

    assert [p.code for p in found] == ["zjtx", "award"]


@pytest.mark.django_db
def test_the_catalogue_index_is_kept_between_searches_and_rebuilt_when_a_policy_is_published():
    from policies import services

    PolicyFactory(code="rd", title="研发费用补助办法", status="published")
    draft = PolicyFactory(code="zjtx", title="专精特新企业奖励办法")
    before = selectors.catalogue_index()
    assert selectors.catalogue_index() is before

    services.policy_publish(policy=draft)

    assert selectors.catalogue_index() is not before
    assert [p.code for p in selectors.policy_list(filters=selectors.PolicyFilters(q="专精特新"))] == ["zjtx"]
