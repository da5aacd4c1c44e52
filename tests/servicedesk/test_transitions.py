"""Every move of a problem, every illegal one, and who may make it."""

import datetime as dt

import pytest
from django.utils import timezone

from portal.servicedesk import services
from portal.servicedesk.models import (
    Action,
    Category,
    Channel,
    Problem,
    ProblemStep,
    Satisfaction,
    Status,
)
from tests.servicedesk.conftest import local
from tests.servicedesk.factories import VisitFactory, bring_to, submit

pytestmark = pytest.mark.django_db

ALL_STATUSES = list(Status.values)


def _move(desk, problem, move):
    """Make one move with an actor who would be allowed to make it in the right state."""
    if move == "assign":
        return services.problem_assign(problem=problem, user=desk.coordinator, department=desk.land)
    if move == "transfer":
        target = desk.finance if problem.department_id != desk.finance.pk else desk.land
        return services.problem_transfer(
            problem=problem, user=desk.coordinator, department=target, reason="职责调整"
        )
    if move == "answer":
        return services.problem_answer(problem=problem, user=desk.coordinator, answer="已办理。")
    if move == "rate_satisfied":
        return services.problem_rate(problem=problem, user=desk.owner, satisfied=True)
    if move == "rate_unsatisfied":
        return services.problem_rate(problem=problem, user=desk.owner, satisfied=False, comment="未解决")
    if move == "withdraw":
        return services.problem_withdraw(problem=problem, user=desk.owner)
    if move == "close_unrated":
        return services.problem_close_unrated(problem=problem, now=timezone.now() + dt.timedelta(days=30))
    raise ValueError(move)


# Written out by hand, not read from the code's table: the state diagram.
LEGAL = {
    "assign": {"submitted": "assigned"},
    "transfer": {"assigned": "transferred", "transferred": "transferred", "reopened": "transferred"},
    "answer": {"assigned": "answered", "transferred": "answered", "reopened": "answered"},
    "rate_satisfied": {"answered": "closed"},
    "rate_unsatisfied": {"answered": "reopened"},
    "close_unrated": {"answered": "closed"},
    "withdraw": {
        "submitted": "withdrawn",
        "assigned": "withdrawn",
        "transferred": "withdrawn",
        "reopened": "withdrawn",
    },
}


@pytest.mark.parametrize("move", list(LEGAL))
@pytest.mark.parametrize("status", ALL_STATUSES)
def test_each_move_is_allowed_exactly_from_the_states_of_the_diagram(desk, monday, move, status):
    problem = bring_to(desk, status)
    steps_before = problem.steps.count()

    if status in LEGAL[move]:
        moved = _move(desk, problem, move)
        assert moved.status == LEGAL[move][status]
        assert problem.steps.count() == steps_before + 1
        assert problem.steps.last().to_status == LEGAL[move][status]
        assert problem.steps.last().from_status == status
    else:
        with pytest.raises(services.ProblemError, match="不能"):
            _move(desk, problem, move)
        problem.refresh_from_db()
        assert problem.status == status
        assert problem.steps.count() == steps_before


def test_a_submitted_problem_has_its_first_step_and_awaits_routing(desk, monday):
    problem = submit(desk)

    assert problem.status == Status.SUBMITTED
    assert problem.department is None
    assert problem.raised_by == desk.owner
    step = problem.steps.get()
    assert (step.action, step.from_status, step.to_status) == (Action.SUBMIT, "", Status.SUBMITTED)
    assert step.actor == desk.owner
    assert step.at == local(2023, 6, 5, 10, 0)


def test_assign_routes_the_problem_and_names_the_handler(desk, monday):
    problem = submit(desk)

    problem = services.problem_assign(
        problem=problem,
        user=desk.coordinator,
        department=desk.land,
        handler=desk.land_staff,
        note="请尽快办理",
    )

    assert problem.department == desk.land
    assert problem.handler == desk.land_staff
    assert problem.responded_at == local(2023, 6, 5, 10, 0)
    step = problem.steps.last()
    assert (step.action, step.actor, step.department, step.note) == (
        Action.ASSIGN,
        desk.coordinator,
        desk.land,
        "请尽快办理",
    )


def test_only_the_coordinating_bureau_assigns(desk, monday):
    problem = submit(desk)

    with pytest.raises(services.ProblemError, match="只有牵头协调部门可以交办"):
        services.problem_assign(problem=problem, user=desk.land_staff, department=desk.land)


def test_a_handler_must_work_in_the_department_the_problem_goes_to(desk, monday):
    problem = submit(desk)

    with pytest.raises(services.ProblemError, match="不是国土规划住建局的在岗工作人员"):
        services.problem_assign(
            problem=problem, user=desk.coordinator, department=desk.land, handler=desk.finance_staff
        )


def test_a_transfer_chain_keeps_every_hop_with_its_reason_and_restarts_the_clock(desk, monday):
    problem = bring_to(desk, Status.ASSIGNED, category=Category.FINANCE)
    first_due = problem.answer_due

    monday.move_to(local(2023, 6, 6, 9, 0))
    problem = services.problem_transfer(
        problem=problem, user=desk.land_staff, department=desk.finance, reason="属融资事项"
    )
    monday.move_to(local(2023, 6, 9, 9, 0))
    problem = services.problem_transfer(
        problem=problem,
        user=desk.finance_staff,
        department=desk.bureau,
        reason="涉及政策兑现，请牵头部门办理",
    )

    hops = list(
        problem.steps.filter(action=Action.TRANSFER).values_list(
            "department__code", "actor__username", "note"
        )
    )
    assert hops == [("czjr", "gtgh", "属融资事项"), ("cxfz", "czjr", "涉及政策兑现，请牵头部门办理")]
    assert problem.department == desk.bureau
    assert problem.status == Status.TRANSFERRED
    # Finance: 10 working days from each hand-over; 06-22..24 is the Dragon Boat holiday, Sunday 06-25 a
    # make-up working day.
    assert first_due == local(2023, 6, 19, 23, 59, 59, 999999)
    assert problem.answer_due == local(2023, 6, 26, 23, 59, 59, 999999)


def test_a_transfer_needs_a_reason(desk, monday):
    problem = bring_to(desk, Status.ASSIGNED)

    with pytest.raises(services.ProblemError, match="转办须说明理由"):
        services.problem_transfer(problem=problem, user=desk.land_staff, department=desk.finance, reason="  ")
    assert Problem.objects.get(pk=problem.pk).status == Status.ASSIGNED


def test_a_transfer_must_go_to_another_department(desk, monday):
    problem = bring_to(desk, Status.ASSIGNED)

    with pytest.raises(services.ProblemError, match="目标部门与当前承办部门相同"):
        services.problem_transfer(problem=problem, user=desk.land_staff, department=desk.land, reason="重复")


def test_another_department_can_neither_transfer_nor_answer(desk, monday):
    problem = bring_to(desk, Status.ASSIGNED)

    with pytest.raises(services.ProblemError, match="只有承办部门或牵头协调部门可以转办"):
        services.problem_transfer(
            problem=problem, user=desk.finance_staff, department=desk.finance, reason="抢办"
        )
    with pytest.raises(services.ProblemError, match="只有承办部门或牵头协调部门可以反馈"):
        services.problem_answer(problem=problem, user=desk.finance_staff, answer="已办理")


def test_an_answer_must_say_something(desk, monday):
    problem = bring_to(desk, Status.ASSIGNED)

    with pytest.raises(services.ProblemError, match="请填写反馈内容"):
        services.problem_answer(problem=problem, user=desk.land_staff, answer="")


def test_a_satisfied_rating_closes_the_problem(desk, monday):
    problem = bring_to(desk, Status.ANSWERED)

    problem = services.problem_rate(problem=problem, user=desk.agent, satisfied=True, comment="感谢")

    assert problem.status == Status.CLOSED
    assert problem.satisfaction == Satisfaction.SATISFIED
    assert problem.closed_at == local(2023, 6, 5, 10, 0)
    assert problem.is_resolved
    assert problem.steps.last().action == Action.CLOSE


def test_not_satisfied_sends_the_problem_back_to_the_same_department(desk, monday):
    problem = bring_to(desk, Status.ANSWERED)
    monday.move_to(local(2023, 6, 8, 15, 0))

    problem = services.problem_rate(
        problem=problem, user=desk.owner, satisfied=False, comment="用地指标仍未落实"
    )

    assert problem.status == Status.REOPENED
    assert problem.department == desk.land
    assert problem.satisfaction == Satisfaction.UNSATISFIED
    assert problem.rating_due is None
    # Permits: 5 working days from the reopening.
    assert problem.answer_due == local(2023, 6, 15, 23, 59, 59, 999999)
    reopen = problem.steps.last()
    assert (reopen.action, reopen.note, reopen.department) == (Action.REOPEN, "用地指标仍未落实", desk.land)

    problem = services.problem_answer(problem=problem, user=desk.land_staff, answer="已协调落实指标。")
    assert problem.satisfaction == ""
    problem = services.problem_rate(problem=problem, user=desk.owner, satisfied=True)
    assert problem.status == Status.CLOSED
    assert [s.action for s in problem.steps.all()] == [
        Action.SUBMIT,
        Action.ASSIGN,
        Action.ANSWER,
        Action.REOPEN,
        Action.ANSWER,
        Action.CLOSE,
    ]


def test_not_satisfied_needs_a_reason(desk, monday):
    problem = bring_to(desk, Status.ANSWERED)

    with pytest.raises(services.ProblemError, match="请说明不满意的原因"):
        services.problem_rate(problem=problem, user=desk.owner, satisfied=False, comment="")
    assert Problem.objects.get(pk=problem.pk).status == Status.ANSWERED


def test_an_enterprise_can_neither_rate_nor_withdraw_another_enterprises_problem(desk, monday):
    answered = bring_to(desk, Status.ANSWERED)
    assigned = bring_to(desk, Status.ASSIGNED)

    with pytest.raises(services.ProblemError, match="只能评价本企业的诉求"):
        services.problem_rate(problem=answered, user=desk.other_owner, satisfied=True)
    with pytest.raises(services.ProblemError, match="只能撤回本企业的诉求"):
        services.problem_withdraw(problem=assigned, user=desk.other_owner)


def test_the_coordinating_bureau_records_a_call_back_rating_with_what_was_said(desk, monday):
    problem = bring_to(desk, Status.ANSWERED)

    with pytest.raises(services.ProblemError, match="回访评价须记录回访情况"):
        services.problem_rate(problem=problem, user=desk.coordinator, satisfied=True)
    with pytest.raises(services.ProblemError, match="诉求由企业评价"):
        services.problem_rate(problem=problem, user=desk.land_staff, satisfied=True, comment="满意")
    problem = services.problem_rate(
        problem=problem, user=desk.coordinator, satisfied=True, comment="电话回访总经理：满意"
    )

    assert problem.status == Status.CLOSED
    assert problem.steps.last().actor == desk.coordinator


def test_withdrawing_records_the_reason_and_tells_the_department(desk, monday):
    problem = bring_to(desk, Status.ASSIGNED)

    problem = services.problem_withdraw(problem=problem, user=desk.owner, reason="问题已自行解决")

    assert problem.status == Status.WITHDRAWN
    assert problem.steps.last().note == "问题已自行解决"
    assert desk.land_staff.notifications.filter(title__startswith="企业已撤回诉求").count() == 1


def test_staff_record_hotline_and_visit_problems_and_a_visit_problem_links_its_visit(desk, monday):
    visit = VisitFactory(staff=desk.land_staff, enterprise=desk.enterprise)

    hotline = submit(desk, user=desk.coordinator, channel=Channel.HOTLINE)
    on_visit = submit(desk, user=desk.land_staff, channel=Channel.VISIT, visit=visit)

    assert hotline.raised_by == desk.coordinator
    assert list(visit.problems.all()) == [on_visit]


@pytest.mark.parametrize(
    ("who", "channel", "visit", "message"),
    [
        ("owner", "hotline", None, "走访和热线诉求由园区工作人员登记"),
        ("other_owner", "portal", None, "只能为本企业提交诉求"),
        ("coordinator", "visit", None, "走访收集的诉求须关联走访记录"),
        ("coordinator", "visit", "other", "走访记录的企业与诉求企业不一致"),
        ("owner", "portal", "own", "只有走访收集的诉求可以关联走访记录"),
        ("owner", "telegram", None, "未知的诉求来源渠道"),
    ],
)
def test_a_submission_that_cannot_be_right_is_refused(desk, monday, who, channel, visit, message):
    visits = {
        "own": VisitFactory(enterprise=desk.enterprise),
        "other": VisitFactory(enterprise=desk.other_enterprise),
        None: None,
    }

    with pytest.raises(services.ProblemError, match=message):
        services.problem_submit(
            enterprise=desk.enterprise,
            user=getattr(desk, who),
            channel=channel,
            category=Category.LAND,
            title="用地问题",
            description="说明",
            visit=visits[visit],
        )
    assert not Problem.objects.exists()
    assert not ProblemStep.objects.exists()


def test_a_problem_needs_a_title_and_a_description_and_a_known_category(desk, monday):
    with pytest.raises(services.ProblemError, match="请填写诉求标题"):
        submit(desk, title=" ")
    with pytest.raises(services.ProblemError, match="请填写诉求内容"):
        submit(desk, description="")
    with pytest.raises(services.ProblemError, match="未知的诉求类别"):
        submit(desk, category="weather")
    with pytest.raises(services.ProblemError, match="不能超过 200 个字"):
        submit(desk, title="长" * 201)
