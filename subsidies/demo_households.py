"""The household half of the 免申即享 demo: the 2023 deed-tax subsidy (契税补贴) matched and paid.

The scheme hangs on the policy demo's 契税补贴 policy (looked up, never created here) and pays the
residents demo's house purchases: 20% of the deed tax paid on new commercial housing signed in H1 2023,
at most 2,600 元 a home. The history is replayed through the services staff and residents use — matching,
review, release into publicity, each household's confirmation by its 主购房人 with a bank card, one payment
batch — and each step is then dated in June 2023, so the report's 发放契税补贴 2,614 万元，惠及 1.04 万户
comes out of the records.

The generator arranges the data so (documented here, applied before matching, without services): after a
dry run of the matching has totalled the scheme, the prices of a few "balancing" small flats (80 to 90 m²,
taxed at 1%, whose subsidy is below the cap) are raised within the zone's prices so that the subsidy
totals exactly the report's figure. Nothing is arranged when the residents demo's purchases are absent.
"""

import datetime as dt
import random
from decimal import ROUND_DOWN, Decimal

from django.db import transaction
from django.utils import timezone

from policies.models import Policy
from portal.accounts.models import User
from portal.residents import demo as residents_demo
from portal.residents.models import HousePurchase
from portal.workdays.selectors import WorkCalendar
from subsidies import services
from subsidies.matching import match_run_execute
from subsidies.models import Award, AwardEvent, AwardStatus, Beneficiary, MatchRun, PaymentBatch, SchemeMode
from subsidies.schemes import schemes_import

CODE = "deed-tax-2023h1"
POLICY = "deed-tax-2023"
REVIEWER = "czjr"
PAID_H1 = Decimal("26140000.00")  # 2,614 万元
HOUSEHOLDS_H1 = (10_350, 10_449)  # 1.04 万户
SEED = 202306
RATE = Decimal("0.2")
CAP = Decimal("2600.00")
# The balancing flats' price per square metre stays within what the zone's new homes sell for.
TOP_UNIT_PRICE = Decimal("16500")
SMALL_FLAT = (Decimal("80"), Decimal("90"))
FEN = Decimal("0.01")

SCHEME = {
    "code": CODE,
    "policy": POLICY,
    "title": "新建商品住房契税补贴（2023 年上半年）",
    "mode": SchemeMode.AUTOMATIC,
    "beneficiary": Beneficiary.HOUSEHOLDS,
    "facts_year": 2023,
    "reference_date": "2023-06-30",
    "period": "2023H1",
    "eligibility": {
        "and": [
            {"var": "is_new_build"},
            {"<=": ["2023-01-01", {"var": "contract_date"}, "2023-06-30"]},
            {"<=": [{"var": "deed_tax_paid_on"}, "2023-06-30"]},
        ]
    },
    "amount": {"*": [{"var": "deed_tax"}, RATE]},
    "cap_per_enterprise": CAP,
    "budget": Decimal("30000000"),
    "allocation": "first_confirmed",
    "publicity_days": 5,
    "status": "active",
}
BANKS = [
    "中国建设银行郑州高新区支行",
    "中国工商银行郑州高新技术开发区支行",
    "郑州银行高新区支行",
    "中原银行郑州高新区支行",
]

MATCHED = dt.date(2023, 6, 19)
RELEASED = dt.date(2023, 6, 20)
CONFIRMED = dt.date(2023, 6, 29)
PAID = dt.date(2023, 6, 30)


def _at(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def load(out) -> None:
    """The household scheme and its H1 2023 history; once, and only over the residents demo's purchases."""
    if Award.objects.filter(scheme__code=CODE).exists():
        out.write(_summary())
        return
    if not HousePurchase.objects.filter(contract_no__startswith=residents_demo.CONTRACT_PREFIX).exists():
        out.write("未载入购房演示数据，跳过契税补贴演示。")
        return
    if not Policy.objects.filter(code=POLICY).exists():
        raise RuntimeError(f"契税补贴演示数据需要政策演示数据中的政策：{POLICY}。请先载入 policies.demo。")
    with transaction.atomic():
        _load()
    out.write(_summary())


def _load() -> None:
    rng = random.Random(SEED)  # noqa: S311 - demo data, not a secret
    report = schemes_import(entries=[SCHEME])
    if not report.ok:
        raise RuntimeError("契税补贴演示方案有误：" + "；".join(report.errors))
    staff = User.objects.get(username=REVIEWER)
    trial = match_run_execute(trigger="manual", scheme_codes=[CODE], dry_run=True)
    _balance(Decimal(trial.totals[CODE]["amount"]))
    run = match_run_execute(trigger="nightly", scheme_codes=[CODE])
    MatchRun.objects.filter(pk__in=[trial.pk, run.pk]).update(
        started_at=_at(MATCHED, 2), finished_at=_at(MATCHED, 2, 4)
    )
    awards = Award.objects.filter(run=run)
    total = sum(awards.values_list("computed_amount", flat=True), Decimal("0"))
    if total != PAID_H1:
        raise RuntimeError(f"契税补贴演示比对结果合计 {total} 元，应为 {PAID_H1} 元。")
    awards.update(created_at=_at(MATCHED, 2, 4))
    _review_and_release(run, staff)
    _confirm_all(run, rng)
    _pay(run, staff)


def _balance(total: Decimal) -> None:
    """Raise the balancing flats' prices so that the scheme totals PAID_H1 (a shortfall below the cap)."""
    wanted = PAID_H1 - total
    if wanted < 0:
        raise RuntimeError(f"演示数据无法编排：比对合计 {total} 元，已超过目标 {PAID_H1} 元。")
    flats = (
        HousePurchase.objects.filter(
            contract_no__startswith=residents_demo.CONTRACT_PREFIX,
            is_new_build=True,
            deed_tax_paid_on__isnull=False,
            contract_date__range=(dt.date(2023, 1, 1), dt.date(2023, 6, 30)),
            floor_area__range=SMALL_FLAT,
        )
        .exclude(floor_area=SMALL_FLAT[0])
        .order_by("price", "id")
    )
    chosen = []
    room = Decimal("0")
    for flat in flats.iterator():
        subsidy = (flat.deed_tax * RATE).quantize(FEN, rounding=ROUND_DOWN)
        ceiling = min(
            CAP, (flat.floor_area * TOP_UNIT_PRICE * Decimal("0.01") * RATE).quantize(FEN, ROUND_DOWN)
        )
        if subsidy >= ceiling:
            continue
        chosen.append((flat, subsidy, ceiling))
        room += ceiling - subsidy
        if room >= wanted:
            break
    if room < wanted:
        raise RuntimeError(f"演示数据无法编排：比对合计 {total} 元，与目标 {PAID_H1} 元相差过大。")
    for flat, subsidy, ceiling in chosen:
        raised = min(ceiling - subsidy, wanted)
        wanted -= raised
        # Deed tax at 1% of a whole-yuan price; the subsidy is 20% of it: price = 500 × subsidy, exactly.
        price = ((subsidy + raised) * 500).quantize(Decimal("1"))
        HousePurchase.objects.filter(pk=flat.pk).update(price=price, deed_tax=(price / 100).quantize(FEN))


def _review_and_release(run: MatchRun, staff: User) -> None:
    awards = list(Award.objects.filter(run=run).order_by("id"))
    services.awards_review_bulk(awards=awards, user=staff, approve=True)
    approved = _at(MATCHED, 10)
    Award.objects.filter(run=run).update(approved_at=approved)
    AwardEvent.objects.filter(award__run=run, to_status=AwardStatus.APPROVED).update(at=approved)
    services.run_release(run=run, user=staff)
    end = WorkCalendar.load().add_workdays(RELEASED, 5)
    released = _at(RELEASED)
    Award.objects.filter(run=run).update(publicity_from=RELEASED, publicity_to=end, notified_at=released)
    MatchRun.objects.filter(pk=run.pk).update(released_at=released)
    AwardEvent.objects.filter(award__run=run, to_status=AwardStatus.PUBLICIZED).update(
        at=released, note=f"公示 {RELEASED} 至 {end}"
    )


def _confirm_all(run: MatchRun, rng: random.Random) -> None:
    """Each household's 主购房人 confirms with a card in their name, the day after publicity ends."""
    ids = list(Award.objects.filter(run=run).order_by("id").values_list("id", flat=True))
    # Read in slices: one prefetch of ten thousand buyers is a statement too large for SQLite.
    awards = [
        award
        for start in range(0, len(ids), 500)
        for award in Award.objects.filter(pk__in=ids[start : start + 500])
        .select_related("purchase")
        .prefetch_related("purchase__buyer_links__person")
        .order_by("id")
    ]
    services.household_awards_confirm(
        confirmations=[
            services.HouseholdConfirmation(
                award=award,
                person=award.main_buyer,
                bank_name=rng.choice(BANKS),
                bank_account=f"6217{rng.randint(0, 10**15 - 1):015d}",
            )
            for award in awards
        ]
    )
    for index, award in enumerate(awards):
        award.confirmed_at = _at(CONFIRMED, 8 + index % 12, index % 60)
    Award.objects.bulk_update(awards, fields=["confirmed_at"], batch_size=services.UPDATE_BATCH_SIZE)
    AwardEvent.objects.filter(award__run=run, to_status=AwardStatus.CONFIRMED).update(at=_at(CONFIRMED, 12))
    AwardEvent.objects.filter(award__run=run, to_status=AwardStatus.AWAITING).update(at=_at(CONFIRMED, 0, 5))


def _pay(run: MatchRun, staff: User) -> None:
    awards = list(Award.objects.filter(run=run, status=AwardStatus.CONFIRMED).order_by("id"))
    batch = services.payment_batch_create(awards=awards, user=staff, title="2023 年上半年契税补贴")
    services.payment_batch_export(batch=batch, fmt="csv", user=staff)
    services.payment_batch_mark_paid(batch=batch, user=staff, reference="CZJR-QS-20230630")
    paid = _at(PAID, 15)
    PaymentBatch.objects.filter(pk=batch.pk).update(
        created_at=_at(PAID, 9), exported_at=_at(PAID, 9, 30), paid_at=paid
    )
    Award.objects.filter(payment_batch=batch).update(paid_at=paid)
    HousePurchase.objects.filter(subsidy_awards__payment_batch=batch).update(paid_at=paid)
    AwardEvent.objects.filter(award__payment_batch=batch, to_status=AwardStatus.PAID).update(at=paid)


def _summary() -> str:
    from subsidies.stats import figures

    h1 = figures(start=dt.date(2023, 1, 1), end=dt.date(2023, 6, 30))
    return (
        f"2023 年上半年发放契税补贴 {h1['household_subsidy_amount']} 元，"
        f"惠及 {h1['household_subsidy_households']} 户"
    )
