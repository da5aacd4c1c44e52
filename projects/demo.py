"""Demo projects: the H1 2023 figures of the zone, reproduced by replaying what happened through the services.

- 131 investment filings completed between 2023-01-01 and 2023-06-30, most within one working day;
- 9 projects on 工业定制地 whose four permits were issued on the day the land was taken (四证齐发);
- 27 joint acceptances in the half-year, 4 online and 23 offline, of projects filed in 2021–2022;
- key projects with coordinators, blockers, and the weekly dispatch of every Monday from March to June 2023.

Every event is planned from a seeded generator, then replayed in time order through the same services staff
use, so stages, deadlines and clocks come from the records. The weekly dispatch is built on each Monday at
07:00 of the replay and sees the records as they stood then.
"""

import datetime as dt
import itertools
import random
from dataclasses import dataclass, field
from decimal import Decimal

from auditlog.context import disable_auditlog
from django.db import transaction
from django.utils import timezone

from portal.accounts.demo import DEMO_PASSWORD, STAFF_GROUP
from portal.accounts.models import Department, User
from portal.enterprises.models import Enterprise, make_uscc
from portal.workdays.selectors import WorkCalendar
from projects import services, stats
from projects.models import (
    CONSTRUCTION,
    FOUR_PERMITS,
    LAND_USE_PLANNING,
    PROPERTY_TITLE,
    WORKS_PLANNING,
    AcceptanceMode,
    AcceptanceResult,
    DispatchItem,
    FilingOutcome,
    PermitType,
    Project,
    ReportKind,
)

SEED = 20230630
H1 = (dt.date(2023, 1, 1), dt.date(2023, 6, 30))
REGION = "410172"
# Working days each of the 131 filings took, from submission to completion: 0 means the same day.
REVIEW_WORKDAYS = [0] * 40 + [1] * 79 + [2] * 12
SAME_DAY_PROJECTS = 9
STAGED_PROJECTS = 20
ACCEPTANCES = [AcceptanceMode.ONLINE] * 4 + [AcceptanceMode.OFFLINE] * 23
FAILED_ACCEPTANCES = 2
# Every Monday from March to the end of June 2023.
DISPATCH_WEEKS = [dt.date(2023, 3, 6) + dt.timedelta(weeks=n) for n in range(17)]
COORDINATORS = ["cxfz", "jjfz", "gtgh"]
PERMIT_DEPARTMENTS = {
    LAND_USE_PLANNING: "gtgh",
    WORKS_PLANNING: "gtgh",
    PROPERTY_TITLE: "bdcdj",
    CONSTRUCTION: "gtgh",
}

PRODUCTS = [
    ("智能传感器", "电子信息"),
    ("新能源汽车零部件", "汽车制造"),
    ("高端医疗器械", "生物医药"),
    ("半导体封装材料", "新材料"),
    ("工业机器人", "智能装备"),
    ("5G通信模组", "电子信息"),
    ("生物制剂", "生物医药"),
    ("光电显示模组", "光电"),
    ("超硬材料制品", "新材料"),
    ("精密仪器仪表", "智能装备"),
    ("锂电池隔膜", "新能源"),
    ("智能网联终端", "电子信息"),
]
NAME_FORMS = ["年产{n}万套{p}生产线项目", "{p}研发及产业化项目", "{p}智能制造基地项目", "{p}产业园建设项目"]
ROADS = ["科学大道", "长椿路", "西四环", "莲花街", "化工路", "红松路", "瑞达路", "翠竹街", "雪松路", "金梭路"]
CORNERS = ["东北角", "西北角", "东南角", "西南角"]
COMMITMENTS = [
    "消防设计审查合格意见书",
    "人防工程设计审查意见",
    "施工图审查合格书",
    "农民工工资保证金缴存证明",
]
BLOCKERS = [
    ("地块东侧市政道路未贯通，影响施工车辆进出", "gtgh"),
    ("高压线迁改方案待供电公司确认", "jjfz"),
    ("施工用水用电报装进度滞后", "yyzx"),
    ("土方外运手续尚在办理", "gtgh"),
]
ACCEPTANCE_ISSUES = ["消防通道宽度不足，需整改后复验", "室外管网资料不全，需补充竣工测量成果"]
PAUSE_REASONS = ["等待申请人补正设计方案", "等待申请人补交土地出让金缴纳凭证"]


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@dataclass
class Live:
    """What the replay has created for one planned project so far."""

    code: str
    project: Project | None = None
    filing: object = None
    permits: dict = field(default_factory=dict)


class Replay:
    """Planned events, each a moment and a call; run in time order (ties keep the order they were planned)."""

    def __init__(self):
        self.rng = random.Random(SEED)
        self.calendar = WorkCalendar.load()
        self.events: list[tuple[dt.datetime, int, object]] = []
        self.codes = itertools.count(1)
        self.certificates = itertools.count(1)
        self.parcels = itertools.count(1)
        self.first_code: str | None = None
        self.left_unfulfilled = False

    def at(self, moment: dt.datetime, call) -> None:
        self.events.append((moment, len(self.events), call))

    def run(self) -> None:
        for _moment, _order, call in sorted(self.events, key=lambda e: (e[0], e[1])):
            call()

    def workdays(self, start: dt.date, end: dt.date) -> list[dt.date]:
        days, day = [], start
        while day <= end:
            if self.calendar.is_workday(day):
                days.append(day)
            day += dt.timedelta(days=1)
        return days

    def after(self, day: dt.date, n: int) -> dt.date:
        return self.calendar.add_workdays(day, n)


def _people() -> dict:
    """Departments and staff the demo needs: the accounts demo's, plus the real-estate registration office."""
    bdcdj, _ = Department.objects.update_or_create(
        code="bdcdj", defaults={"name": "不动产登记中心", "phone": "0371-67980007"}
    )
    user = User.objects.filter(username="bdcdj").first()
    if user is None:
        user = User(username="bdcdj", display_name="不动产登记中心 刘科长", is_staff=True, department=bdcdj)
        user.set_password(DEMO_PASSWORD)
        user.save()
        from django.contrib.auth.models import Group

        group = Group.objects.filter(name=STAFF_GROUP).first()
        if group is not None:
            user.groups.add(group)
    if bdcdj.head_id is None:
        Department.objects.filter(pk=bdcdj.pk).update(head=user)
    departments = {d.code: d for d in Department.objects.all()}
    for code, department_code in PERMIT_DEPARTMENTS.items():
        PermitType.objects.filter(code=code).update(department=departments[department_code])
    users = {u.username: u for u in User.objects.filter(username__in=[*COORDINATORS, "gtgh", "bdcdj"])}
    return {"departments": departments, "users": users}


@transaction.atomic
def load(out) -> list[tuple[str, str]]:
    """Replay the half-year once; a second run finds the projects there and changes nothing."""
    people = _people()
    logins = [("工作人员（不动产登记中心）", "bdcdj")]
    missing = [u for u in (*COORDINATORS, "gtgh") if u not in people["users"]]
    if missing:
        out.write(f"缺少工作人员账号 {'、'.join(missing)}，跳过项目演示数据")
        return logins
    plan = _plan(people)
    first_code = plan.first_code
    if Project.objects.filter(code=first_code).exists():
        out.write(f"项目演示数据已存在（{Project.objects.count()} 个项目），未重复写入")
        return logins
    out.write(f"回放 {len(plan.events)} 个办理事件 …")
    # The audit log records who changed what; a replay of invented history has no one to record.
    with disable_auditlog():
        plan.run()
    figures = stats.figures(start=H1[0], end=H1[1])
    out.write(
        f"\n项目 {Project.objects.count()} 个；2023 年上半年：备案 {figures['filings']} 件，"
        f"平均 {figures['filing_avg_working_days']} 个工作日；"
        f"四证齐发 {figures['four_permits_same_day_projects']} 个；"
        f"联合验收 线上 {figures['acceptances_online']} / 线下 {figures['acceptances_offline']}"
    )
    return logins


def _plan(people) -> Replay:
    plan = Replay()
    rng = plan.rng
    users, departments = people["users"], people["departments"]
    types = {t.code: t for t in PermitType.objects.all()}
    named_usccs = [make_uscc(serial) for serial in (1, 2, 3)]
    present = set(Enterprise.objects.filter(uscc__in=named_usccs).values_list("uscc", flat=True))
    # The projects go to enterprises of the registry, drawn in id order: the same registry, the same draws.
    registry = list(
        Enterprise.objects.exclude(uscc__in=named_usccs).order_by("id").values_list("uscc", flat=True)
    )
    if not registry:
        raise RuntimeError("项目演示数据需要先载入企业名录（portal.enterprises.demo）")

    def named_or_drawn(uscc: str) -> str:
        # The logins of the named enterprises show projects; without them, a drawn enterprise stands in.
        return uscc if uscc in present else rng.choice(registry)

    def project(*, created: dt.datetime, code_month: str, uscc: str, key_index: int | None, **extra) -> Live:
        product, industry = rng.choice(PRODUCTS)
        name = rng.choice(NAME_FORMS).format(n=rng.randint(5, 200), p=product)
        code = f"{code_month}-{REGION}-{rng.randint(13, 42)}-03-{next(plan.codes):06d}"
        roads = rng.sample(ROADS, 2)
        live = Live(code)
        fields = {
            "code": code,
            "name": name,
            "site": f"郑州高新区{roads[0]}与{roads[1]}交叉口{rng.choice(CORNERS)}",
            "total_investment": Decimal(rng.randrange(2000, 150000, 50)),
            "industry": industry,
            "is_key": key_index is not None,
            "coordinator": users[COORDINATORS[key_index % len(COORDINATORS)]]
            if key_index is not None
            else None,
            **extra,
        }

        def create():
            live.project = services.project_create(enterprise=Enterprise.objects.get(uscc=uscc), **fields)

        plan.at(created, create)
        return live

    def filing(live: Live, day: dt.date, review_workdays: int) -> dt.datetime:
        submitted = _at(day, rng.randint(9, 14), rng.choice([0, 10, 20, 30, 40, 50]))
        accepted = submitted + dt.timedelta(minutes=rng.randint(15, 60))
        if review_workdays == 0:
            completed = accepted + dt.timedelta(minutes=rng.randint(30, 90))
        else:
            completed = _at(plan.after(day, review_workdays), rng.randint(9, 11), rng.choice([0, 15, 30, 45]))
        reviewer = users["jjfz"]

        def submit():
            live.filing = services.filing_submit(
                project=live.project, submitted_at=submitted, department=departments["jjfz"]
            )

        plan.at(submitted, submit)
        plan.at(accepted, lambda: services.filing_accept(filing=live.filing, reviewer=reviewer, at=accepted))
        plan.at(
            completed,
            lambda: services.filing_complete(
                filing=live.filing, reviewer=reviewer, outcome=FilingOutcome.FILED, at=completed
            ),
        )
        return completed

    def land(live: Live, day: dt.date, custom: bool = False) -> None:
        parcel = f"GX{day.year}-{next(plan.parcels):03d}"
        plan.at(
            _at(day, 8, 30),
            lambda: services.project_update(
                project=live.project,
                data={
                    "land_transferred_on": day,
                    "parcel_number": parcel,
                    "is_custom_industrial_land": custom,
                },
            ),
        )

    def certificate(code: str, day: dt.date) -> str:
        n = next(plan.certificates)
        return {
            LAND_USE_PLANNING: f"地字第{REGION}{day.year}{n:05d}号",
            WORKS_PLANNING: f"建字第{REGION}{day.year}{n:05d}号",
            PROPERTY_TITLE: f"豫（{day.year}）郑州市不动产权第{n:07d}号",
            CONSTRUCTION: f"{REGION}{day:%Y%m%d}{n:04d}01",
        }[code]

    def permit(
        live: Live,
        code: str,
        applied: dt.datetime,
        *,
        review_workdays: int = 0,
        pause_workdays: int = 0,
        finish: str = "issue",
        commitments: list[tuple[str, dt.date, dt.date | None]] = (),
    ) -> dt.datetime:
        """Plan one permit from application to issue; returns the moment it was decided (or last touched)."""
        handler = users["bdcdj" if code == PROPERTY_TITLE else "gtgh"]
        accepted = applied + dt.timedelta(minutes=10)
        moment = accepted
        pause = None
        if pause_workdays:
            paused = _at(plan.after(accepted.date(), 1), 10)
            resumed = _at(plan.after(paused.date(), pause_workdays), 9, 30)
            pause = (paused, resumed)
            moment = resumed
        if review_workdays == 0 and pause is None:
            reviewed = accepted + dt.timedelta(minutes=60)
        else:
            reviewed = _at(plan.after(timezone.localdate(moment), max(review_workdays, 1)), 10, 30)
        approved = reviewed + dt.timedelta(minutes=30)
        issued = approved + dt.timedelta(minutes=20)

        def apply():
            live.permits[code] = services.permit_apply(
                project=live.project,
                permit_type=types[code],
                applied_at=applied,
                is_commitment=bool(commitments),
                commitments=[(content, due) for content, due, _done in commitments],
            )

        def close(kind: str, when: dt.datetime):
            step = live.permits[code].steps.get(kind=kind, closed_at__isnull=True)
            services.permit_step_close(step=step, user=handler, at=when)

        plan.at(applied, apply)
        plan.at(
            accepted, lambda: services.permit_accept(permit=live.permits[code], user=handler, at=accepted)
        )
        if pause is not None:
            reason = rng.choice(PAUSE_REASONS)
            plan.at(
                pause[0],
                lambda: services.permit_pause(
                    permit=live.permits[code], user=handler, reason=reason, at=pause[0]
                ),
            )
            if finish != "paused":
                plan.at(
                    pause[1],
                    lambda: services.permit_resume(permit=live.permits[code], user=handler, at=pause[1]),
                )
        if finish in ("paused", "review"):
            return moment
        plan.at(reviewed, lambda: close("review", reviewed))
        plan.at(approved, lambda: close("approval", approved))
        if finish == "issue":
            number = certificate(code, issued.date())
            plan.at(
                issued,
                lambda: services.permit_issue(
                    permit=live.permits[code], user=handler, certificate_number=number, at=issued
                ),
            )
        for index, (_content, _due, done) in enumerate(commitments):
            if done is not None:
                plan.at(_at(done, 16), lambda index=index, done=done: _fulfil(live, code, index, done))
        return issued

    def report(live: Live, kind: str, day: dt.date, content: str = "", hour: int = 17) -> None:
        plan.at(
            _at(day, hour),
            lambda: services.filing_report_submit(
                project=live.project, kind=kind, reported_on=day, content=content
            ),
        )

    def blocker(live: Live, raised: dt.date, resolved: dt.date | None) -> None:
        text, department = rng.choice(BLOCKERS)
        holder: dict = {}
        plan.at(
            _at(raised, 9),
            lambda: holder.setdefault(
                "b",
                services.blocker_raise(
                    project=live.project,
                    description=text,
                    department=departments[department],
                    raised_on=raised,
                ),
            ),
        )
        if resolved is not None:
            plan.at(
                _at(resolved, 18),
                lambda: services.blocker_resolve(
                    blocker=holder["b"], resolution="经分包人协调，责任部门已办结", resolved_on=resolved
                ),
            )

    # ---- A. The 131 filings of H1 2023 -----------------------------------------------------------------
    filing_days = sorted(
        rng.choice(plan.workdays(dt.date(2023, 1, 3), dt.date(2023, 6, 27))) for _ in REVIEW_WORKDAYS
    )
    review = REVIEW_WORKDAYS[:]
    rng.shuffle(review)
    # Which filed projects go on to land and permits in the half-year: early filers, so there is time.
    early = [i for i, day in enumerate(filing_days) if day <= dt.date(2023, 3, 31)]
    same_day = set(rng.sample(early, SAME_DAY_PROJECTS))
    staged = set(rng.sample([i for i in early if i not in same_day], STAGED_PROJECTS))
    staged_order = sorted(staged)
    key_rest = set(rng.sample([i for i in range(len(filing_days)) if i not in same_day | staged], 8))
    named = {min(same_day): make_uscc(1), sorted(key_rest)[0]: make_uscc(1), staged_order[0]: make_uscc(3)}
    key_counter = itertools.count()
    for index, day in enumerate(filing_days):
        uscc = named_or_drawn(named[index]) if index in named else rng.choice(registry)
        is_key = index in same_day or index in staged or index in key_rest
        live = project(
            created=_at(day, 8, 0),
            code_month=f"{day:%y%m}",
            uscc=uscc,
            key_index=next(key_counter) if is_key else None,
        )
        if plan.first_code is None:
            plan.first_code = live.code
        completed = filing(live, day, review[index])
        if index in same_day:
            _same_day_permits(plan, live, completed, land, permit, report, rng)
        elif index in staged:
            variant = staged_order.index(index) % 5
            _staged_permits(plan, live, completed, land, permit, blocker, rng, variant=variant)

    # ---- B. 27 joint acceptances in H1 2023, of projects filed in 2021–2022 ---------------------------
    acceptance_days = sorted(
        rng.sample(plan.workdays(dt.date(2023, 1, 9), dt.date(2023, 6, 28)), len(ACCEPTANCES))
    )
    modes = ACCEPTANCES[:]
    rng.shuffle(modes)
    failed = set(
        rng.sample([i for i, m in enumerate(modes) if m == AcceptanceMode.OFFLINE], FAILED_ACCEPTANCES)
    )
    for index, held in enumerate(acceptance_days):
        completion = plan.after(held, 0) - dt.timedelta(days=rng.randint(7, 30))
        start = completion - dt.timedelta(days=rng.randint(320, 560))
        start = plan.after(start, 0)
        land_day = plan.after(start - dt.timedelta(days=rng.randint(20, 60)), 0)
        filed_day = plan.after(land_day - dt.timedelta(days=rng.randint(20, 80)), 0)
        if index == 3 or index in failed:
            uscc = named_or_drawn(make_uscc(1) if index == 3 else make_uscc(2))
        else:
            uscc = rng.choice(registry)
        live = project(
            created=_at(filed_day, 8, 0),
            code_month=f"{filed_day:%y%m}",
            uscc=uscc,
            key_index=next(key_counter) if index % 3 == 0 or index in failed else None,
        )
        filing(live, filed_day, rng.choice([0, 1, 1, 2]))
        land(live, land_day)
        applied_day = plan.after(land_day, rng.randint(1, 5))
        last = None
        for offset, code in enumerate(FOUR_PERMITS):
            applied = _at(plan.after(applied_day, offset), 9, 30)
            issued = permit(live, code, applied, review_workdays=rng.randint(1, 3))
            last = max(last or issued, issued)
        start = max(start, plan.after(timezone.localdate(last), 1))
        report(live, ReportKind.START, start, "主体工程开工")
        report(live, ReportKind.COMPLETION, completion, "工程竣工，申请联合验收", hour=10)
        result = AcceptanceResult.FAILED if index in failed else AcceptanceResult.PASSED
        issues = ACCEPTANCE_ISSUES[sorted(failed).index(index)] if index in failed else ""
        joined = [
            departments["gtgh"],
            departments["bdcdj"],
            *rng.sample([departments["jjfz"], departments["yyzx"]], 1),
        ]
        plan.at(
            _at(held, 15),
            lambda live=live, held=held, mode=modes[index], result=result, issues=issues, joined=joined: (
                services.acceptance_record(
                    project=live.project,
                    mode=mode,
                    held_on=held,
                    result=result,
                    departments=joined,
                    issues_found=issues,
                )
            ),
        )
        if index in failed:
            plan.at(
                _at(held, 16),
                lambda live=live, issues=issues, held=held: services.blocker_raise(
                    project=live.project, description=issues, department=departments["gtgh"], raised_on=held
                ),
            )

    # ---- C. The weekly dispatch of each Monday in June, and the meeting's notes ----------------------
    for week in DISPATCH_WEEKS:
        plan.at(_at(week, 7), lambda week=week: services.dispatch_build(week_start=week, now=_at(week, 7)))
        plan.at(_at(week, 11), lambda week=week: _annotate(week))
    return plan


def _fulfil(live: Live, code: str, index: int, day: dt.date) -> None:
    commitment = list(live.permits[code].commitments.order_by("due_on", "id"))[index]
    services.permit_commitment_fulfil(commitment=commitment, on=day)


def _same_day_permits(plan, live, filed_at, land, permit, report, rng) -> None:
    """工业定制地: land taken and all four permits issued the same day; construction starts (拿地即开工)."""
    land_day = plan.after(timezone.localdate(filed_at), rng.randint(8, 40))
    land(live, land_day, custom=True)
    with_commitments = rng.random() < 0.6
    for offset, code in enumerate(FOUR_PERMITS):
        applied = _at(land_day, 9, offset * 5)
        commitments = []
        if with_commitments and code in (WORKS_PLANNING, CONSTRUCTION):
            due = land_day + dt.timedelta(days=30)
            done = min(plan.after(land_day, rng.randint(5, 20)), H1[1])
            # One commitment is never honoured: the sweep flags it and tells everyone concerned.
            if code == CONSTRUCTION and not plan.left_unfulfilled:
                plan.left_unfulfilled, done = True, None
            commitments.append((rng.choice(COMMITMENTS), due, done))
        permit(live, code, applied, commitments=commitments)
    report(live, ReportKind.START, land_day, "拿地即开工")


def _staged_permits(plan, live, filed_at, land, permit, blocker, rng, variant: int) -> None:
    """Ordinary land: the permits take a few working days each; some wait on the applicant; some still run."""
    land_day = plan.after(timezone.localdate(filed_at), rng.randint(10, 30))
    land(live, land_day)
    applied_day = plan.after(land_day, rng.randint(1, 4))
    for offset, code in enumerate(FOUR_PERMITS):
        applied = _at(plan.after(applied_day, offset), 10)
        if code == CONSTRUCTION and variant == 1:
            # Applied in mid-June, still under review when the half-year ends: late in the last dispatches.
            applied = _at(plan.after(dt.date(2023, 6, 12), rng.randint(0, 3)), 10)
            permit(live, code, applied, finish="review")
        elif code == WORKS_PLANNING and variant == 2:
            permit(live, code, applied, review_workdays=2, pause_workdays=3)
        elif code == CONSTRUCTION and variant == 3:
            permit(live, code, applied, pause_workdays=2, finish="paused")
        else:
            permit(live, code, applied, review_workdays=rng.randint(1, 4))
    if variant in (0, 4):
        raised = plan.after(land_day, 3)
        resolved = plan.after(raised, rng.randint(5, 15)) if variant == 0 else None
        if raised <= H1[1]:
            blocker(live, raised, resolved if resolved and resolved <= H1[1] else None)


def _annotate(week: dt.date) -> None:
    """The meeting writes its instruction on items with something overdue or blocked."""
    items = DispatchItem.objects.filter(dispatch__week_start=week).exclude(overdue="", blockers="")
    for item in items.order_by("id"):
        services.dispatch_item_annotate(
            item=item,
            note="请责任部门本周内办结，分包人跟踪落实，下周调度会报告进展",
            resolution="" if week == DISPATCH_WEEKS[-1] else "已督办，责任部门已按期反馈",
        )
