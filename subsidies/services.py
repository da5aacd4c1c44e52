"""Writes for awards: every transition of the award life, budgets, release and payment batches.

Lock order, everywhere: the scheme row first (it holds the budget), then the award rows. A path that
touches both in the other order could deadlock against a confirmation.
"""

from decimal import ROUND_DOWN, Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from portal import stats
from subsidies.models import Allocation, Award, AwardEvent, AwardStatus, PaymentBatch, Scheme

FEN = Decimal("0.01")

# Statuses from which an award can still be revoked: everything not paid and not already closed.
UNPAID = (AwardStatus.CANDIDATE, AwardStatus.APPROVED, AwardStatus.PUBLICIZED, AwardStatus.CONFIRMED)


class AwardError(Exception):
    """A refused change to an award, a budget or a payment batch, with a message for people."""


def fen(value: Decimal) -> Decimal:
    """Money rounded down to the fen (分): the portal never pays a fraction more than it owes."""
    return Decimal(value).quantize(FEN, rounding=ROUND_DOWN)


def _locked_scheme(scheme_id: int) -> Scheme:
    return Scheme.objects.select_for_update().get(pk=scheme_id)


def _locked_award(award_id: int) -> Award:
    return Award.objects.select_for_update().select_related("scheme", "enterprise").get(pk=award_id)


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
