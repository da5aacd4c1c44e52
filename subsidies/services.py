"""Writes for awards: every transition of the award life, budgets, release and payment batches.

Lock order, everywhere: the scheme row first (it holds the budget), then award rows, then the payment
batch row. Paths that took them in another order could deadlock against each other.
"""

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal import exports, stats
from portal.accounts.models import SecurityEvent
from portal.accounts.selectors import enterprise_members
from portal.accounts.services import notify, security_event_record
from portal.residents.models import HousePurchase, Person, PurchaseBuyer
from portal.workdays.selectors import WorkCalendar
from subsidies import selectors
from subsidies.matching import awards_explain
from subsidies.models import (
    Allocation,
    Award,
    AwardEvent,
    AwardStatus,
    MatchRun,
    PaymentBatch,
    PaymentBatchExport,
    RunStatus,
    Scheme,
    SchemeMode,
)

FEN = Decimal("0.01")

# Statuses from which an award can still be revoked: everything not paid and not already closed.
UNPAID = (
    AwardStatus.CANDIDATE,
    AwardStatus.APPROVED,
    AwardStatus.PUBLICIZED,
    AwardStatus.AWAITING,
    AwardStatus.CONFIRMED,
)
# Statuses whose amount a pro-rata allocation may still change: approved, not yet confirmed.
PUBLICIZABLE = (AwardStatus.APPROVED, AwardStatus.PUBLICIZED, AwardStatus.AWAITING)
# Awards locked or updated per statement in bulk paths: well under SQLite's bound-variable limit.
BATCH_SIZE = 1000
# Rows per bulk UPDATE … CASE statement: its cost grows with rows × cases, so these batches stay small.
UPDATE_BATCH_SIZE = 100
BANK_ACCOUNT_RE = re.compile(r"^\d{8,30}$")


class AwardError(Exception):
    """A refused change to an award, a budget or a payment batch, with a message for people."""


def fen(value: Decimal) -> Decimal:
    """Money rounded down to the fen (分): the portal never pays a fraction more than it owes."""
    return Decimal(value).quantize(FEN, rounding=ROUND_DOWN)


def _locked_scheme(scheme_id: int) -> Scheme:
    return Scheme.objects.select_for_update().get(pk=scheme_id)


def _locked_award(award_id: int) -> Award:
    # of=("self",): lock the award only, not the joined scheme (which is locked first, or not at all).
    return (
        Award.objects.select_for_update(of=("self",)).select_related("scheme", "enterprise").get(pk=award_id)
    )


def _record(award: Award, *, to: str, user=None, note: str = "") -> None:
    """Write the award's new status and its audit event."""
    AwardEvent.objects.create(award=award, from_status=award.status, to_status=to, actor=user, note=note)
    award.status = to


def _holds_budget(award: Award) -> bool:
    """Whether the award's amount is counted in its scheme's committed total."""
    return award.status in (AwardStatus.CONFIRMED, AwardStatus.PAID) and not award.waitlisted


def _illegal(award: Award, action: str) -> AwardError:
    return AwardError(
        _("当前状态为“%(status)s”的兑现记录不能%(action)s。")
        % {"status": award.get_status_display(), "action": action}
    )


def _release_budget(scheme: Scheme, award: Award) -> None:
    """Give an award's committed money back to its (locked) scheme."""
    if not _holds_budget(award):
        return
    scheme.committed -= award.amount
    scheme.save(update_fields=["committed", "updated_at"])


def _leave_batch(award: Award) -> None:
    """Take an unpaid award out of its payment batch; an exported batch must be exported again."""
    batch = award.payment_batch
    if batch is None:
        return
    award.payment_batch = None
    batch = PaymentBatch.objects.select_for_update().get(pk=batch.pk)
    batch.total -= award.amount
    fields = ["total"]
    if batch.status == PaymentBatch.Status.EXPORTED:
        batch.status = PaymentBatch.Status.DRAFT
        fields.append("status")
    batch.save(update_fields=fields)


@transaction.atomic
def award_revoke(*, award: Award, reason: str, user=None) -> Award:
    """撤销: the facts changed before payment; any unpaid award is closed and its money released."""
    _check_department([award.pk], user)
    scheme = _locked_scheme(award.scheme_id)
    award = _locked_award(award.pk)
    if award.status not in UNPAID:
        raise _illegal(award, _("撤销"))
    if not (reason or "").strip():
        raise AwardError(_("请填写撤销原因。"))
    was_holding = _holds_budget(award)
    _release_budget(scheme, award)
    _leave_batch(award)
    _record(award, to=AwardStatus.REVOKED, user=user, note=reason)
    award.reason = reason
    award.waitlisted = False
    award.save(update_fields=["status", "reason", "waitlisted", "payment_batch"])
    if was_holding:
        _promote_waitlist(scheme)
    stats.invalidate()
    return award


def _promote_waitlist(scheme: Scheme, *, user=None) -> list[Award]:
    """Give freed money of a (locked) first-confirmed scheme to its waitlist, in confirmation order.

    Strictly in order: the first waitlisted award that does not fit stops the queue, so a later, smaller
    award never overtakes an earlier one.
    """
    if scheme.allocation != Allocation.FIRST_CONFIRMED:
        return []
    promoted = []
    waiting = (
        Award.objects.select_for_update()
        .filter(scheme=scheme, status=AwardStatus.CONFIRMED, waitlisted=True)
        .order_by("confirmed_at", "id")
    )
    for award in waiting:
        if scheme.committed + award.amount > scheme.budget:
            break
        scheme.committed += award.amount
        award.waitlisted = False
        award.save(update_fields=["waitlisted"])
        AwardEvent.objects.create(
            award=award,
            from_status=award.status,
            to_status=award.status,
            actor=user,
            note=_("预算已释放，由候补转为拨付。"),
        )
        promoted.append(award)
    if promoted:
        scheme.save(update_fields=["committed", "updated_at"])
    return promoted


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), BATCH_SIZE):
        yield ids[start : start + BATCH_SIZE]


def _lock_awards(ids: Iterable[int]) -> list[Award]:
    """The awards with these ids, locked, in id order (a fixed order, so two bulk paths cannot deadlock)."""
    ids = sorted(set(ids))
    locked: list[Award] = []
    for chunk in _chunks(ids):
        locked.extend(
            Award.objects.select_for_update(of=("self",))
            .filter(pk__in=chunk)
            .select_related("scheme", "enterprise", "purchase")
            .order_by("pk")
        )
    if len(locked) != len(ids):
        raise AwardError(_("部分兑现记录不存在或已被删除，请刷新后重试。"))
    return locked


def _move_all(awards: list[Award], *, to: str, user=None, note: str = "", **fields) -> None:
    """Move many (locked) awards to one status in a few statements, each with its audit event."""
    AwardEvent.objects.bulk_create(
        [AwardEvent(award=a, from_status=a.status, to_status=to, actor=user, note=note) for a in awards],
        batch_size=BATCH_SIZE,
    )
    for chunk in _chunks([a.pk for a in awards]):
        Award.objects.filter(pk__in=chunk).update(status=to, **fields)
    for award in awards:
        award.status = to
        for name, value in fields.items():
            setattr(award, name, value)


def publicity_recompute(*, calendar: WorkCalendar, since: dt.date) -> int:
    """Compute again the end of every running publicity that reaches ``since`` (a calendar change)."""
    changed = 0
    running = Award.objects.filter(status=AwardStatus.PUBLICIZED, publicity_to__gte=since)
    for award in running.select_related("scheme").order_by("pk"):
        end = calendar.add_workdays(award.publicity_from, award.scheme.publicity_days)
        if end != award.publicity_to:
            changed += Award.objects.filter(pk=award.pk, status=AwardStatus.PUBLICIZED).update(
                publicity_to=end
            )
    return changed


# — Review (二次确认) ———————————————————————————————————————————————————————————————————————————————


@transaction.atomic
def awards_review_bulk(*, awards: Iterable[Award], user, approve: bool, reason: str = "") -> int:
    """Approve candidates, or reject candidates and approved awards, all or none; returns how many."""
    locked = _lock_awards(a.pk for a in awards)
    if not locked:
        raise AwardError(_("请选择要审核的兑现记录。"))
    _check_department([a.pk for a in locked], user)
    allowed = (AwardStatus.CANDIDATE,) if approve else (AwardStatus.CANDIDATE, AwardStatus.APPROVED)
    action = _("审核通过") if approve else _("审核不通过")
    for award in locked:
        if award.status not in allowed:
            raise AwardError(
                _("%(enterprise)s 的“%(scheme)s”当前状态为“%(status)s”，不能%(action)s；未做任何修改。")
                % {
                    "enterprise": award.beneficiary_label,
                    "scheme": award.scheme.title,
                    "status": award.get_status_display(),
                    "action": action,
                }
            )
    reason = (reason or "").strip()
    if approve:
        _move_all(locked, to=AwardStatus.APPROVED, user=user, note=reason, approved_at=timezone.now())
    else:
        if not reason:
            raise AwardError(_("请填写审核不通过的原因。"))
        _move_all(locked, to=AwardStatus.REJECTED, user=user, note=reason, reason=reason)
    stats.invalidate()
    return len(locked)


def award_approve(*, award: Award, user) -> Award:
    """审核通过: staff confirm a candidate found by matching (二次确认)."""
    awards_review_bulk(awards=[award], user=user, approve=True)
    award.refresh_from_db()
    return award


def award_reject(*, award: Award, user, reason: str) -> Award:
    """审核不通过: staff turn down a candidate or an approved award, with the reason."""
    awards_review_bulk(awards=[award], user=user, approve=False, reason=reason)
    award.refresh_from_db()
    return award


# — Application mode (依申请兑现) ——————————————————————————————————————————————————————————————————


@transaction.atomic
def award_create(
    *, scheme: Scheme, enterprise, amount: Decimal, user, period: str = "", note: str = ""
) -> Award:
    """Record, as a candidate, an application-mode award a department accepted (依申请兑现)."""
    if scheme.mode != SchemeMode.APPLICATION:
        raise AwardError(_("免申即享方案的兑现记录由比对产生，不能手工录入。"))
    amount = fen(Decimal(amount))
    if amount <= 0:
        raise AwardError(_("兑现金额须大于 0 元。"))
    if scheme.cap_per_enterprise is not None and amount > scheme.cap_per_enterprise:
        raise AwardError(
            _("兑现金额 %(amount)s 元超过单户上限 %(cap)s 元。")
            % {"amount": amount, "cap": scheme.cap_per_enterprise}
        )
    period = period or scheme.period
    if Award.objects.filter(scheme=scheme, enterprise=enterprise, period=period).exists():
        raise AwardError(
            _("%(enterprise)s 在“%(scheme)s”%(period)s 批次已有兑现记录。")
            % {"enterprise": enterprise.name, "scheme": scheme.title, "period": period}
        )
    award = Award.objects.create(
        scheme=scheme,
        enterprise=enterprise,
        period=period,
        computed_amount=amount,
        amount=amount,
        explanation={},
        facts={},
    )
    AwardEvent.objects.create(
        award=award, from_status="", to_status=AwardStatus.CANDIDATE, actor=user, note=note or _("依申请录入")
    )
    stats.invalidate()
    return award


# — Budget ———————————————————————————————————————————————————————————————————————————————————————————


@transaction.atomic
def scheme_allocate(*, scheme: Scheme, user=None) -> dict:
    """按比例核减: scale the not-yet-confirmed approved awards of an over-subscribed pro-rata scheme.

    The money left (budget less what confirmed and paid awards hold) is shared in proportion to each
    award's computed amount, each rounded down to the fen, so the total never exceeds the budget. Awards
    under budget get their full computed amount back. Returns the figures used.
    """
    scheme = _locked_scheme(scheme.pk)
    if scheme.allocation != Allocation.PRO_RATA:
        raise AwardError(_("“%(scheme)s”按确认先后拨付，不做按比例核减。") % {"scheme": scheme.title})
    pool = list(
        Award.objects.select_for_update().filter(scheme=scheme, status__in=PUBLICIZABLE).order_by("pk")
    )
    available = scheme.budget - scheme.committed
    total = sum((a.computed_amount for a in pool), Decimal("0"))
    scaled = total > available
    changed = []
    for award in pool:
        amount = fen(award.computed_amount * available / total) if scaled else award.computed_amount
        if amount != award.amount:
            award.amount = amount
            changed.append(award)
    if changed:
        Award.objects.bulk_update(changed, ["amount"], batch_size=BATCH_SIZE)
        note = (
            _("预算超额，按比例核减（可分配 %(available)s 元 / 核定合计 %(total)s 元）。")
            % {"available": available, "total": total}
            if scaled
            else _("预算充足，按核定金额兑现。")
        )
        AwardEvent.objects.bulk_create(
            [
                AwardEvent(award=a, from_status=a.status, to_status=a.status, actor=user, note=note)
                for a in changed
            ],
            batch_size=BATCH_SIZE,
        )
        stats.invalidate()
    return {
        "awards": len(pool),
        "total": total,
        "available": available,
        "scaled": scaled,
        "allocated": sum((a.amount for a in pool), Decimal("0")),
        "changed": len(changed),
    }


# — Release and publicity (发布、公示) ————————————————————————————————————————————————————————————————


@transaction.atomic
def awards_release(*, awards: Iterable[Award], user) -> int:
    """Publicize approved awards (公示) and tell each enterprise, once; returns how many were released.

    Pro-rata schemes are allocated first, so the amounts in the publicity are the amounts paid.
    Publicity runs for the scheme's number of working days from today; awards not approved are left.
    """
    ids = [a.pk for a in awards]
    _check_department(ids, user)
    schemes = sorted(set(Award.objects.filter(pk__in=ids).values_list("scheme_id", flat=True)))
    for scheme in Scheme.objects.filter(pk__in=schemes, allocation=Allocation.PRO_RATA).order_by("pk"):
        if Award.objects.filter(pk__in=ids, scheme=scheme, status=AwardStatus.APPROVED).exists():
            scheme_allocate(scheme=scheme, user=user)
    locked = [a for a in _lock_awards(ids) if a.status == AwardStatus.APPROVED]
    if not locked:
        return 0
    # What the enterprises will read: the traces are stored now, replayed from the matched facts.
    awards_explain(awards=locked)
    today = timezone.localdate()
    calendar = WorkCalendar.load()
    now = timezone.now()
    by_scheme: dict[int, list[Award]] = defaultdict(list)
    for award in locked:
        by_scheme[award.scheme_id].append(award)
    for group in by_scheme.values():
        publicity_to = calendar.add_workdays(today, group[0].scheme.publicity_days)
        _move_all(
            group,
            to=AwardStatus.PUBLICIZED,
            user=user,
            note=_("公示 %(start)s 至 %(end)s") % {"start": today, "end": publicity_to},
            publicity_from=today,
            publicity_to=publicity_to,
            notified_at=now,
        )
    _notify_released(locked)
    stats.invalidate()
    return len(locked)


def _notify_released(awards: list[Award]) -> None:
    # Enterprises are told here; households read their awards on the residents' pages.
    members: dict[int, list] = defaultdict(list)
    for user in enterprise_members(enterprise_ids={a.enterprise_id for a in awards if a.enterprise_id}):
        members[user.enterprise_id].append(user)
    for award in awards:
        recipients = members.get(award.enterprise_id)
        if not recipients:
            continue
        notify(
            recipients=recipients,
            key=f"subsidy-award:{award.pk}:publicized",
            title=_("免申即享：您可获得“%(scheme)s”兑现 %(amount)s 元")
            % {
                "scheme": award.scheme.title,
                "amount": award.amount,
            },
            body=_(
                "经数据比对和部门审核，贵企业符合“%(scheme)s”兑现条件，拟兑现 %(amount)s 元，"
                "现予公示。公示期满后，请法定代表人登录门户确认并填写收款账户。"
            )
            % {"scheme": award.scheme.title, "amount": award.amount},
            url=reverse("subsidies:award", args=[award.pk]),
            email=True,
        )


@transaction.atomic
def run_release(*, run: MatchRun, user) -> int:
    """发布: publicize the run's approved awards and notify their enterprises, each once; returns how many.
    Department staff release their department's schemes' awards; the zone-wide roles all of them.

    Releasing again later publicizes only awards approved since; nobody is notified twice.
    """
    run = MatchRun.objects.select_for_update().get(pk=run.pk)
    if run.dry_run:
        raise AwardError(_("试运行的比对批次不能发布。"))
    if run.status not in (RunStatus.FINISHED, RunStatus.COMPLETED_WITH_ERRORS):
        raise AwardError(_("比对批次尚未完成，不能发布。"))
    approved = run.awards.filter(status=AwardStatus.APPROVED)
    if user is not None and user.is_staff:
        # A run spans every department's schemes: each department releases its own.
        approved = selectors.awards_actable(user=user, qs=approved)
    released = awards_release(awards=approved, user=user)
    if run.released_at is None and released:
        run.released_at = timezone.now()
        run.released_by = user
        run.save(update_fields=["released_at", "released_by"])
    return released


# — The enterprise's answer (意愿确认) —————————————————————————————————————————————————————————————


def clean_bank_account(value: str) -> str:
    """A bank account number without spaces or dashes; 8 to 30 digits, or AwardError."""
    account = re.sub(r"[\s-]", "", value or "")
    if not BANK_ACCOUNT_RE.match(account):
        raise AwardError(_("银行账号应为 8 至 30 位数字。"))
    return account


def _check_department(award_ids: Iterable[int], user) -> None:
    """Staff act on the awards of their own department's schemes only (the zone-wide roles on any); the
    nightly jobs (no user) and the beneficiaries themselves are checked elsewhere."""
    if user is None or not getattr(user, "is_staff", False):
        return
    outside = selectors.awards_outside_department(user=user, award_ids=award_ids)
    if outside:
        raise AwardError(
            _(
                "所选记录中有 %(n)d 条属于其他部门主管的兑现方案，只能由该部门办理；未做任何修改。"
                "请只选择本部门方案的记录。"
            )
            % {"n": outside}
        )


def _check_answerer(award: Award, user, *, offline: bool) -> None:
    if offline:
        if not (user.is_staff and not user.is_enterprise_user):
            raise AwardError(_("只有园区工作人员可以代录企业的线下确认。"))
        _check_department([award.pk], user)
        return
    if user.enterprise_id != award.enterprise_id:
        raise AwardError(_("只能处理本企业的兑现记录。"))
    if not user.is_enterprise_owner:
        raise AwardError(_("只有企业法定代表人账号可以确认或放弃兑现，经办人账号只能查看。"))


def _end_publicity(awards: list[Award]) -> None:
    """Move (locked) publicized awards whose publicity has ended to 公示期满待确认, with their events."""
    by_end: dict = defaultdict(list)
    for award in awards:
        by_end[(award.publicity_to, award.is_household)].append(award)
    for (end, household), group in sorted(by_end.items()):
        if household:
            note = _("公示期至 %(end)s 届满，等待购房人确认") % {"end": end}
        else:
            note = _("公示期至 %(end)s 届满，等待企业确认") % {"end": end}
        _move_all(group, to=AwardStatus.AWAITING, note=note)


@transaction.atomic
def awards_publicity_end(*, today: dt.date | None = None) -> int:
    """Move every award whose publicity period has ended on to 公示期满待确认 (nightly); returns how many."""
    today = today or timezone.localdate()
    ids = list(
        Award.objects.filter(status=AwardStatus.PUBLICIZED, publicity_to__lt=today)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    ended = [a for a in _lock_awards(ids) if a.status == AwardStatus.PUBLICIZED and a.publicity_to < today]
    _end_publicity(ended)
    if ended:
        stats.invalidate()
    return len(ended)


@transaction.atomic
def award_confirm(
    *,
    award: Award,
    user,
    bank_name: str,
    bank_account_name: str,
    bank_account: str,
    offline: bool = False,
) -> Award:
    """意愿确认: the enterprise's owner accepts a publicized award and names the account to be paid.

    Allowed only after the publicity period. The scheme's budget row is locked while money is
    committed: a first-confirmed scheme waitlists the award when the budget is spent (or others wait
    before it). ``offline=True``: staff record a confirmation the enterprise handed in on paper.
    """
    scheme = _locked_scheme(award.scheme_id)
    award = _locked_award(award.pk)
    if award.is_household:
        raise AwardError(_("购房家庭的兑现记录由购房人本人确认。"))
    _check_answerer(award, user, offline=offline)
    if _check_confirmable(award):
        _end_publicity([award])
    bank_name = (bank_name or "").strip()
    bank_account_name = (bank_account_name or "").strip()
    if not bank_name:
        raise AwardError(_("请填写开户银行。"))
    if bank_account_name != award.enterprise.name:
        raise AwardError(
            _("账户名称须与企业名称“%(name)s”一致：财政资金只拨付到企业本单位账户。")
            % {"name": award.enterprise.name}
        )
    account = clean_bank_account(bank_account)
    note = _("线下确认，工作人员代录") if offline else _("企业确认接受兑现")
    _confirm(
        {scheme.pk: scheme},
        [_Answer(award, note, bank_name, bank_account_name, account)],
        user=user,
    )
    return award


def _check_confirmable(award: Award) -> bool:
    """Refuse a (locked) award that cannot be confirmed now; True when its publicity must be ended first.

    A publicity the nightly job has not ended yet is ended by the confirmation: the award's record says
    when it ended.
    """
    if award.status == AwardStatus.PUBLICIZED:
        if award.publicity_to is None or timezone.localdate() <= award.publicity_to:
            raise AwardError(
                _("公示期至 %(end)s 结束，公示期满后方可确认。") % {"end": award.publicity_to or "—"}
            )
        return True
    if award.status != AwardStatus.AWAITING:
        raise _illegal(award, _("确认"))
    return False


@dataclass(frozen=True)
class _Answer:
    """One checked confirmation of a locked award: the event's note and the account to be paid."""

    award: Award
    note: str
    bank_name: str
    account_name: str
    account: str


def _confirm(schemes: dict[int, Scheme], answers: list[_Answer], *, user) -> None:
    """Commit the budget to (locked) confirmable awards, in the order given, and record their accounts.

    Both kinds' confirmation, one or ten thousand: a first-confirmed scheme waitlists an award once its
    budget is spent or others wait before it; another scheme refuses the award that does not fit. Each
    (locked) scheme row is written once, the awards and their events in a few statements.
    """
    waiting = {
        pk: scheme.allocation == Allocation.FIRST_CONFIRMED
        and Award.objects.filter(scheme=scheme, status=AwardStatus.CONFIRMED, waitlisted=True).exists()
        for pk, scheme in schemes.items()
    }
    committed = set()
    now = timezone.now()
    events = []
    for answer in answers:
        award, note = answer.award, answer.note
        scheme = schemes[award.scheme_id]
        if scheme.allocation == Allocation.FIRST_CONFIRMED:
            award.waitlisted = waiting[scheme.pk] or scheme.committed + award.amount > scheme.budget
            if award.waitlisted:
                waiting[scheme.pk] = True
                note += _("；预算已用尽，列入候补")
        elif scheme.committed + award.amount > scheme.budget:
            raise AwardError(
                _("“%(scheme)s”预算余额不足，暂不能确认，请联系主管部门。") % {"scheme": scheme.title}
            )
        if not award.waitlisted:
            scheme.committed += award.amount
            committed.add(scheme.pk)
        events.append(
            AwardEvent(
                award=award, from_status=award.status, to_status=AwardStatus.CONFIRMED, actor=user, note=note
            )
        )
        award.status = AwardStatus.CONFIRMED
        award.confirmed_at = now
        award.confirmed_by = user
        award.bank_name = answer.bank_name
        award.bank_account_name = answer.account_name
        award.bank_account = answer.account
    for pk in sorted(committed):
        schemes[pk].save(update_fields=["committed", "updated_at"])
    AwardEvent.objects.bulk_create(events, batch_size=BATCH_SIZE)
    Award.objects.bulk_update(
        [answer.award for answer in answers],
        fields=[
            "status",
            "waitlisted",
            "confirmed_at",
            "confirmed_by",
            "bank_name",
            "bank_account_name",
            "bank_account",
        ],
        batch_size=UPDATE_BATCH_SIZE,
    )
    stats.invalidate()


@dataclass(frozen=True)
class HouseholdConfirmation:
    """One buyer's 意愿确认 of one household award, with the bank card (in the buyer's name) to be paid."""

    award: Award
    person: Person
    bank_name: str
    bank_account: str


@transaction.atomic
def household_award_confirm(
    *,
    award: Award,
    person: Person,
    bank_name: str,
    bank_account: str,
    user=None,
) -> Award:
    """意愿确认 of a household award: one of the purchase's buyers accepts it and gives a bank card.

    The card is in the buyer's own name (the account name is the confirming buyer's name, not typed),
    stored encrypted like an enterprise's account and shown masked. ``user``: the login that acted (the
    buyer's own, or staff recording a confirmation handed in on paper, who need the change permission on
    awards), kept as ``confirmed_by``.
    """
    confirmation = HouseholdConfirmation(award, person, bank_name, bank_account)
    return household_awards_confirm(confirmations=[confirmation], user=user)[0]


@transaction.atomic
def household_awards_confirm(*, confirmations: list[HouseholdConfirmation], user=None) -> list[Award]:
    """意愿确认 of many household awards at once, in the order they were handed in (first confirmed first).

    Each is checked as one confirmation is; one refusal refuses them all (nothing is written) and names
    the purchase it is about. The scheme rows are locked first, then the awards, as everywhere.
    """
    if not confirmations:
        return []
    staff = bool(user and user.is_staff)
    if staff and not user.has_perm("subsidies.change_award"):
        raise AwardError(_("只有有权办理兑现记录的工作人员可以代录购房人的线下确认。"))
    ids = [c.award.pk for c in confirmations]
    _check_department(ids, user)
    if len(set(ids)) != len(ids):
        raise AwardError(_("同一兑现记录只能确认一次，请去掉重复的确认。"))
    schemes = {
        s.pk: s
        for s in Scheme.objects.select_for_update().filter(pk__in={c.award.scheme_id for c in confirmations})
    }
    locked = {a.pk: a for a in _lock_awards(ids)}
    buyers = _buyers_of({a.purchase_id for a in locked.values() if a.purchase_id})
    answers = []
    for confirmation in confirmations:
        award = locked[confirmation.award.pk]
        try:
            answers.append(_household_answer(award, confirmation, buyers, staff=staff))
        except AwardError as refusal:
            if len(confirmations) == 1:
                raise
            raise AwardError(
                _("购房合同 %(contract)s：%(reason)s")
                % {"contract": award.purchase.contract_no if award.purchase else award.pk, "reason": refusal}
            ) from refusal
    _end_publicity([a.award for a in answers if a.award.status == AwardStatus.PUBLICIZED])
    _confirm(schemes, answers, user=user)
    return [answer.award for answer in answers]


def _buyers_of(purchase_ids: set[int]) -> set[tuple[int, int]]:
    """The (purchase, person) pairs of these purchases' buyers."""
    pairs: set[tuple[int, int]] = set()
    for chunk in _chunks(sorted(purchase_ids)):
        pairs.update(
            PurchaseBuyer.objects.filter(purchase_id__in=chunk).values_list("purchase_id", "person_id")
        )
    return pairs


def _check_buyer(award: Award, person: Person, buyers: set[tuple[int, int]]) -> None:
    if not award.is_household:
        raise AwardError(_("这条兑现记录属于企业，由企业法定代表人确认。"))
    if (award.purchase_id, person.pk) not in buyers:
        raise AwardError(_("只有该购房记录的购房人本人可以确认或放弃这笔补贴。"))


def _household_answer(
    award: Award, confirmation: HouseholdConfirmation, buyers: set[tuple[int, int]], *, staff: bool
) -> _Answer:
    person = confirmation.person
    _check_buyer(award, person, buyers)
    _check_confirmable(award)
    bank_name = (confirmation.bank_name or "").strip()
    if not bank_name:
        raise AwardError(_("请填写开户银行。"))
    account = clean_bank_account(confirmation.bank_account)
    note = _("购房人 %(name)s 确认接受补贴") % {"name": person.masked_name}
    if staff:
        note += _("（线下确认，工作人员代录）")
    return _Answer(award, note, bank_name, person.name, account)


@transaction.atomic
def household_award_decline(*, award: Award, person: Person, reason: str, user=None) -> Award:
    """放弃 of a household award by one of its buyers, saying why."""
    scheme = _locked_scheme(award.scheme_id)
    award = _locked_award(award.pk)
    _check_buyer(award, person, _buyers_of({award.purchase_id} - {None}))
    return _decline(scheme, award, user=user, reason=reason)


@transaction.atomic
def award_decline(*, award: Award, user, reason: str = "", offline: bool = False) -> Award:
    """放弃: the enterprise's owner declines a publicized or confirmed (unpaid) award, saying why."""
    scheme = _locked_scheme(award.scheme_id)
    award = _locked_award(award.pk)
    if award.is_household:
        raise AwardError(_("购房家庭的兑现记录由购房人本人放弃。"))
    _check_answerer(award, user, offline=offline)
    return _decline(scheme, award, user=user, reason=reason)


def _decline(scheme: Scheme, award: Award, *, user, reason: str) -> Award:
    """A (locked) award declined: its budget released, out of any batch, the waitlist moved on."""
    if award.status not in (AwardStatus.PUBLICIZED, AwardStatus.AWAITING, AwardStatus.CONFIRMED):
        raise _illegal(award, _("放弃"))
    reason = (reason or "").strip()
    if not reason:
        raise AwardError(_("请填写放弃兑现的原因。"))
    was_holding = _holds_budget(award)
    _release_budget(scheme, award)
    _leave_batch(award)
    _record(award, to=AwardStatus.DECLINED, user=user, note=reason)
    award.reason = reason
    award.waitlisted = False
    award.save(update_fields=["status", "reason", "waitlisted", "payment_batch"])
    if was_holding:
        _promote_waitlist(scheme, user=user)
    stats.invalidate()
    return award


# — Payment (拨付) ———————————————————————————————————————————————————————————————————————————————————


@transaction.atomic
def payment_batch_create(*, awards: Iterable[Award], user, title: str) -> PaymentBatch:
    """Put confirmed awards (not waitlisted, in no other batch) into a new payment batch."""
    title = (title or "").strip()
    if not title:
        raise AwardError(_("请填写批次名称。"))
    locked = _lock_awards(a.pk for a in awards)
    if not locked:
        raise AwardError(_("请选择要拨付的兑现记录。"))
    if len({award.is_household for award in locked}) > 1:
        raise AwardError(_("企业和购房家庭的兑现记录须分批拨付（拨付清单格式不同）；未创建批次。"))
    for award in locked:
        problem = None
        if award.status != AwardStatus.CONFIRMED:
            problem = _("状态为“%(status)s”") % {"status": award.get_status_display()}
        elif award.waitlisted:
            problem = _("预算不足，尚在候补")
        elif award.payment_batch_id is not None:
            problem = _("已在其他拨付批次中")
        elif not award.bank_account:
            problem = _("没有收款账户")
        if problem:
            raise AwardError(
                _("%(enterprise)s 的“%(scheme)s”%(problem)s，不能拨付；未创建批次。")
                % {"enterprise": award.beneficiary_label, "scheme": award.scheme.title, "problem": problem}
            )
    batch = PaymentBatch.objects.create(
        title=title, created_by=user, total=sum((a.amount for a in locked), Decimal("0"))
    )
    for chunk in _chunks([a.pk for a in locked]):
        Award.objects.filter(pk__in=chunk).update(payment_batch=batch)
    return batch


EXPORT_COLUMNS = (
    gettext_lazy("序号"),
    gettext_lazy("企业名称"),
    gettext_lazy("统一社会信用代码"),
    gettext_lazy("开户银行"),
    gettext_lazy("账户名称"),
    gettext_lazy("银行账号"),
    gettext_lazy("金额（元）"),
    gettext_lazy("方案"),
    gettext_lazy("兑现批次"),
    gettext_lazy("兑现记录号"),
)


# A household batch names the household by its 主购房人 (masked: the account name is the payee) and
# its purchase contract.
HOUSEHOLD_EXPORT_COLUMNS = (
    gettext_lazy("序号"),
    gettext_lazy("主购房人"),
    gettext_lazy("网签合同号"),
    *EXPORT_COLUMNS[3:],
)
# Rows read per round trip while a batch's file is written. 500, not more: a household batch prefetches
# its buyers, and SQLite refuses a prefetch of 1,000 awards' buyers as an expression tree too deep.
EXPORT_CHUNK = 500


def _batch_rows(batch: PaymentBatch) -> Iterator[list]:
    # Account numbers and codes are text, never numbers: a number cell loses digits past the 15th.
    awards = (
        batch.awards.select_related("scheme", "enterprise", "purchase")
        .prefetch_related("purchase__buyer_links__person")
        .order_by("pk")
    )
    for index, award in enumerate(awards.iterator(chunk_size=EXPORT_CHUNK), start=1):
        yield [
            index,
            award.beneficiary_label,
            award.purchase.contract_no if award.is_household else award.enterprise.uscc,
            award.bank_name,
            award.bank_account_name,
            award.bank_account,
            award.amount,
            award.scheme.title,
            award.period,
            str(award.pk),
        ]


@transaction.atomic
def payment_batch_export(*, batch: PaymentBatch, fmt: str, user) -> exports.Download:
    """The batch as a file for the bank (``fmt`` "csv" or "xlsx"), every text cell formula-safe.

    Each export is recorded with who took it before the file is made: the file carries every enterprise's
    bank account. The CSV streams its rows as it is sent; the XLSX is written to a temporary file here.
    """
    if fmt not in ("csv", "xlsx"):
        raise AwardError(_("导出格式只能是 CSV 或 XLSX。"))
    batch = PaymentBatch.objects.select_for_update().get(pk=batch.pk)
    count = batch.awards.count()
    if not count:
        raise AwardError(_("批次中没有兑现记录，无需导出。"))
    # Bank accounts are personal data: every export is in the security trail, with who and from where.
    security_event_record(
        kind=SecurityEvent.Kind.PERSONAL_DATA_EXPORTED,
        target=f"paymentbatch:{batch.pk}",
        detail=f"{fmt} · {count} 条银行账号",
    )
    PaymentBatchExport.objects.create(batch=batch, exported_by=user, fmt=fmt)
    if batch.status == PaymentBatch.Status.DRAFT:
        batch.status = PaymentBatch.Status.EXPORTED
        batch.exported_at = timezone.now()
        batch.save(update_fields=["status", "exported_at"])
    household = batch.awards.filter(purchase__isnull=False).exists()
    header = [str(c) for c in (HOUSEHOLD_EXPORT_COLUMNS if household else EXPORT_COLUMNS)]
    filename = f"payment-batch-{batch.pk}.{fmt}"
    if fmt == "csv":
        return exports.csv_download(filename=filename, header=header, rows=_batch_rows(batch))
    return exports.xlsx_download(filename=filename, workbook=_xlsx(batch, header))


AMOUNT_FORMAT = {6: "#,##0.00"}  # the amount column of EXPORT_COLUMNS


def _xlsx(batch: PaymentBatch, header: list[str]):
    from openpyxl.styles import Font

    workbook = exports.xlsx_write_only()
    sheet = workbook.create_sheet(_("拨付清单"))
    exports.xlsx_row(sheet, header, font=Font(bold=True))
    for row in _batch_rows(batch):
        exports.xlsx_row(sheet, row, formats=AMOUNT_FORMAT)
    exports.xlsx_row(sheet, [])
    exports.xlsx_row(sheet, ["", _("合计"), "", "", "", "", batch.total], formats=AMOUNT_FORMAT)
    return workbook


@transaction.atomic
def payment_batch_mark_paid(*, batch: PaymentBatch, user, reference: str) -> PaymentBatch:
    """已拨付: the bank paid an exported batch; its awards become paid. A paid batch is never paid again."""
    reference = (reference or "").strip()
    if not reference:
        raise AwardError(_("请填写银行回单号。"))
    awards = list(
        Award.objects.select_for_update(of=("self",))
        .filter(payment_batch_id=batch.pk)
        .select_related("scheme")
        .order_by("pk")
    )
    batch = PaymentBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status == PaymentBatch.Status.PAID:
        raise AwardError(
            _("批次“%(title)s”已于 %(at)s 标记拨付（回单号 %(ref)s），不会重复拨付。")
            % {
                "title": batch.title,
                "at": timezone.localtime(batch.paid_at).strftime("%Y-%m-%d %H:%M"),
                "ref": batch.paid_reference,
            }
        )
    if batch.status != PaymentBatch.Status.EXPORTED:
        raise AwardError(_("请先导出批次的拨付清单交银行，再标记拨付。"))
    if not awards:
        raise AwardError(_("批次中没有待拨付的兑现记录。"))
    bad = [a for a in awards if a.status != AwardStatus.CONFIRMED or a.waitlisted]
    if bad:
        raise _illegal(bad[0], _("拨付"))
    now = timezone.now()
    _move_all(
        awards, to=AwardStatus.PAID, user=user, note=_("回单号 %(ref)s") % {"ref": reference}, paid_at=now
    )
    # A household's subsidy paid: the retention clock of its buyers' data starts (residents' records).
    purchases = [award.purchase_id for award in awards if award.purchase_id is not None]
    for chunk in _chunks(purchases):
        HousePurchase.objects.filter(pk__in=chunk).update(paid_at=now)
    batch.status = PaymentBatch.Status.PAID
    batch.paid_at = now
    batch.paid_reference = reference
    batch.total = sum((a.amount for a in awards), Decimal("0"))
    batch.save(update_fields=["status", "paid_at", "paid_reference", "total"])
    stats.invalidate()
    return batch
