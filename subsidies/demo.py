"""The 免申即享 demo (``manage.py load_demo``): the first half of 2023 replayed through the services.

The five automatic schemes of the H1 2023 report and two application-mode ones hang on the policies of
the policy demo (looked up, never created here). The history is replayed with the same services staff
and enterprises use — matching, review, release into publicity, confirmation, payment batches — and
each step's timestamps are then set to its date in 2023, so the figures of the H1 2023 report come out
of the records: the awards of the five automatic schemes total 6,764.5 万元 and the payments made in
H1 2023 (all modes) 5,033.17 万元.

The demo generator arranges the data so (documented here, applied before matching, without services):

- the three named enterprises get the facts of a small story (a high-tech award waiting for the owner's
  confirmation, a paid job-stabilisation refund, an R&D subsidy, a specialised-SME award);
- four "balancing" enterprises (the first large above-scale manufacturers rated A) get R&D figures that
  make them eligible for the R&D subsidy; after a dry run of the matching has totalled every scheme,
  their 2021 R&D expense is set so that the five schemes total exactly the report's figure;
- the last application-mode award paid in H1 2023 takes the amount that makes the half-year's payments
  exactly the report's figure.

Emails are not sent while the history is replayed (the inbox messages are written).
"""

import datetime as dt
import random
from decimal import ROUND_DOWN, Decimal

from django.db import transaction
from django.db.models import Sum
from django.test.utils import override_settings
from django.utils import timezone

from policies.models import Policy
from portal.accounts.models import Notification, User
from portal.enterprises.models import AnnualReport, Enterprise, Qualification, Source, make_uscc
from portal.workdays.selectors import WorkCalendar
from subsidies import demo_households as households
from subsidies import services
from subsidies.matching import match_run_execute
from subsidies.models import (
    Award,
    AwardEvent,
    AwardStatus,
    MatchRun,
    PaymentBatch,
    Scheme,
    SchemeMode,
)
from subsidies.schemes import schemes_import

SEED = 2023
PERIOD = "2023"
AUTO_TOTAL = Decimal("67645000.00")  # 6,764.5 万元
PAID_H1 = Decimal("50331700.00")  # 5,033.17 万元
H1 = (dt.date(2023, 1, 1), dt.date(2023, 6, 30))

QUALIFICATIONS = {"var": "qualifications"}
CREDIT_A = {"==": [{"var": "credit_rating"}, "A"]}


def _awarded_in(code: str, year: int) -> dict:
    # Holding the recognition first: for enterprises without it the year is unknown, and the rule must
    # say "no", not "cannot tell".
    return {"and": [{"in": [code, QUALIFICATIONS]}, {"==": [{"var": f"qualification_year.{code}"}, year]}]}


def _automatic(code, policy, title, eligibility, amount, **extra) -> dict:
    return {
        "code": code,
        "policy": policy,
        "title": title,
        "mode": SchemeMode.AUTOMATIC,
        "facts_year": 2022,
        "period": PERIOD,
        "eligibility": eligibility,
        "amount": amount,
        "allocation": "pro_rata",
        "status": "active",
        "publicity_days": 5,
        **extra,
    }


SCHEMES = [
    _automatic(
        "rd-increment-2022",
        "rd-investment-2023",
        "研发费用增量后补助（2022 年度）",
        {
            "and": [
                {"var": "is_above_scale"},
                {"==": [{"var": "industry_section"}, "C"]},
                CREDIT_A,
                {"in": ["high_tech", QUALIFICATIONS]},
                {">=": [{"var": "rd_expense"}, 100]},
                {">": [{"var": "rd_expense"}, {"var": "prev.rd_expense"}]},
                {">=": [{"var": "rd_ratio"}, Decimal("0.03")]},
            ]
        },
        # Article 2: 10% of the increase, in 元 (figures in 万元: × 10,000 × 10%), at most 200 万元;
        # article 3: 10 万元 more for an above-scale manufacturer spending 3% of revenue on R&D.
        {
            "+": [
                {"min": [{"*": [{"-": [{"var": "rd_expense"}, {"var": "prev.rd_expense"}]}, 1000]}, 2000000]},
                {
                    "if": [
                        {
                            "and": [
                                {"var": "is_above_scale"},
                                {"==": [{"var": "industry_section"}, "C"]},
                                {">=": [{"var": "rd_ratio"}, Decimal("0.03")]},
                            ]
                        },
                        100000,
                        0,
                    ]
                },
            ]
        },
        cap_per_enterprise=2100000,
        budget=30000000,
    ),
    _automatic(
        "high-tech-2022",
        "high-tech-award-2023",
        "高新技术企业认定奖励（2022 年认定）",
        {"and": [_awarded_in("high_tech", 2022), CREDIT_A]},
        100000,
        budget=16000000,
        exclusive_group="tech-recognition-2023",
    ),
    _automatic(
        "srdi-2022",
        "srdi-award-2023",
        "专精特新企业认定奖励（2022 年认定）",
        {"and": [{"or": [_awarded_in("srdi", 2022), _awarded_in("little_giant", 2022)]}, CREDIT_A]},
        {"if": [{"in": ["little_giant", QUALIFICATIONS]}, 500000, 200000]},
        budget=15000000,
    ),
    _automatic(
        "tech-sme-2022",
        "tech-sme-award-2023",
        "科技型中小企业入库奖励（2022 年入库）",
        {"and": [_awarded_in("tech_sme", 2022), CREDIT_A]},
        20000,
        budget=10000000,
        exclusive_group="tech-recognition-2023",
    ),
    _automatic(
        "stable-jobs-2022",
        "stable-jobs-2023",
        "失业保险稳岗返还（2022 年度）",
        {
            "and": [
                {"var": "is_above_scale"},
                CREDIT_A,
                {">=": [{"var": "employees"}, 10]},
                {">=": [{"var": "employees"}, {"var": "prev.employees"}]},
            ]
        },
        # 60% (small and medium enterprises) or 30% (large ones) of the premium, reckoned per insured
        # employee: 80 元 or 40 元 a head.
        {
            "if": [
                {"<=": [{"var": "employees"}, 300]},
                {"*": [{"var": "employees"}, 80]},
                {"*": [{"var": "employees"}, 40]},
            ]
        },
        budget=18000000,
        allocation="first_confirmed",
    ),
    {
        "code": "tech-loan-interest-2023",
        "policy": "tech-loan-interest-2023",
        "title": "科技贷款贴息（2023 年第一批）",
        "mode": SchemeMode.APPLICATION,
        "facts_year": 2022,
        "period": PERIOD,
        "eligibility": {"or": [{"in": ["high_tech", QUALIFICATIONS]}, {"in": ["tech_sme", QUALIFICATIONS]}]},
        "amount": 0,
        "cap_per_enterprise": 1000000,
        "budget": 12000000,
        "allocation": "first_confirmed",
        "status": "active",
    },
    {
        "code": "first-set-equipment-2023",
        "policy": "first-set-equipment-2023",
        "title": "首台（套）重大技术装备奖励（2023 年）",
        "mode": SchemeMode.APPLICATION,
        "facts_year": 2022,
        "period": PERIOD,
        "eligibility": {"and": [{"==": [{"var": "industry_section"}, "C"]}, {"var": "is_above_scale"}]},
        "amount": 0,
        "cap_per_enterprise": 5000000,
        "budget": 20000000,
        "allocation": "first_confirmed",
        "status": "active",
    },
]
AUTOMATIC_CODES = [s["code"] for s in SCHEMES if s["mode"] == SchemeMode.AUTOMATIC]

# The staff login of each policy's department (from the accounts demo) reviews and pays its schemes.
REVIEWERS = {
    "rd-increment-2022": "cxfz",
    "high-tech-2022": "cxfz",
    "tech-sme-2022": "cxfz",
    "srdi-2022": "jjfz",
    "stable-jobs-2022": "rlzy",
    "tech-loan-interest-2023": "czjr",
    "first-set-equipment-2023": "jjfz",
}
BANKS = [
    "中国工商银行郑州高新技术开发区支行",
    "中国建设银行郑州高新区支行",
    "中国银行郑州高新技术开发区支行",
    "中国农业银行郑州高新区支行",
    "郑州银行高新区支行",
    "中原银行郑州高新区支行",
]
BALANCERS = 4
BALANCER_START = Decimal("1000000")


def _at(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def load(out) -> list[tuple[str, str]]:
    """Schemes, the H1 2023 history of their awards, and a list in publicity today; once."""
    if Award.objects.filter(scheme__code__in=AUTOMATIC_CODES).exists():
        out.write(_summary())
        households.load(out)
        return []
    missing = sorted({s["policy"] for s in SCHEMES} - set(Policy.objects.values_list("code", flat=True)))
    if missing:
        raise RuntimeError(
            "免申即享演示数据需要政策演示数据中的政策：" + "、".join(missing) + "。请先载入 policies.demo。"
        )
    # Messages go to the inbox; their emails are not sent while 2023 is replayed.
    locmem = "django.core.mail.backends.locmem.EmailBackend"
    with override_settings(EMAIL_BACKEND=locmem), transaction.atomic():
        _load()
    out.write(_summary())
    # The households' deed-tax subsidy, over the residents demo's purchases (when they are loaded).
    households.load(out)
    return []


def _load() -> None:
    rng = random.Random(SEED)
    report = schemes_import(entries=SCHEMES)
    if not report.ok:
        raise RuntimeError("演示兑现方案有误：" + "；".join(report.errors))
    staff = {code: User.objects.get(username=name) for code, name in REVIEWERS.items()}
    named = _arrange_named()
    balancers = _arrange_balancers()
    trial = match_run_execute(trigger="manual", dry_run=True)
    _balance(balancers, trial)
    run = match_run_execute(trigger="nightly")
    _date_run(trial, _at(dt.date(2023, 3, 14), 16), _at(dt.date(2023, 3, 14), 16, 1))
    _date_run(run, _at(dt.date(2023, 3, 15), 2), _at(dt.date(2023, 3, 15), 2, 3))
    awards = list(run.awards.select_related("scheme", "enterprise").order_by("id"))
    total = sum((a.computed_amount for a in awards), Decimal("0"))
    if total != AUTO_TOTAL:
        raise RuntimeError(f"演示比对结果合计 {total} 元，应为 {AUTO_TOTAL} 元。")
    Award.objects.filter(run=run).update(created_at=_at(dt.date(2023, 3, 15), 2, 3))
    _review_and_release(run, awards, staff)
    _answer_and_pay(awards, staff, named, rng)
    _applications(staff, named, rng)
    _publicity_today(staff, rng)
    from subsidies.stats import figures

    h1 = figures(start=H1[0], end=H1[1])
    if (h1["auto_subsidy_amount"], h1["subsidy_paid_amount"]) != (str(AUTO_TOTAL), str(PAID_H1)):
        raise RuntimeError(f"演示数据与 2023 年上半年报告不符：{h1}")


def _summary() -> str:
    from subsidies.stats import figures

    h1 = figures(start=H1[0], end=H1[1])
    return (
        f"兑现方案 {Scheme.objects.count()} 个，兑现记录 {Award.objects.count()} 条；"
        f"2023 年上半年免申即享 {h1['auto_subsidy_policies']} 项政策 {h1['auto_subsidy_amount']} 元，"
        f"拨付 {h1['subsidy_paid_amount']} 元"
    )


# — the data the generator arranges —


def _report(enterprise: Enterprise, year: int, **values) -> None:
    AnnualReport.objects.update_or_create(
        enterprise=enterprise,
        year=year,
        defaults={**values, "source": Source.TAX, "as_of": dt.date(2023, 2, 28)},
    )


def _qualify(enterprise: Enterprise, code: str, year: int, valid_until: dt.date) -> None:
    Qualification.objects.get_or_create(
        enterprise=enterprise,
        code=code,
        year_awarded=year,
        defaults={"valid_until": valid_until, "source": Source.DEPARTMENT, "as_of": dt.date(2023, 2, 28)},
    )


def _arrange_named() -> dict[int, Enterprise]:
    """The three named enterprises' facts for the demo story."""
    named = {serial: Enterprise.objects.get(uscc=make_uscc(serial)) for serial in (1, 2, 3)}
    first, second, third = named[1], named[2], named[3]
    # 1: software, above scale, rated A: a 2022 high-tech recognition and a growing workforce.
    Enterprise.objects.filter(pk=first.pk).update(is_above_scale=True, credit_rating="A", blacklisted=False)
    _report(
        first,
        2022,
        revenue=Decimal("8600.00"),
        rd_expense=Decimal("580.00"),
        employees=186,
        tax_paid=Decimal("412.80"),
    )
    _report(
        first,
        2021,
        revenue=Decimal("7200.00"),
        rd_expense=Decimal("350.00"),
        employees=172,
        tax_paid=Decimal("351.36"),
    )
    _qualify(first, "high_tech", 2022, dt.date(2024, 12, 31))
    # 2: biomedicine, a manufacturer rated A: R&D up from 610 to 960 万元, a high-tech enterprise since 2021.
    Enterprise.objects.filter(pk=second.pk).update(is_above_scale=True, credit_rating="A", blacklisted=False)
    _report(
        second,
        2022,
        revenue=Decimal("12800.00"),
        rd_expense=Decimal("960.00"),
        employees=236,
        tax_paid=Decimal("640.00"),
    )
    _report(
        second,
        2021,
        revenue=Decimal("10500.00"),
        rd_expense=Decimal("610.00"),
        employees=228,
        tax_paid=Decimal("525.00"),
    )
    _qualify(second, "high_tech", 2021, dt.date(2023, 12, 31))
    # 3: new materials, rated A: recognised as a provincial specialised SME (专精特新) in 2022.
    Enterprise.objects.filter(pk=third.pk).update(credit_rating="A", blacklisted=False)
    _qualify(third, "srdi", 2022, dt.date(2024, 12, 31))
    return {serial: Enterprise.objects.get(pk=e.pk) for serial, e in named.items()}


def _arrange_balancers() -> list[Enterprise]:
    """The first large above-scale manufacturers rated A get R&D figures that qualify for the subsidy."""
    large = AnnualReport.objects.filter(year=2022, revenue__gte=50000).values("enterprise_id")
    chosen = list(
        Enterprise.objects.filter(
            pk__in=large,
            industry_section="C",
            is_above_scale=True,
            credit_rating="A",
            blacklisted=False,
            annual_reports__year=2021,
        )
        .exclude(uscc__in=[make_uscc(serial) for serial in (1, 2, 3)])
        .order_by("id")[:BALANCERS]
    )
    if len(chosen) < BALANCERS:
        raise RuntimeError("企业演示数据中没有足够的规上制造业企业，无法编排研发补助数据。")
    for enterprise in chosen:
        current = AnnualReport.objects.get(enterprise=enterprise, year=2022)
        rd = (current.revenue * Decimal("0.05")).quantize(Decimal("0.01"))
        AnnualReport.objects.filter(pk=current.pk).update(rd_expense=rd)
        AnnualReport.objects.filter(enterprise=enterprise, year=2021).update(
            rd_expense=rd - BALANCER_START / 1000
        )
        if not Qualification.objects.filter(
            enterprise=enterprise,
            code="high_tech",
            year_awarded__lte=2022,
            valid_until__gte=dt.date(2022, 12, 31),
        ).exists():
            _qualify(enterprise, "high_tech", 2021, dt.date(2023, 12, 31))
    return chosen


def _balance(balancers: list[Enterprise], trial: MatchRun) -> None:
    """Set the balancing enterprises' 2021 R&D expense so that the five schemes total AUTO_TOTAL."""
    total = sum((Decimal(t["amount"]) for t in trial.totals.values()), Decimal("0"))
    wanted = BALANCER_START * len(balancers) + AUTO_TOTAL - total
    # Shares in whole tens of 元: the R&D figures have two decimals of 万元 (10 元).
    share = (wanted / len(balancers) / 10).to_integral_value(rounding=ROUND_DOWN) * 10
    amounts = [share] * (len(balancers) - 1) + [wanted - share * (len(balancers) - 1)]
    if any(not Decimal("10") <= a <= Decimal("2000000") or a % 10 for a in amounts):
        raise RuntimeError(f"演示数据无法编排：比对合计 {total} 元，与目标 {AUTO_TOTAL} 元相差过大。")
    for enterprise, amount in zip(balancers, amounts, strict=True):
        current = AnnualReport.objects.get(enterprise=enterprise, year=2022)
        AnnualReport.objects.filter(enterprise=enterprise, year=2021).update(
            rd_expense=current.rd_expense - amount / 1000
        )


# — the history —


def _date_run(run: MatchRun, started: dt.datetime, finished: dt.datetime) -> None:
    MatchRun.objects.filter(pk=run.pk).update(started_at=started, finished_at=finished)


def _date_events(awards, to_status: str, moment: dt.datetime) -> None:
    AwardEvent.objects.filter(award__in=awards, to_status=to_status).update(at=moment)


def _review_and_release(run: MatchRun, awards: list[Award], staff: dict) -> None:
    """Each department approves its schemes' candidates; the run is released into publicity."""
    approved_at = _at(dt.date(2023, 3, 17), 10)
    for code in AUTOMATIC_CODES:
        mine = [a for a in awards if a.scheme.code == code]
        services.awards_review_bulk(awards=mine, user=staff[code], approve=True)
    Award.objects.filter(run=run).update(approved_at=approved_at)
    _date_events(Award.objects.filter(run=run), AwardStatus.APPROVED, approved_at)
    for name in sorted(set(REVIEWERS.values())):
        services.run_release(run=run, user=User.objects.get(username=name))
    start = dt.date(2023, 3, 20)
    released = _at(start, 9)
    for scheme in Scheme.objects.filter(code__in=AUTOMATIC_CODES):
        Award.objects.filter(run=run, scheme=scheme).update(
            publicity_from=start,
            publicity_to=WorkCalendar.load().add_workdays(start, scheme.publicity_days),
            notified_at=released,
        )
    MatchRun.objects.filter(pk=run.pk).update(released_at=released)
    _date_events(Award.objects.filter(run=run), AwardStatus.PUBLICIZED, released)
    AwardEvent.objects.filter(award__run=run, note__startswith="公示 ").update(
        note=f"公示 {start} 至 {WorkCalendar.load().add_workdays(start, 5)}"
    )
    _date_notifications(Award.objects.filter(run=run), released)


def _date_notifications(awards, moment: dt.datetime) -> None:
    keys = [f"subsidy-award:{pk}:publicized" for pk in awards.values_list("pk", flat=True)]
    for start in range(0, len(keys), 500):
        Notification.objects.filter(key__in=keys[start : start + 500]).update(created_at=moment)


def _bank(enterprise: Enterprise, rng: random.Random) -> dict:
    return {
        "bank_name": rng.choice(BANKS),
        "bank_account_name": enterprise.name,
        "bank_account": f"{rng.randint(4100, 4199)}{enterprise.pk:08d}{rng.randint(1000, 9999)}",
    }


def _confirm(award: Award, user, rng: random.Random, moment: dt.datetime, *, owner=None) -> None:
    details = _bank(award.enterprise, rng)
    if owner is not None:
        services.award_confirm(award=award, user=owner, **details)
    else:
        services.award_confirm(award=award, user=user, offline=True, **details)
    Award.objects.filter(pk=award.pk).update(confirmed_at=moment)
    AwardEvent.objects.filter(award=award, to_status=AwardStatus.CONFIRMED).update(at=moment)


def _pay(awards: list[Award], user, title: str, created: dt.date, paid: dt.date, reference: str) -> None:
    batch = services.payment_batch_create(awards=awards, user=user, title=title)
    services.payment_batch_export(batch=batch, fmt="xlsx", user=user)
    services.payment_batch_mark_paid(batch=batch, user=user, reference=reference)
    paid_at = _at(paid, 15)
    PaymentBatch.objects.filter(pk=batch.pk).update(
        created_at=_at(created, 10), exported_at=_at(created, 10, 30), paid_at=paid_at
    )
    Award.objects.filter(payment_batch=batch).update(paid_at=paid_at)
    AwardEvent.objects.filter(award__payment_batch=batch, to_status=AwardStatus.PAID).update(at=paid_at)


def _answer_and_pay(awards: list[Award], staff: dict, named: dict, rng: random.Random) -> None:
    """Confirmations from late March, payments by scheme from April; the R&D subsidy is paid in July."""
    owners = {serial: User.objects.get(username=make_uscc(serial)) for serial in named}
    waiting = {(named[1].pk, "high-tech-2022")}  # the demo owner confirms this one
    day = dt.date(2023, 3, 28)
    calendar = WorkCalendar.load()
    confirmed: dict[str, list[Award]] = {code: [] for code in AUTOMATIC_CODES}
    for index, award in enumerate(awards):
        if (award.enterprise_id, award.scheme.code) in waiting:
            continue
        moment = _at(calendar.add_workdays(day, index % 12), 9 + index % 8, index % 60)
        owner = next((owners[s] for s, e in named.items() if e.pk == award.enterprise_id), None)
        _confirm(award, staff[award.scheme.code], rng, moment, owner=owner)
        confirmed[award.scheme.code].append(award)
    _pay(
        confirmed["stable-jobs-2022"],
        staff["stable-jobs-2022"],
        "2022 年度失业保险稳岗返还",
        dt.date(2023, 4, 18),
        dt.date(2023, 4, 25),
        "HD2023042500117",
    )
    _pay(
        confirmed["tech-sme-2022"],
        staff["tech-sme-2022"],
        "2022 年入库科技型中小企业奖励",
        dt.date(2023, 4, 20),
        dt.date(2023, 4, 27),
        "HD2023042700203",
    )
    _pay(
        confirmed["high-tech-2022"],
        staff["high-tech-2022"],
        "2022 年认定高新技术企业奖励",
        dt.date(2023, 5, 22),
        dt.date(2023, 5, 30),
        "HD2023053000088",
    )
    _pay(
        confirmed["srdi-2022"],
        staff["srdi-2022"],
        "2022 年认定专精特新企业奖励",
        dt.date(2023, 7, 3),
        dt.date(2023, 7, 11),
        "HD2023071100152",
    )
    _pay(
        confirmed["rd-increment-2022"],
        staff["rd-increment-2022"],
        "2022 年度研发费用增量后补助",
        dt.date(2023, 7, 10),
        dt.date(2023, 7, 18),
        "HD2023071800041",
    )


def _applications(staff: dict, named: dict, rng: random.Random) -> None:
    """Applications accepted in spring 2023 and paid in June; the last one closes the half-year's total."""
    loan = Scheme.objects.get(code="tech-loan-interest-2023")
    equipment = Scheme.objects.get(code="first-set-equipment-2023")
    held = Qualification.objects.filter(code__in=["high_tech", "tech_sme"]).values("enterprise_id")
    applicants = list(
        Enterprise.objects.filter(pk__in=held, blacklisted=False)
        .exclude(pk__in=[e.pk for e in named.values()])
        .order_by("id")
    )
    loan_takers = [named[1], *rng.sample(applicants, 23)]
    makers = list(
        Enterprise.objects.filter(industry_section="C", is_above_scale=True, blacklisted=False)
        .exclude(pk__in=[e.pk for e in [*loan_takers, *named.values()]])
        .order_by("id")[:3]
    )
    paid_auto = Award.objects.filter(
        status=AwardStatus.PAID, paid_at__gte=_at(H1[0], 0), paid_at__lt=_at(dt.date(2023, 7, 1), 0)
    ).aggregate(total=Sum("amount"))["total"] or Decimal("0")
    loan_amounts = [Decimal(rng.randint(400, 3600) * 100) for _ in loan_takers]
    # 15% of the first year's sales of two recognised products; the third closes the half-year.
    equipment_amounts = [Decimal("4500000.00"), Decimal("4200000.00")]
    last_equipment = PAID_H1 - paid_auto - sum(loan_amounts) - sum(equipment_amounts)
    if not Decimal("0") < last_equipment <= equipment.cap_per_enterprise:
        raise RuntimeError(
            f"演示数据无法编排：上半年免申即享拨付 {paid_auto} 元，贷款贴息 {sum(loan_amounts)} 元，"
            f"首台（套）奖励尚需 {last_equipment} 元，超出方案上限。"
        )
    created = _at(dt.date(2023, 5, 8), 10)
    entries = [(loan, e, a) for e, a in zip(loan_takers, loan_amounts, strict=True)]
    amounts = [*equipment_amounts, last_equipment]
    entries += [(equipment, maker, amount) for maker, amount in zip(makers, amounts, strict=True)]
    made = []
    for scheme, enterprise, amount in entries:
        award = services.award_create(
            scheme=scheme,
            enterprise=enterprise,
            amount=amount,
            user=staff[scheme.code],
            note="依申请受理，材料齐全",
        )
        made.append(award)
    Award.objects.filter(pk__in=[a.pk for a in made]).update(created_at=created)
    AwardEvent.objects.filter(award__in=made, to_status=AwardStatus.CANDIDATE).update(at=created)
    for scheme in (loan, equipment):
        mine = [a for a in made if a.scheme_id == scheme.pk]
        services.awards_review_bulk(awards=mine, user=staff[scheme.code], approve=True)
        services.awards_release(awards=mine, user=staff[scheme.code])
    start = dt.date(2023, 5, 11)
    end = WorkCalendar.load().add_workdays(start, 5)
    Award.objects.filter(pk__in=[a.pk for a in made]).update(
        approved_at=_at(dt.date(2023, 5, 10), 10),
        publicity_from=start,
        publicity_to=end,
        notified_at=_at(start),
    )
    _date_events(made, AwardStatus.APPROVED, _at(dt.date(2023, 5, 10), 10))
    _date_events(made, AwardStatus.PUBLICIZED, _at(start))
    AwardEvent.objects.filter(award__in=made, note__startswith="公示 ").update(note=f"公示 {start} 至 {end}")
    _date_notifications(Award.objects.filter(pk__in=[a.pk for a in made]), _at(start))
    owner = User.objects.get(username=make_uscc(1))
    for index, award in enumerate(made):
        award.refresh_from_db()
        moment = _at(dt.date(2023, 5, 22) + dt.timedelta(days=index % 3), 10 + index % 6)
        _confirm(
            award,
            staff[award.scheme.code],
            rng,
            moment,
            owner=owner if award.enterprise_id == named[1].pk else None,
        )
    for scheme, created_on, paid_on, reference in (
        (loan, dt.date(2023, 6, 16), dt.date(2023, 6, 26), "HD2023062600317"),
        (equipment, dt.date(2023, 6, 19), dt.date(2023, 6, 28), "HD2023062800402"),
    ):
        mine = [a for a in made if a.scheme_id == scheme.pk]
        _pay(mine, staff[scheme.code], f"{scheme.title}拨付", created_on, paid_on, reference)


def _publicity_today(staff: dict, rng: random.Random) -> None:
    """Three first-set equipment awards released today, so the publicity page has a list to show."""
    equipment = Scheme.objects.get(code="first-set-equipment-2023")
    taken = Award.objects.filter(scheme=equipment).values("enterprise_id")
    makers = list(
        Enterprise.objects.filter(industry_section="C", is_above_scale=True, blacklisted=False)
        .exclude(pk__in=taken)
        .exclude(uscc__in=[make_uscc(serial) for serial in (1, 2, 3)])
        .order_by("-id")[:3]
    )
    made = [
        services.award_create(
            scheme=equipment,
            enterprise=enterprise,
            amount=Decimal(rng.randint(8, 45) * 50000),
            user=staff["first-set-equipment-2023"],
            note="依申请受理，材料齐全",
        )
        for enterprise in makers
    ]
    services.awards_review_bulk(awards=made, user=staff["first-set-equipment-2023"], approve=True)
    services.awards_release(awards=made, user=staff["first-set-equipment-2023"])
