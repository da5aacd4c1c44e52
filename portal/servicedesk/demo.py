"""The demo campaign of H1 2023: 2,810 visits and 1,043 problems, 1,042 of them resolved (99.9%).

Every problem gets the timeline it would have had through the services — submitted, assigned within a
working day, sometimes transferred, answered (a few late, and escalated), rated or closed unrated after
5 working days, a few sent back once — with times on working days, checked against ``TRANSITIONS``.
One land problem is still open: sent back by its enterprise, overdue and escalated. Written with
bulk_create from a seeded generator; a second run finds the campaign and writes nothing.
"""

import datetime as dt
import random
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from portal.accounts.demo import STAFF
from portal.accounts.models import Department, EnterpriseRole, User
from portal.enterprises.demo import ENTERPRISE_COUNT, NAMED
from portal.enterprises.models import Enterprise, make_uscc
from portal.servicedesk import services
from portal.servicedesk.models import (
    FIRST_RESPONSE_WORKDAYS,
    RATING_WORKDAYS,
    TRANSITIONS,
    Action,
    Category,
    Channel,
    Escalation,
    EscalationKind,
    Problem,
    ProblemStep,
    Satisfaction,
    Visit,
)
from portal.servicedesk.selectors import answer_workdays
from portal.workdays.selectors import WorkCalendar

SEED = 20230630
START, END = dt.date(2023, 1, 1), dt.date(2023, 6, 30)
OPEN_VISIT_DAY = dt.date(2023, 6, 8)
VISITS = 2810
CHANNELS = {Channel.VISIT: 731, Channel.HOTLINE: 250, Channel.PORTAL: 45, Channel.FAQ: 17}  # 1,043
COORDINATOR = "cxfz"
# Who answers each category (the department's login in the accounts demo).
ROUTING = {
    Category.LAND: "gtgh",
    Category.PERMITS: "gtgh",
    Category.FINANCE: "czjr",
    Category.TALENT: "rlzy",
    Category.POLICY: "cxfz",
    Category.UTILITIES: "yyzx",
    Category.OTHER: "jjfz",
}
CATEGORY_WEIGHTS = {
    Category.LAND: 12,
    Category.PERMITS: 18,
    Category.FINANCE: 16,
    Category.TALENT: 15,
    Category.POLICY: 20,
    Category.UTILITIES: 9,
    Category.OTHER: 10,
}
TOPICS = {
    Category.LAND: [
        ("扩建厂房用地指标申请进度", "企业计划扩建二期厂房，用地指标申请已提交三个月，希望了解办理进度。"),
        ("项目用地规划条件咨询", "拟在园区购置工业用地建设研发楼，需了解地块规划条件和容积率要求。"),
        ("土地证办理遇到历史遗留问题", "厂区部分土地因早年手续不全，至今未能办理不动产权证书。"),
    ],
    Category.PERMITS: [
        ("施工许可证办理材料咨询", "新建厂房即将开工，希望明确施工许可证所需材料和告知承诺制要求。"),
        ("消防验收排期较长", "厂房已竣工，消防验收排期较长，影响投产，请协调尽快验收。"),
        ("环评审批进度咨询", "技改项目环评报告已提交，希望了解审批进度。"),
    ],
    Category.FINANCE: [
        ("申请科技贷款需要对接银行", "企业有流动资金需求，希望对接合作银行的科技贷产品。"),
        ("知识产权质押融资咨询", "企业拥有多项发明专利，希望了解知识产权质押融资办理流程。"),
        ("应急转贷资金申请", "贷款即将到期，续贷审批尚未完成，希望申请应急转贷资金。"),
    ],
    Category.TALENT: [
        ("高层次人才认定咨询", "新引进博士两名，希望了解高层次人才认定条件和待遇。"),
        ("技术工人招聘困难", "生产线扩产后技术工人缺口约 50 人，希望协助对接职业院校。"),
        ("人才公寓申请进度", "企业为骨干员工申请人才公寓，希望了解配租进度。"),
    ],
    Category.POLICY: [
        ("研发费用后补助兑现进度", "企业已申报上年度研发费用后补助，希望了解资金兑现时间。"),
        ("高新技术企业认定奖励申领", "企业去年通过高新技术企业认定，希望了解奖励申领方式。"),
        ("稳岗补贴发放进度", "企业符合稳岗补贴条件，尚未收到补贴，希望查询进度。"),
    ],
    Category.UTILITIES: [
        ("厂区用电增容申请", "新增生产设备后用电负荷不足，需申请变压器增容。"),
        ("天然气管道接入", "新厂区需接入天然气管道，希望协调燃气公司尽快施工。"),
        ("供水压力不足", "厂区高峰时段供水压力不足，影响生产用水。"),
    ],
    Category.OTHER: [
        ("周边道路交通拥堵", "上下班高峰厂区门口道路拥堵，希望优化交通信号和停车管理。"),
        ("物流车辆通行证办理", "企业物流车辆需进入限行区域，希望了解通行证办理方式。"),
        ("企业名称变更后相关证照更新", "企业名称已变更，需同步更新各类证照和资质信息。"),
    ],
}
SOLUTIONS = {
    Category.LAND: "已会同自然资源部门核实地块情况，明确办理路径和时间节点，专人跟进",
    Category.PERMITS: "已协调审批窗口开通绿色通道，按告知承诺制办理，并安排专人指导材料",
    Category.FINANCE: "已对接合作银行客户经理上门服务，融资方案已进入审批",
    Category.TALENT: "已对接人才服务窗口和合作院校，相关事项已按政策办理",
    Category.POLICY: "已核实申报材料，资金已列入本批次兑现计划",
    Category.UTILITIES: "已协调供电、供水、燃气单位现场查勘，施工计划已确定",
    Category.OTHER: "已协调相关部门现场办公，问题已落实处理",
}
VISIT_NOTES = [
    "了解企业生产经营情况，宣讲惠企政策。",
    "走访企业研发中心，听取企业发展规划和诉求。",
    "调研企业用工、融资情况，送政策上门。",
    "回访企业前期诉求办理情况，企业表示满意。",
    "了解企业扩产计划，对接用地和审批需求。",
]


@dataclass
class _Play:
    """One problem's life, built step by step under the same rules as the services."""

    problem: Problem
    steps: list[ProblemStep] = field(default_factory=list)
    escalations: list[Escalation] = field(default_factory=list)

    def move(self, action: str, at: dt.datetime, actor: User | None, note: str = "") -> None:
        allowed_from, to_status = TRANSITIONS[action]
        if action != Action.SUBMIT and self.problem.status not in allowed_from:
            raise ValueError(f"demo: {action} from {self.problem.status}")
        if self.steps and at <= self.steps[-1].at:
            raise ValueError("demo: steps out of order")
        self.steps.append(
            ProblemStep(
                action=action,
                from_status="" if action == Action.SUBMIT else self.problem.status,
                to_status=to_status,
                actor=actor,
                department=self.problem.department,
                at=at,
                note=note,
            )
        )
        self.problem.status = to_status


class _MemoCalendar(WorkCalendar):
    """The same calendar with each day's status looked up once: the demo asks some 30,000 times."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._memo: dict[dt.date, bool] = {}

    def is_workday(self, day: dt.date) -> bool:
        if day not in self._memo:
            self._memo[day] = super().is_workday(day)
        return self._memo[day]


class _Clock:
    """Working-day moments for the demo's timelines."""

    def __init__(self, rng: random.Random, calendar: WorkCalendar):
        self.rng = rng
        self.calendar = calendar

    def at(self, day: dt.date, start_hour: float = 9, end_hour: float = 17.5) -> dt.datetime:
        minutes = self.rng.randint(int(start_hour * 60), int(end_hour * 60) - 1)
        return timezone.make_aware(dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60)))

    def after(self, moment: dt.datetime, workdays: int) -> dt.datetime:
        """A moment in office hours ``workdays`` working days after ``moment`` (0: later that day)."""
        local = timezone.localtime(moment)
        day = self.calendar.add_workdays(local.date(), workdays)
        if workdays == 0 and day == local.date():
            start = local.hour + local.minute / 60 + 0.25
            if start < 17:
                return self.at(day, start, 17.5)
            day = self.calendar.add_workdays(day, 1)
        return self.at(day)


def _enterprise_ids() -> dict[int, int]:
    by_uscc = dict(Enterprise.objects.values_list("uscc", "id"))
    return {serial: by_uscc[make_uscc(serial)] for serial in range(1, ENTERPRISE_COUNT + 1)}


@transaction.atomic
def load(out) -> list[tuple[str, str]]:
    """Write the H1 2023 campaign once, then a few problems in progress for the named enterprises."""
    if Visit.objects.filter(date__range=(START, END)).exists():
        out.write(
            f"万人助万企：已有走访 {Visit.objects.count()} 次、诉求 {Problem.objects.count()} 件，未重复写入"
        )
        return []
    rng = random.Random(SEED)
    calendar = _MemoCalendar.load()
    clock = _Clock(rng, calendar)
    staff = {u.username: u for u in User.objects.filter(username__in=[s[0] for s in STAFF])}
    departments = {d.code: d for d in Department.objects.select_related("head")}
    enterprise_ids = _enterprise_ids()
    members = {}
    for user in User.objects.filter(enterprise__uscc__in=[make_uscc(n[0]) for n in NAMED]).order_by("id"):
        members.setdefault(user.enterprise_id, []).append(user)
    workdays = [
        START + dt.timedelta(days=i)
        for i in range((END - START).days + 1)
        if calendar.is_workday(START + dt.timedelta(days=i))
    ]

    visits = _visits(rng, clock, workdays, staff, enterprise_ids)
    Visit.objects.bulk_create(visits, batch_size=1000)
    slas = {category: answer_workdays(category=category) for category in Category.values}
    plays = _problems(rng, clock, workdays, visits, staff, enterprise_ids, members, departments, slas)
    Problem.objects.bulk_create([p.problem for p in plays], batch_size=500)
    steps, escalations = [], []
    for play in plays:
        for step in play.steps:
            step.problem = play.problem
            steps.append(step)
        for escalation in play.escalations:
            escalation.problem = play.problem
            escalations.append(escalation)
    ProblemStep.objects.bulk_create(steps, batch_size=1000)
    Escalation.objects.bulk_create(escalations)
    resolved = sum(1 for p in plays if p.problem.is_resolved)
    out.write(
        f"万人助万企：{START:%Y-%m-%d}..{END:%Y-%m-%d} 走访 {len(visits)} 次，收集诉求 {len(plays)} 件，"
        f"解决 {resolved} 件（{resolved / len(plays):.1%}），"
        f"办理记录 {len(steps)} 条，超期督办 {len(escalations)} 次"
    )
    _in_progress(staff, departments, members)
    return []


def _visits(rng, clock, workdays, staff, enterprise_ids) -> list[Visit]:
    """The campaign's visits; the last is the one where the problem still open was raised."""
    visitors = [staff[name] for name, *_ in STAFF]
    rows = []
    for _i in range(VISITS - 1):
        day = rng.choice(workdays)
        visitor = rng.choice(visitors)
        host = rng.choice(["企业负责人", "企业总经理", "企业财务负责人", "企业办公室主任"])
        rows.append(
            Visit(
                staff=visitor,
                enterprise_id=enterprise_ids[rng.randint(1, ENTERPRISE_COUNT)],
                date=day,
                participants=f"{visitor}、{host}",
                notes=rng.choice(VISIT_NOTES),
                created_at=clock.at(day, 12, 17.5),
            )
        )
    rows.sort(key=lambda v: (v.date, v.created_at))
    day = OPEN_VISIT_DAY
    rows.append(
        Visit(
            staff=staff["gtgh"],
            enterprise_id=enterprise_ids[NAMED[2][0]],
            date=day,
            participants=f"{staff['gtgh']}、企业总经理",
            notes="了解企业二期扩建用地需求，企业反映用地指标迟迟未落实。",
            created_at=clock.at(day, 16, 17.5),
        )
    )
    return rows


def _problems(rng, clock, workdays, visits, staff, enterprise_ids, members, departments, slas) -> list[_Play]:
    named_ids = [enterprise_ids[n[0]] for n in NAMED]
    channels = [c for c, n in CHANNELS.items() for _ in range(n)]
    rng.shuffle(channels)
    # The one problem still open: a land problem raised on the last visit, to a named enterprise.
    unresolved = channels.index(Channel.VISIT)
    plays = []
    for index, channel in enumerate(channels):
        category = rng.choices(list(CATEGORY_WEIGHTS), weights=list(CATEGORY_WEIGHTS.values()))[0]
        visit = None
        if index == unresolved:
            category, visit = Category.LAND, visits[-1]
            enterprise_id, raised_by = visit.enterprise_id, visit.staff
            created = clock.at(visit.date, 9, 12)
        elif channel == Channel.VISIT:
            visit = rng.choice(visits[:-1])
            enterprise_id, raised_by = visit.enterprise_id, visit.staff
            created = clock.at(visit.date, 9, 12)
        elif channel == Channel.HOTLINE:
            enterprise_id = enterprise_ids[rng.randint(1, ENTERPRISE_COUNT)]
            created, raised_by = clock.at(rng.choice(workdays), 8.5, 17.5), staff[COORDINATOR]
        else:
            enterprise_id = rng.choice(named_ids)
            day = START + dt.timedelta(days=rng.randrange((END - START).days + 1))
            created, raised_by = clock.at(day, 8, 22), rng.choice(members[enterprise_id])
        title, description = rng.choice(TOPICS[category])
        problem = Problem(
            enterprise_id=enterprise_id,
            channel=channel,
            visit=visit,
            category=category,
            title=title,
            description=description,
            raised_by=raised_by,
            created_at=created,
            first_response_due=clock.calendar.deadline(created, FIRST_RESPONSE_WORKDAYS),
        )
        play = _Play(problem)
        play.move(Action.SUBMIT, created, raised_by)
        raters = members.get(enterprise_id, [])
        _handle(play, rng, clock, staff, departments, raters, slas, stays_open=index == unresolved)
        plays.append(play)
    return plays


def _handle(play: _Play, rng, clock, staff, departments, members, slas, *, stays_open: bool) -> None:
    problem = play.problem
    calendar = clock.calendar
    sla = slas[problem.category]
    right = departments[ROUTING[problem.category]]
    misrouted = rng.random() < 0.05
    first = rng.choice([d for d in departments.values() if d.pk != right.pk]) if misrouted else right

    assigned = clock.after(problem.created_at, 0)
    problem.department, problem.handler = first, first.head
    problem.responded_at = problem.answer_started_at = assigned
    problem.answer_due = calendar.deadline(assigned, sla)
    play.move(Action.ASSIGN, assigned, staff[COORDINATOR])
    if misrouted:
        moved = clock.after(assigned, rng.randint(0, 1))
        problem.department, problem.handler = right, right.head
        problem.answer_started_at = moved
        problem.answer_due = calendar.deadline(moved, sla)
        play.move(Action.TRANSFER, moved, first.head, f"该事项属于{right.name}职责范围，转请办理。")

    rounds = 2 if rng.random() < 0.035 or stays_open else 1
    for round_ in range(rounds):
        if stays_open and round_ == 1:
            # Sent back and still being worked: overdue, escalated once by the sweep, not answered yet.
            play.escalations.append(_escalation(problem, EscalationKind.ANSWER, problem.answer_due))
            return
        late = rng.random() < 0.015
        taken = sla + rng.randint(1, 3) if late else rng.randint(0, sla - 1)
        answered = clock.after(problem.answer_started_at, taken)
        if answered > problem.answer_due:
            play.escalations.append(_escalation(problem, EscalationKind.ANSWER, problem.answer_due))
        problem.answered_at = answered
        problem.rating_due = calendar.deadline(answered, RATING_WORKDAYS)
        problem.satisfaction, problem.rating_comment = "", ""
        play.move(Action.ANSWER, answered, problem.department.head, f"{SOLUTIONS[problem.category]}。")
        rater = members[0] if members else staff[COORDINATOR]
        if round_ == 0 and rounds == 2:
            rated = clock.after(answered, rng.randint(1, 3))
            comment = "答复未解决实际问题，希望进一步协调。"
            if rater.enterprise_id is None:
                comment = f"电话回访企业负责人：{comment}"
            problem.satisfaction, problem.rating_comment = Satisfaction.UNSATISFIED, comment
            problem.rating_due = None
            problem.answer_started_at = rated
            problem.answer_due = calendar.deadline(rated, sla)
            play.move(Action.REOPEN, rated, rater, comment)
            continue
        if rng.random() < 0.74:
            rated = clock.after(answered, rng.randint(1, RATING_WORKDAYS - 1))
            comment = (
                "问题已解决，感谢。" if rater.enterprise_id else "电话回访企业负责人：对办理结果表示满意。"
            )
            problem.satisfaction, problem.rating_comment = Satisfaction.SATISFIED, comment
            problem.closed_at = rated
            play.move(Action.CLOSE, rated, rater, comment)
        else:
            # The hourly sweep runs at five past the hour: the first run after the rating window closed.
            closed = problem.rating_due + dt.timedelta(minutes=5, microseconds=1)
            problem.closed_at = closed
            play.move(
                Action.AUTO_CLOSE, closed, None, f"企业在 {RATING_WORKDAYS} 个工作日内未评价，系统自动办结。"
            )


def _escalation(problem: Problem, kind: str, due: dt.datetime) -> Escalation:
    department = problem.department
    return Escalation(
        kind=kind,
        due=due,
        department=department,
        notified=department.head,
        created_at=due + dt.timedelta(minutes=5, microseconds=1),
    )


def _in_progress(staff, departments, members) -> None:
    """A few problems in progress now, through the services, so the queue and the dashboards have work."""
    owners = {
        enterprise_id: next(u for u in users if u.enterprise_role == EnterpriseRole.OWNER)
        for enterprise_id, users in members.items()
    }
    named = [Enterprise.objects.get(uscc=make_uscc(n[0])) for n in NAMED]
    first, second = named[0], named[1]
    answered = services.problem_submit(
        enterprise=first,
        user=owners[first.pk],
        channel=Channel.PORTAL,
        category=Category.UTILITIES,
        title="新厂房用电增容申请",
        description="新厂房计划下月投产，需将变压器容量由 800kVA 增至 1600kVA，希望协调供电公司加快办理。",
    )
    services.problem_assign(
        problem=answered, user=staff[COORDINATOR], department=departments["yyzx"], handler=staff["admin"]
    )
    services.problem_answer(
        problem=answered,
        user=staff["admin"],
        answer="已协调供电公司现场查勘，增容方案已确定，预计 10 个工作日内完成施工。联系电话 0371-67980006。",
    )
    assigned = services.problem_submit(
        enterprise=second,
        user=owners[second.pk],
        channel=Channel.PORTAL,
        category=Category.TALENT,
        title="研发人员子女入学咨询",
        description="新引进的两名研发人员子女需在园区就近入学，希望了解办理条件和时间。",
    )
    services.problem_assign(problem=assigned, user=staff[COORDINATOR], department=departments["rlzy"])
    services.problem_submit(
        enterprise=first,
        user=owners[first.pk],
        channel=Channel.PORTAL,
        category=Category.POLICY,
        title="研发费用后补助申报咨询",
        description="企业上年度研发投入约 1,200 万元，希望了解研发费用后补助的申报时间和材料。",
    )
