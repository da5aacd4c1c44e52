"""Who is told about each step, once per step."""

import pytest
from django.core import mail

from portal.accounts.models import Notification
from portal.servicedesk import services
from portal.servicedesk.models import Channel, Status
from tests.servicedesk.factories import bring_to, submit

pytestmark = pytest.mark.django_db


def _told(key_part):
    notes = Notification.objects.filter(key__contains=key_part)
    return sorted(notes.values_list("recipient__username", "title"))


def test_a_new_problem_is_announced_to_the_coordinating_head(desk, monday):
    problem = submit(desk, title="用电增容")

    assert _told(f"problem:{problem.pk}:submitted") == [("cxfz", "新诉求待交办：用电增容")]


def test_the_department_head_and_the_handler_hear_of_an_assignment(desk, monday):
    helper = desk.land_staff.__class__.objects.create(
        username="gtgh2", is_staff=True, department=desk.land, display_name="李干事"
    )
    problem = submit(desk, title="用地指标")

    services.problem_assign(problem=problem, user=desk.coordinator, department=desk.land, handler=helper)

    step = problem.steps.last()
    assert _told(f"problem:{problem.pk}:step:{step.pk}") == [
        ("gtgh", "新交办诉求：用地指标"),
        ("gtgh2", "新交办诉求：用地指标"),
    ]


def test_every_member_of_the_enterprise_hears_of_each_answer_by_inbox_and_email(
    desk, monday, django_capture_on_commit_callbacks
):
    desk.owner.email = "owner@example.com"
    desk.owner.save()
    problem = bring_to(desk, Status.ASSIGNED, title="用地指标")

    with django_capture_on_commit_callbacks(execute=True):
        services.problem_answer(problem=problem, user=desk.land_staff, answer="已落实。")
    services.problem_rate(problem=problem, user=desk.owner, satisfied=False, comment="未落实")
    with django_capture_on_commit_callbacks(execute=True):
        services.problem_answer(problem=problem, user=desk.land_staff, answer="已再次落实。")

    answers = Notification.objects.filter(
        key__startswith=f"servicedesk:problem:{problem.pk}:step:", title__startswith="您的诉求已有答复"
    )
    assert sorted(answers.values_list("recipient__username", "body")) == sorted(
        [
            (desk.owner.username, "已落实。"),
            (desk.agent.username, "已落实。"),
            (desk.owner.username, "已再次落实。"),
            (desk.agent.username, "已再次落实。"),
        ]
    )
    assert [m.to for m in mail.outbox] == [["owner@example.com"], ["owner@example.com"]]


def test_the_department_hears_when_the_enterprise_sends_an_answer_back(desk, monday):
    problem = bring_to(desk, Status.ANSWERED, title="用地指标")

    services.problem_rate(problem=problem, user=desk.owner, satisfied=False, comment="未落实")

    assert _told(f"problem:{problem.pk}:step:{problem.steps.last().pk}") == [
        ("gtgh", "企业不满意，诉求退回重办：用地指标")
    ]


def test_a_question_the_faq_could_not_answer_becomes_a_problem_of_the_faq_channel(desk, monday):
    problem = services.problem_submit(
        enterprise=desk.enterprise,
        user=desk.agent,
        channel="faq",
        category="policy",
        title="研发费用加计扣除如何申报？",
        description="常见问题中没有找到答案。",
    )

    assert (problem.channel, problem.status, problem.raised_by) == (Channel.FAQ, Status.SUBMITTED, desk.agent)
