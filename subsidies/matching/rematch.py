"""Re-matching after a facts change: a few enterprises in Python, more through the chunk statements."""

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.enterprises.models import Enterprise
from subsidies import rules
from subsidies.matching.evaluation import explain_for
from subsidies.matching.failures import _notify_failures
from subsidies.matching.runs import _create_run, chunk_execute, run_finish
from subsidies.matching.schemes import (
    LIVE_UNPAID,
    PENDING_EXPLANATION,
    RECEIVED,
    _active_schemes,
    _parsed,
    _select_schemes,
    _snapshot,
    context_of,
)
from subsidies.models import (
    Award,
    AwardStatus,
    Beneficiary,
    LostCandidate,
    MatchFailure,
    MatchRun,
    RunStatus,
    Scheme,
    Undetermined,
)
from subsidies.rules.compiler import award_amount
from subsidies.variables import VARIABLES, Context, Record, facts_from_record, facts_to_json

# Up to this many enterprises are re-matched in Python: for a few, planning one statement of 100 rules
# (~20 ms on PostgreSQL) costs more than evaluating them; an import of thousands takes the chunk path.
PYTHON_REMATCH_LIMIT = 50


def enterprise_rematch(*, enterprise_ids: Iterable[int]) -> MatchRun | None:
    """Re-evaluate changed enterprises: new candidates are created, unpaid awards no longer met revoked.

    Returns the run that records what changed, or None when nothing did (then nothing is written).
    """
    from subsidies.services import award_revoke

    ids = sorted({int(i) for i in enterprise_ids})
    if not ids or not _active_schemes(Beneficiary.ENTERPRISES).exists():
        return None
    with transaction.atomic():
        run = _rematch_python(ids) if len(ids) <= PYTHON_REMATCH_LIMIT else _rematch_sql(ids)
        if run is None:
            return None
        lost = list(
            Award.objects.filter(pk__in=LostCandidate.objects.filter(run=run).values("award"))
            .select_related("scheme", "enterprise")
            .order_by("id")
        )
        for award in lost:
            award_revoke(award=award, reason=_revocation_reason(award))
    return run


def _rematch_sql(ids: list[int]) -> MatchRun | None:
    """Re-match through the chunk statements (many enterprises)."""
    run = _create_run(trigger="facts", scheme_codes=None, enterprise_ids=ids, dry_run=False, queued=False)
    for chunk_id in run.chunks.values_list("id", flat=True):
        chunk_execute(chunk_id=chunk_id)
    run = run_finish(run_id=run.pk)
    if not (run.awards.exists() or run.lost.exists() or run.undetermined.exists()):
        run.delete()  # nothing changed for these enterprises: no run to review
        return None
    return run


PAYABLE, UNDETERMINED, INELIGIBLE, NOT_PAYABLE = "payable", "undetermined", "ineligible", "not_payable"
FAILED = "failed"


def _zero_counts() -> dict:
    return {"eligible": 0, "undetermined": 0, "new": 0, "lost": 0, "amount": Decimal(0)}


def _rematch_python(ids: list[int]) -> MatchRun | None:
    """Re-match a few enterprises in Python, deciding as the chunk statements decide; write only changes."""
    schemes, _selected = _select_schemes(None, beneficiary=Beneficiary.ENTERPRISES)
    new_awards, undetermined, lost_ids, failures = [], [], [], []
    totals = {scheme.code: _zero_counts() for scheme in schemes}
    already_lost = set(
        LostCandidate.objects.filter(award__enterprise_id__in=ids).values_list("award_id", flat=True)
    )
    held_by = defaultdict(list)
    for award in Award.objects.filter(enterprise_id__in=ids).select_related("scheme"):
        held_by[award.enterprise_id].append(award)
    for enterprise in Enterprise.objects.filter(pk__in=ids).order_by("pk"):
        held = held_by[enterprise.pk]
        for scheme, (state, amount, facts) in _python_outcomes(enterprise, schemes, held).items():
            counts = totals[scheme.code]
            own = next((a for a in held if a.scheme_id == scheme.pk and a.period == scheme.period), None)
            if state == FAILED:
                failures.append(
                    MatchFailure(
                        scheme=scheme,
                        enterprise=enterprise,
                        id_from=enterprise.pk,
                        id_to=enterprise.pk,
                        message=amount,
                    )
                )
            elif state == UNDETERMINED:
                counts["undetermined"] += 1
                missing = sorted(name for name, value in facts.items() if value is None and name in VARIABLES)
                undetermined.append(Undetermined(scheme=scheme, enterprise=enterprise, missing=missing))
            elif state == PAYABLE:
                counts["eligible"] += 1
                counts["amount"] += amount
                if own is None:
                    counts["new"] += 1
                    new_awards.append(_python_award(scheme, enterprise, amount, facts))
            elif (
                state == INELIGIBLE
                and own is not None
                and own.status in LIVE_UNPAID
                and own.pk not in already_lost
            ):
                counts["lost"] += 1
                lost_ids.append(own.pk)
    if not (new_awards or undetermined or lost_ids or failures):
        return None
    # The run records the schemes it has something to say about, and their rules.
    failed = {failure.scheme.code for failure in failures}
    touched = {code for code, c in totals.items() if c["eligible"] or c["undetermined"] or c["lost"]} | failed
    schemes = [scheme for scheme in schemes if scheme.code in touched]
    run = MatchRun.objects.create(
        trigger="facts",
        enterprise_ids=ids,
        status=RunStatus.COMPLETED_WITH_ERRORS if failures else RunStatus.FINISHED,
        finished_at=timezone.now(),
        rules=_snapshot(schemes, {scheme.pk for scheme in schemes}),
        totals={
            code: {**c, "amount": format(c["amount"], "f")}
            for code, c in sorted(totals.items())
            if code in touched
        },
    )
    for row in (*new_awards, *undetermined):
        row.run = run
    Award.objects.bulk_create(new_awards)
    Undetermined.objects.bulk_create(undetermined)
    LostCandidate.objects.bulk_create([LostCandidate(run=run, award_id=award_id) for award_id in lost_ids])
    for failure in failures:
        failure.run = run
    MatchFailure.objects.bulk_create(failures)
    if failures:
        _notify_failures(run)
    return run


def _python_award(scheme: Scheme, enterprise: Enterprise, amount: Decimal, facts: dict) -> Award:
    """A new candidate exactly as the chunk statements write it: facts as exact text, trace pending."""
    return Award(
        scheme=scheme,
        enterprise=enterprise,
        period=scheme.period,
        status=AwardStatus.CANDIDATE,
        computed_amount=amount,
        amount=amount,
        explanation=dict(PENDING_EXPLANATION),
        facts=facts_to_json(facts),
    )


def _python_outcomes(enterprise: Enterprise, schemes: list[Scheme], held: list[Award]) -> dict:
    """Per scheme: (state, amount if payable, the facts it reads) for one enterprise, as the SQL decides.

    Blacklisted or rule false: ineligible (a held unpaid award is lost). Rule unknown, or eligible with an
    unknown amount: undetermined. Eligible with an amount of zero or less, blocked in its exclusive group
    by a live award of another scheme of the period, or outranked in it (higher amount, then smaller
    code): not payable. Otherwise payable.
    """
    record = Record.load(enterprise)
    facts_by_context: dict[Context, dict] = {}
    results: dict[Scheme, list] = {}
    for scheme in schemes:
        context = context_of(scheme)
        if context not in facts_by_context:
            facts_by_context[context] = facts_from_record(record, context)
        every = facts_by_context[context]
        _rule, _amount, used, eligibility, amount_rule = _parsed(scheme)
        facts = {name: every[name] for name in sorted(used)}
        if enterprise.blacklisted:
            results[scheme] = [INELIGIBLE, None, facts]
            continue
        try:
            ok = rules.logic.truth(eligibility(every))
            if ok:
                received = _group_received(scheme, held)
                amount = award_amount(amount_rule(every), cap=scheme.cap_per_enterprise, received=received)
        except rules.RuleError as error:
            # As the chunk statements set the scheme aside: recorded, nothing decided, nothing lost.
            results[scheme] = [FAILED, str(error), facts]
            continue
        if ok is None:
            results[scheme] = [UNDETERMINED, None, facts]
            continue
        if not ok:
            results[scheme] = [INELIGIBLE, None, facts]
            continue
        if scheme.top_up and scheme.exclusive_group:
            facts["_group_received"] = received.quantize(Decimal("0.01"))
        if amount is None:
            results[scheme] = [UNDETERMINED, None, facts]
        elif amount <= 0:
            results[scheme] = [NOT_PAYABLE, None, facts]
        else:
            results[scheme] = [PAYABLE, amount, facts]
    contenders = defaultdict(list)
    for scheme, result in results.items():
        if result[0] != PAYABLE:
            continue
        if scheme.exclusive_group and any(
            a.scheme.exclusive_group == scheme.exclusive_group
            and a.period == scheme.period
            and a.scheme_id != scheme.pk
            and a.status != AwardStatus.REVOKED
            for a in held
        ):
            result[0], result[1] = NOT_PAYABLE, None
            continue
        group = f"group:{scheme.exclusive_group}" if scheme.exclusive_group else f"scheme:{scheme.code}"
        contenders[(scheme.period, group)].append(scheme)
    for members in contenders.values():
        winner = min(members, key=lambda scheme: (-results[scheme][1], scheme.code))
        for scheme in members:
            if scheme is not winner:
                results[scheme][0], results[scheme][1] = NOT_PAYABLE, None
    return {scheme: tuple(result) for scheme, result in results.items()}


def _group_received(scheme: Scheme, held: list[Award]) -> Decimal:
    """What a top-up scheme's group paid the enterprise in earlier periods (from its held awards)."""
    if not (scheme.top_up and scheme.exclusive_group):
        return Decimal(0)
    return sum(
        (
            a.amount
            for a in held
            if a.scheme.exclusive_group == scheme.exclusive_group
            and a.period < scheme.period
            and a.status in RECEIVED
        ),
        Decimal(0),
    )


def _revocation_reason(award: Award) -> str:
    explanation = explain_for(scheme=award.scheme, enterprise=award.enterprise)
    failed = [clause.text for clause in explanation.trace if clause.status != "pass"]
    detail = "；".join(failed) if failed else _("不再符合条件")
    return _("企业数据更新后不再符合“%(title)s”的条件：%(detail)s") % {
        "title": award.scheme.title,
        "detail": detail,
    }
