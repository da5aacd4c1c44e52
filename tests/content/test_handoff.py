"""“Not answered”: an enterprise's question goes to the service desk; the public is given the hotline."""

import pytest
from django.urls import reverse

from portal.content import services
from portal.content.models import DeskCategory
from portal.servicedesk.models import Problem
from tests.content.factories import FaqCategoryFactory, FaqFactory
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


class ServiceDesk:
    """What reached the service desk: its problems, as the fields content sends."""

    @property
    def submitted(self) -> list[dict]:
        return [
            {
                "enterprise": p.enterprise,
                "user": p.raised_by,
                "channel": p.channel,
                "category": p.category,
                "title": p.title,
                "description": p.description,
            }
            for p in Problem.objects.order_by("id")
        ]


@pytest.fixture
def desk():
    return ServiceDesk()


def test_an_enterprise_question_becomes_a_problem_from_the_faq_channel(desk, owner):
    faq = FaqFactory(
        question="稳岗返还是免申即享吗？", category=FaqCategoryFactory(desk_category=DeskCategory.TALENT)
    )

    problem = services.faq_handoff(question=faq, user=owner, text="  我司去年裁员两人，还能享受稳岗返还吗？ ")

    assert desk.submitted == [
        {
            "enterprise": owner.enterprise,
            "user": owner,
            "channel": "faq",
            "category": "talent",
            "title": "我司去年裁员两人，还能享受稳岗返还吗？",
            "description": "我司去年裁员两人，还能享受稳岗返还吗？\n\n"
            "（企业查看常见问题“稳岗返还是免申即享吗？”后，认为未解决其问题。）",
        }
    ]
    assert problem == Problem.objects.get()
    assert problem.status == "submitted"


def test_a_question_typed_without_a_faq_goes_to_the_other_category_with_a_shortened_title(desk, owner):
    text = "关于厂房租赁" + "的问题" * 30

    services.faq_handoff(question=None, user=owner, text=text)

    sent = desk.submitted[0]
    assert sent["category"] == "other"
    assert sent["title"] == text[:59] + "…"
    assert len(sent["title"]) == 60
    assert sent["description"] == text


def test_staff_and_visitors_cannot_hand_questions_over(desk):
    with pytest.raises(services.ContentError, match="只有企业用户登录后才能把问题转交服务台"):
        services.faq_handoff(question=None, user=StaffFactory(), text="这是一个问题吗？")
    with pytest.raises(services.ContentError, match="只有企业用户登录后才能把问题转交服务台"):
        services.faq_handoff(question=None, user=None, text="这是一个问题吗？")
    assert desk.submitted == []


def test_a_question_of_fewer_than_five_characters_is_refused(desk, owner):
    with pytest.raises(services.ContentError, match="至少 5 个字"):
        services.faq_handoff(question=None, user=owner, text="  稳岗 ")
    assert desk.submitted == []


def test_the_hand_off_page_submits_and_says_where_to_follow_it(client, desk, owner):
    faq = FaqFactory()
    client.force_login(owner)

    response = client.post(
        reverse("content:faq_ask"),
        {"text": "高企认定的研发费用怎么算？", "faq": faq.pk, "next": faq.get_absolute_url()},
        follow=True,
    )

    assert response.redirect_chain == [(faq.get_absolute_url(), 302)]
    assert "您的问题已转交企业服务台" in response.content.decode()
    assert desk.submitted[0]["title"] == "高企认定的研发费用怎么算？"


def test_a_visitor_who_posts_anyway_is_given_the_hotline_and_nothing_is_submitted(client, desk, settings):
    settings.SERVICE_HOTLINE = "0371-67890000"

    response = client.post(reverse("content:faq_ask"), {"text": "高企认定的研发费用怎么算？"}, follow=True)

    assert "请拨打服务热线 0371-67890000 咨询" in response.content.decode()
    assert desk.submitted == []


def test_the_hand_off_page_does_not_redirect_off_site(client, desk, owner):
    client.force_login(owner)

    response = client.post(
        reverse("content:faq_ask"), {"text": "高企认定的研发费用怎么算？", "next": "//evil.example/"}
    )

    assert response["Location"] == reverse("content:faq")


def test_the_answers_show_the_hotline_to_the_public_and_a_form_to_an_enterprise(client, owner, settings):
    settings.SERVICE_HOTLINE = "0371-67890000"
    FaqFactory(question="公章刻制怎么办理？")
    url = reverse("content:faq_answers")

    public = client.get(url, {"q": "公章"}).content.decode()
    client.force_login(owner)
    member = client.get(url, {"q": "公章"}).content.decode()

    assert '<strong class="hotline">0371-67890000</strong>' in public
    assert 'action="/faq/ask/"' not in public
    assert 'action="/faq/ask/"' in member
    assert ">公章</textarea>" in member
    assert '<input type="hidden" name="next" value="/faq/?q=%E5%85%AC%E7%AB%A0">' in member
    assert "/accounts/login/?next=/faq/%3Fq%3D%25E5%2585%25AC%25E7%25AB%25A0" in public
