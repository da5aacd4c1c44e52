"""A rule that fails in the chunk statements: the scheme set aside, the failure found and reported."""

from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from portal.accounts.models import User
from portal.accounts.services import notify
from subsidies.catalogues import catalogue
from subsidies.matching.chunks import _chunk_statements
from subsidies.matching.evaluation import _evaluated
from subsidies.matching.plan import _of_kind, _plan, _run_plan, _Scope
from subsidies.matching.schemes import _schemes_of, context_of
from subsidies.models import Beneficiary, MatchFailure, MatchRun, Scheme


def _guarded_chunk(
    run: MatchRun, scope: _Scope, beneficiary: str = Beneficiary.ENTERPRISES
) -> tuple[dict, str, list[MatchFailure]]:
    """The chunk's statements, with any scheme whose rule fails in them set aside and recorded.

    One statement evaluates every rule, so a rule that raises (an overflow, a number beyond what the
    award column holds) would fail them all: the chunk is run again without that scheme, and the scheme,
    the first enterprise it fails on and the message are returned for ``MatchFailure``.
    """
    snapshot = _of_kind(run.rules, beneficiary)
    failures: list[MatchFailure] = []
    plan = _run_plan(run, beneficiary)
    while True:
        try:
            with transaction.atomic():
                stats, fingerprint = _chunk_statements(
                    plan,
                    scope,
                    run_id=run.pk,
                    dry_run=run.dry_run,
                    # A chunk with a scheme set aside is never taken over by a later run.
                    fingerprint=run.trigger != "facts" and not failures,
                )
            return stats, fingerprint, failures
        except DatabaseError as error:
            ids = {failure.scheme_id for failure in failures}
            entries = [entry for entry in snapshot.get("schemes", []) if entry["id"] not in ids]
            found = _failing(entries, scope, run=run, error=error, beneficiary=beneficiary)
            if not found:
                raise
            failures.extend(found)
            ids |= {failure.scheme_id for failure in found}
            snapshot = {
                "schemes": [entry for entry in snapshot["schemes"] if entry["id"] not in ids],
                "selected": [sid for sid in snapshot.get("selected", []) if sid not in ids],
            }
            plan = _plan(snapshot, beneficiary)


def _fails(entries: list[dict], scope: _Scope, *, run: MatchRun, beneficiary: str) -> DatabaseError | None:
    """The error these schemes' statements raise on these enterprises (tried and rolled back), or None."""
    plan = _plan({"schemes": entries, "selected": [entry["id"] for entry in entries]}, beneficiary)
    try:
        with transaction.atomic():
            _chunk_statements(plan, scope, run_id=run.pk, dry_run=True, fingerprint=False)
            transaction.set_rollback(True)
    except DatabaseError as error:
        return error
    return None


def _failing(
    entries: list[dict], scope: _Scope, *, run: MatchRun, error: DatabaseError, beneficiary: str
) -> list[MatchFailure]:
    """The schemes whose statements fail on the chunk, each with the first enterprise it fails on.

    Halving: a handful of rolled-back tries find one failing scheme among a hundred, and one enterprise
    among a chunk's tens of thousands. Only a chunk that failed pays for this.
    """
    if not entries:
        return []
    failed = _fails(entries, scope, run=run, beneficiary=beneficiary)
    if failed is None:
        return []
    if len(entries) > 1:
        half = len(entries) // 2
        return _failing(entries[:half], scope, run=run, error=failed, beneficiary=beneficiary) + _failing(
            entries[half:], scope, run=run, error=failed, beneficiary=beneficiary
        )
    kind = catalogue(beneficiary)
    ids = list(
        kind.model.objects.filter(pk__gte=scope.id_from, pk__lte=scope.id_to)
        .filter(**({"pk__in": scope.enterprise_ids} if scope.enterprise_ids is not None else {}))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    while len(ids) > 1:
        first = ids[: len(ids) // 2]
        narrowed = _Scope(first[0], first[-1], scope.enterprise_ids)
        found = _fails(entries, narrowed, run=run, beneficiary=beneficiary)
        if found is not None:
            ids, failed = first, found
        else:
            ids = ids[len(first) :]
    (scheme,) = _schemes_of({"schemes": entries})
    found_in = kind.model.objects.filter(pk__in=ids[:1]).first()
    return [
        MatchFailure(
            run=run,
            scheme_id=scheme.pk,
            id_from=scope.id_from,
            id_to=scope.id_to,
            message=_failure_message(scheme, found_in, failed),
            **{kind.field: found_in},
        )
    ]


def _failure_message(scheme: Scheme, beneficiary, error: DatabaseError) -> str:
    """Why the rule failed, in Python's words when Python fails on it too, else the database's."""
    if beneficiary is not None:
        kind = catalogue(scheme.beneficiary)
        facts = kind.facts_from_record(kind.record.load(beneficiary), context_of(scheme))
        _explanation, problem = _evaluated(scheme, facts)
        if problem:
            return problem
    first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return _("数据库计算该方案的规则时出错：%(error)s") % {"error": first_line}


def _notify_failures(run: MatchRun) -> None:
    """Tell the staff who keep the schemes that a run set some aside; once per run."""
    codes = sorted(set(run.failures.values_list("scheme__code", flat=True)))
    staff = User.objects.with_perm(
        "subsidies.change_scheme", backend="django.contrib.auth.backends.ModelBackend"
    ).filter(is_active=True, is_staff=True)
    notify(
        recipients=staff,
        key=f"subsidies:run:{run.pk}:failures",
        title=_("比对批次 #%(run)s 有 %(n)d 个方案的规则计算出错，未完成比对")
        % {"run": run.pk, "n": len(codes)},
        body=_("出错的方案：%(codes)s。请在后台“规则计算错误”中查看出错的企业和原因，修改规则后重新比对。")
        % {"codes": "、".join(codes)},
        url=reverse("admin:subsidies_matchfailure_changelist") + f"?run__id__exact={run.pk}",
    )
