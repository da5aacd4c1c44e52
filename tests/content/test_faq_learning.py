"""The instant answers learn from the 有帮助 / 没有帮助 votes: wordings, demotions, staff."""

import io

import pytest
from django.test import Client
from django.urls import reverse

from portal.content import ranking, selectors, services
from portal.content.models import FaqFeedback, LearnedPhrasing
from tests.content.factories import FaqFactory

pytestmark = pytest.mark.django_db


def vote(faq, *, q, helpful=True, client=None):
    client = client or Client()
    client.post(reverse("content:faq_feedback", args=[faq.pk]), {"helpful": "1" if helpful else "0", "q": q})
    return client


def found(q):
    return [hit.faq for hit in selectors.faq_search(q=q)]


@pytest.fixture
def seal():
    return FaqFactory(question="公章刻制怎么办理？", keywords="刻章", answer="到公安备案的刻章单位办理。")


def test_the_vote_keeps_what_the_visitor_had_typed_normalised(seal):
    vote(seal, q="  萝卜章  去哪弄？ ")

    assert FaqFeedback.objects.get().query == "萝卜章 去哪弄?"


def test_a_wording_two_visitors_found_helpful_is_learned_and_then_finds_the_answer(seal):
    assert found("萝卜章去哪弄") == []

    vote(seal, q="萝卜章去哪弄")
    assert not LearnedPhrasing.objects.exists()
    assert found("萝卜章去哪弄") == []

    vote(seal, q="萝卜章去哪弄")

    learned = LearnedPhrasing.objects.get()
    assert (learned.faq, learned.text, learned.sessions) == (seal, "萝卜章去哪弄", 2)
    assert found("萝卜章去哪弄") == [seal]
    assert found("萝卜章") == [seal]


def test_one_visitor_voting_again_does_not_teach_a_wording(seal):
    client = vote(seal, q="萝卜章去哪弄")
    vote(seal, q="萝卜章去哪弄", client=client)

    assert FaqFeedback.objects.count() == 1
    assert not LearnedPhrasing.objects.exists()


def test_a_wording_more_visitors_found_no_help_is_not_learned(seal):
    for helpful in (True, True, False, False):
        vote(seal, q="萝卜章去哪弄", helpful=helpful)

    assert not LearnedPhrasing.objects.exists()


def test_a_learned_wording_is_forgotten_when_a_visitor_changes_their_mind(seal):
    first = vote(seal, q="萝卜章去哪弄")
    vote(seal, q="萝卜章去哪弄")
    assert LearnedPhrasing.objects.count() == 1

    vote(seal, q="萝卜章去哪弄", helpful=False, client=first)

    assert not LearnedPhrasing.objects.exists()
    assert found("萝卜章去哪弄") == []


def test_a_question_learns_at_most_its_cap_of_wordings(seal, monkeypatch):
    monkeypatch.setattr(services, "LEARNED_MAX_PER_FAQ", 2)

    for q in ("萝卜章去哪弄", "公司印章在哪做", "印章丢了重刻"):
        vote(seal, q=q)
        vote(seal, q=q)

    assert sorted(LearnedPhrasing.objects.values_list("text", flat=True)) == [
        "公司印章在哪做",
        "萝卜章去哪弄",
    ]


def test_an_unhelpful_vote_demotes_the_answer_for_that_query_only():
    pay = FaqFactory(question="社保怎么缴纳？", answer="在电子税务局缴纳。", order=1)
    papers = FaqFactory(question="缴纳社保需要什么材料？", answer="身份证和劳动合同。", order=2)
    assert found("社保缴纳") == [pay, papers]
    assert found("缴纳社保") == [pay, papers]

    vote(pay, q="社保缴纳", helpful=False)
    assert found("社保缴纳") == [pay, papers]  # a quarter off, not enough to pass the other

    vote(pay, q="社保缴纳", helpful=False)
    vote(pay, q="社保缴纳", helpful=False)

    assert found("社保缴纳") == [papers, pay]
    assert found("缴纳社保") == [pay, papers]


def test_a_helpful_vote_on_the_same_query_cancels_an_unhelpful_one():
    assert ranking.query_demotion(0, 0) == 1
    assert ranking.query_demotion(0, 1) == 0.75
    assert ranking.query_demotion(1, 1) == 1
    assert ranking.query_demotion(0, 100) == ranking.QUERY_DEMOTION_FLOOR


def test_the_answers_and_the_answer_page_carry_the_query_to_the_vote_form(client, seal):
    fragment = client.get(reverse("content:faq_answers"), {"q": "刻章 去哪"}).content.decode()
    page = client.get(seal.get_absolute_url(), {"q": "刻章 去哪"}).content.decode()
    browsed = client.get(seal.get_absolute_url()).content.decode()

    assert '<input type="hidden" name="q" value="刻章 去哪">' in fragment
    assert f'href="{seal.get_absolute_url()}?q=%E5%88%BB%E7%AB%A0%20%E5%8E%BB%E5%93%AA"' in fragment
    assert '<input type="hidden" name="q" value="刻章 去哪">' in page
    assert 'name="q"' not in browsed.split("data-faq-feedback>")[1].split("</form>")[0]


def test_deleting_a_learned_wording_forgets_it_until_two_new_visitors_teach_it_again(client, staff, seal):
    vote(seal, q="萝卜章去哪弄")
    vote(seal, q="萝卜章去哪弄")
    learned = LearnedPhrasing.objects.get()
    client.force_login(staff)

    response = client.post(
        reverse("admin:content_learnedphrasing_delete", args=[learned.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not LearnedPhrasing.objects.exists()
    assert found("萝卜章去哪弄") == []
    assert set(FaqFeedback.objects.values_list("query", flat=True)) == {""}
    vote(seal, q="萝卜章去哪弄")
    assert not LearnedPhrasing.objects.exists()
    vote(seal, q="萝卜章去哪弄")
    assert LearnedPhrasing.objects.get().sessions == 2


def test_staff_see_the_learned_wordings_but_cannot_add_or_edit_them(client, staff, seal):
    vote(seal, q="萝卜章去哪弄")
    vote(seal, q="萝卜章去哪弄")
    client.force_login(staff)

    listing = client.get(reverse("admin:content_learnedphrasing_changelist")).content.decode()

    assert "萝卜章去哪弄" in listing
    assert client.get(reverse("admin:content_learnedphrasing_add")).status_code == 403


def test_department_staff_may_see_and_delete_learned_wordings_only():
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    from portal.accounts import roles

    call_command("sync_roles", stdout=io.StringIO())
    held = set(
        Group.objects.get(name=roles.DEPARTMENT_STAFF)
        .permissions.filter(content_type__model="learnedphrasing")
        .values_list("codename", flat=True)
    )

    assert held == {"view_learnedphrasing", "delete_learnedphrasing"}


def test_a_learned_wording_weighs_like_the_question_in_the_index():
    entries = [
        ranking.Entry(
            key="seal", question="公章刻制怎么办理？", keywords="", answer="", learned=("萝卜章去哪弄",)
        ),
        ranking.Entry(key="tax", question="发票怎么申领？", keywords="", answer=""),
    ]

    assert [hit.key for hit in ranking.FaqIndex(entries).search("萝卜章")] == ["seal"]
    assert ranking.FaqIndex(entries).search("萝卜章")[0].words == frozenset()


def test_a_wording_learned_shows_on_the_cached_faq_page_at_once(client, seal):
    nothing = "暂时没有与“萝卜章去哪弄”相符的常见问题。"
    assert nothing in client.get("/faq/", {"q": "萝卜章去哪弄"}).content.decode()
    assert nothing in client.get("/faq/", {"q": "萝卜章去哪弄"}).content.decode()  # the cached copy

    vote(seal, q="萝卜章去哪弄")
    vote(seal, q="萝卜章去哪弄")

    assert nothing not in client.get("/faq/", {"q": "萝卜章去哪弄"}).content.decode()


@pytest.mark.parametrize(
    "typed",
    [
        "我手机13812345678怎么没收到短信",
        "身份证41010519900101123X能查吗",
        "138 1234 5678 打不通",
        "发到zhang@example.com",
    ],
)
def test_a_query_that_may_identify_someone_is_not_kept_but_the_vote_counts(seal, typed):
    vote(seal, q=typed)
    vote(seal, q=typed)

    feedback = FaqFeedback.objects.all()
    assert [(f.helpful, f.query) for f in feedback] == [(True, ""), (True, "")]
    assert not LearnedPhrasing.objects.exists()
