import pytest
from django.urls import reverse

from portal.content import selectors, services
from portal.content.demo_faqs import CATEGORIES, FAQS, SYNONYMS
from portal.content.models import Faq, FaqCategory, FaqFeedback, SynonymGroup
from tests.content.factories import FaqFactory, SynonymGroupFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_faqs():
    """The demo's 98 questions and its synonyms: the known questions the ranking is held to."""
    for order, (slug, name, desk) in enumerate(CATEGORIES):
        category = FaqCategory.objects.create(slug=slug, name=name, order=order, desk_category=desk)
        for position, (question, keywords, answer) in enumerate(FAQS[slug]):
            Faq.objects.create(
                category=category, question=question, keywords=keywords, answer=answer, order=position
            )
    for words in SYNONYMS:
        SynonymGroup.objects.create(words=words)


def questions(q, limit=5):
    return [hit.faq.question for hit in selectors.faq_search(q=q, limit=limit)]


@pytest.mark.parametrize(
    ("query", "expected_first"),
    [
        ("怎么申请研发费用补贴", "企业研发投入有补助吗？"),
        ("高企认定奖励多少钱", "成为高新技术企业有什么好处？"),
        ("高企认定条件", "高新技术企业认定需要满足哪些条件？"),
        ("高企到期", "高企资格到期了怎么办？"),
        ("小巨人", "专精特新小巨人企业怎么申报？"),
        ("科小", "科技型中小企业评价需要什么条件？"),
        ("稳岗补贴有裁员率要求吗", "稳岗返还对裁员率有什么要求？"),
        ("拿地即开工", "要实现拿地即开工，企业需要提前做什么？"),
        ("新员工社保", "新招员工多久内要办理社保？"),
        ("怎么注销公司", "企业不想经营了，怎么注销？"),
        ("契税补贴", "购房契税补贴怎么领取？"),
        ("公章", "公章刻制怎么办理？"),
    ],
)
def test_known_questions_come_first(demo_faqs, query, expected_first):
    assert questions(query)[0] == expected_first


def test_the_abbreviation_finds_questions_that_only_use_the_full_term(demo_faqs):
    found = questions("高企", limit=10)

    assert "成为高新技术企业有什么好处？" in found
    assert "高新技术企业的所得税优惠怎么享受？" in found


def test_an_unrelated_query_finds_nothing(demo_faqs):
    assert questions("火星探测") == []


def test_unpublished_questions_are_not_found():
    FaqFactory(question="公章刻制怎么办理？", is_published=False)

    assert questions("公章") == []


def test_a_new_synonym_takes_effect_on_the_next_query():
    FaqFactory(question="高新技术企业认定条件？")
    assert questions("高企") == []

    SynonymGroupFactory(words="高企 高新技术企业")

    assert questions("高企") == ["高新技术企业认定条件？"]


def test_a_synonym_group_needs_two_words():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="至少要有两个词"):
        SynonymGroup(words="高企").full_clean()


def test_the_answers_fragment_shows_the_best_answer_open_with_the_words_marked(client, demo_faqs):
    response = client.get(reverse("content:faq_answers"), {"q": "高企认定条件"})

    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    first = body.split('<li class="faq-hit">')[1]
    assert "<details open>" in first
    assert "<mark>高新技术企业认定</mark>需要满足哪些<mark>条件</mark>？" in first
    assert "近三个会计年度研发费用占销售收入比例" in first
    assert body.count("<details open>") == 1


def test_the_faq_page_answers_without_script_when_the_form_is_sent(client, demo_faqs):
    response = client.get(reverse("content:faq"), {"q": "科小"})

    body = response.content.decode()
    assert "科技型中小企业评价需要什么条件？" in body
    assert "收录企业高频咨询问题 98 个" in body


def test_an_empty_query_gives_an_empty_fragment(client, demo_faqs):
    response = client.get(reverse("content:faq_answers"), {"q": "  "})

    assert response.content.decode().strip() == ""


def test_the_faq_page_lists_every_category_with_its_questions(client, demo_faqs):
    body = client.get(reverse("content:faq")).content.decode()

    assert body.count('class="card faq-category"') == 8
    assert "企业开办（12）" in body


def test_feedback_is_recorded_once_per_visitor_and_a_changed_mind_replaces_it(client):
    faq = FaqFactory()
    url = reverse("content:faq_feedback", args=[faq.pk])

    client.post(url, {"helpful": "1"})
    client.post(url, {"helpful": "0"})

    assert list(FaqFeedback.objects.values_list("helpful", flat=True)) == [False]
    assert selectors.faq_feedback_counts(faq=faq) == {"helpful": 0, "unhelpful": 1}


def test_two_visitors_give_two_feedbacks(client):
    from django.test import Client

    faq = FaqFactory()
    url = reverse("content:faq_feedback", args=[faq.pk])

    client.post(url, {"helpful": "1"})
    Client().post(url, {"helpful": "1"})

    assert selectors.faq_feedback_counts(faq=faq) == {"helpful": 2, "unhelpful": 0}


def test_feedback_from_the_script_is_answered_in_place(client):
    faq = FaqFactory()

    response = client.post(
        reverse("content:faq_feedback", args=[faq.pk]),
        {"helpful": "1"},
        headers={"X-Requested-With": "fetch"},
    )

    assert response.status_code == 200
    assert "感谢您的评价，很高兴能帮到您。" in response.content.decode()


def test_feedback_without_a_choice_is_a_bad_request(client):
    faq = FaqFactory()

    response = client.post(reverse("content:faq_feedback", args=[faq.pk]), {"helpful": "maybe"})

    assert response.status_code == 400
    assert FaqFeedback.objects.count() == 0


def test_feedback_needs_a_visitor_session():
    with pytest.raises(services.ContentError, match="Cookie"):
        services.faq_feedback_record(faq=FaqFactory(), helpful=True, session_key="")


def test_the_question_page_remembers_the_visitors_feedback(client):
    faq = FaqFactory(answer="**答复**")
    client.post(reverse("content:faq_feedback", args=[faq.pk]), {"helpful": "0"})

    body = client.get(faq.get_absolute_url()).content.decode()

    assert "<strong>答复</strong>" in body
    assert "感谢您的评价，我们会改进这条答复。" in body
    assert "这个答复有帮助吗？" not in body


def test_the_faq_page_and_the_answers_cost_a_fixed_number_of_queries(
    client, demo_faqs, django_assert_num_queries
):
    with django_assert_num_queries(3):
        page = client.get(reverse("content:faq"))
    client.get(reverse("content:faq_answers"), {"q": "高企"})  # the first search builds the index
    with django_assert_num_queries(4):  # the index's version (2), the votes, the questions found
        answers = client.get(reverse("content:faq_answers"), {"q": "高企认定条件"})

    assert page.status_code == answers.status_code == 200
    assert "高新技术企业认定需要满足哪些条件？" in page.content.decode()
    first_hit = answers.content.decode().split('<li class="faq-hit">')[1]
    assert "高新技术企业认定需要满足哪些条件？" in first_hit.replace("<mark>", "").replace("</mark>", "")
