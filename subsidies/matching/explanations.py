"""Stored explanations: an award's trace replayed from its facts and frozen rules, and stored."""

from collections.abc import Iterable

from subsidies import rules
from subsidies.catalogues import catalogue_of
from subsidies.matching.schemes import _schemes_of, context_of, scheme_rules
from subsidies.models import Award
from subsidies.rules.explain import Explanation


def award_explanation(award: Award) -> Explanation:
    """The award's explanation: stored, or replayed from its facts and the rules its run matched with."""
    stored = award.explanation or {}
    if stored.get("trace") or not stored.get("pending"):
        return Explanation.from_dict(
            {"outcome": stored.get("outcome", "eligible"), "trace": stored.get("trace", [])}
        )
    scheme = award.scheme
    frozen = next(
        (
            entry
            for entry in (award.run.rules if award.run else {}).get("schemes", [])
            if entry["id"] == scheme.pk
        ),
        None,
    )
    if frozen is not None:
        scheme = _schemes_of({"schemes": [frozen]})[0]
    eligibility, _amount = scheme_rules(scheme)
    kind = catalogue_of(scheme)
    facts = kind.facts_from_json(award.facts or {})
    return rules.explain(eligibility, facts, kind.variable_specs(context=context_of(scheme)))


def awards_explain(*, awards: Iterable[Award]) -> int:
    """Store the traces of awards whose explanation is still pending; how many were written."""
    changed = []
    for award in awards:
        stored = award.explanation or {}
        if not stored.get("pending"):
            continue
        explanation = award_explanation(award)
        award.explanation = {
            **{key: value for key, value in stored.items() if key != "pending"},
            **explanation.as_dict(),
        }
        changed.append(award)
    Award.objects.bulk_update(changed, ["explanation"], batch_size=1000)
    return len(changed)
