"""The schemes a match reads: their parsed rules, the active ones, the snapshot a run freezes."""

import datetime as dt
import json
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from subsidies import rules
from subsidies.catalogues import catalogue_of
from subsidies.models import AwardStatus, Beneficiary, Scheme, SchemeMode, SchemeStatus
from subsidies.variables import Context

# Statuses of an award not yet paid and still live: what a lost candidate can be.
LIVE_UNPAID = (
    AwardStatus.CANDIDATE,
    AwardStatus.APPROVED,
    AwardStatus.PUBLICIZED,
    AwardStatus.AWAITING,
    AwardStatus.CONFIRMED,
)
# Statuses whose amount counts as received in a top-up group (money committed to the enterprise).
RECEIVED = (AwardStatus.CONFIRMED, AwardStatus.PAID)
# What a new award's explanation holds until its trace is built from its facts (award_explanation).
PENDING_EXPLANATION = {"outcome": "eligible", "trace": [], "pending": True}


class MatchError(Exception):
    """A match run that cannot start or go on, with a message for people."""


def context_of(scheme: Scheme) -> Context:
    """The facts year and reference date a scheme reads facts at."""
    return Context(scheme.facts_year, scheme.reference_date)


def scheme_rules(scheme: Scheme) -> tuple[Any, Any]:
    """The eligibility and amount rules with their numbers as Decimal (JSON stores them as floats)."""
    return _parsed(scheme)[:2]


# Parsed rules by the rules' own text: an edit made any way (admin, import, a queryset update) is a new
# key, and two schemes with the same rules share one entry.
_parsed_rules: dict[tuple[str, str], tuple] = {}


def _rules_key(scheme: Scheme) -> tuple[str, ...]:
    # The beneficiary too: the same rule text reads another catalogue.
    return (
        scheme.beneficiary or Beneficiary.ENTERPRISES,
        *(
            json.dumps(value, sort_keys=True, ensure_ascii=False, default=repr)
            for value in (scheme.eligibility, scheme.amount_rule)
        ),
    )


def _parsed(scheme: Scheme) -> tuple[Any, Any, frozenset[str], Callable, Callable]:
    """(eligibility, amount rule, catalogue variables they read, and both compiled) of a scheme."""
    key = _rules_key(scheme)
    if key in _parsed_rules:
        return _parsed_rules[key]
    eligibility, amount = rules.normalize(scheme.eligibility), rules.normalize(scheme.amount_rule)
    variables = catalogue_of(scheme).variables
    names = frozenset(
        name for name in rules.variables_used(eligibility) | rules.variables_used(amount) if name in variables
    )
    parsed = (eligibility, amount, names, rules.compile_rule(eligibility), rules.compile_rule(amount))
    if len(_parsed_rules) > 1000:
        _parsed_rules.clear()
    _parsed_rules[key] = parsed
    return parsed


def _active_schemes(beneficiary: str | None = None):
    """The active automatic schemes (of one kind of beneficiary, or of both)."""
    schemes = Scheme.objects.filter(mode=SchemeMode.AUTOMATIC, status=SchemeStatus.ACTIVE)
    if beneficiary is not None:
        schemes = schemes.filter(beneficiary=beneficiary)
    return schemes.order_by("code")


def _select_schemes(
    scheme_codes: Sequence[str] | None, beneficiary: str | None = None
) -> tuple[list[Scheme], set[int]]:
    """(schemes evaluated, ids of those reported): a selection brings its exclusive-group companions."""
    # Loaded every time (a hundred rows): what the database holds now, however it was last changed.
    active = list(_active_schemes(beneficiary))
    if not scheme_codes:
        return active, {scheme.pk for scheme in active}
    by_code = {scheme.code: scheme for scheme in active}
    unknown = [code for code in scheme_codes if code not in by_code]
    if unknown:
        raise MatchError(_("没有执行中的免申即享方案：%(codes)s") % {"codes": "、".join(unknown)})
    selected = [by_code[code] for code in scheme_codes]
    groups = {scheme.exclusive_group for scheme in selected if scheme.exclusive_group}
    evaluated = [scheme for scheme in active if scheme in selected or scheme.exclusive_group in groups]
    return evaluated, {scheme.pk for scheme in selected}


_SNAPSHOT = (
    "code",
    "beneficiary",
    "title",
    "facts_year",
    "reference_date",
    "period",
    "eligibility",
    "amount_rule",
    "cap_per_enterprise",
    "exclusive_group",
    "top_up",
)


def _snapshot(schemes: Sequence[Scheme], selected: set[int]) -> dict:
    """The rules a run matches with, frozen when it starts."""
    entries = []
    for scheme in schemes:
        entry = {"id": scheme.pk, **{name: getattr(scheme, name) for name in _SNAPSHOT}}
        entry["reference_date"] = scheme.reference_date.isoformat()
        cap = scheme.cap_per_enterprise
        entry["cap_per_enterprise"] = None if cap is None else format(cap, "f")
        entries.append(entry)
    return {"schemes": entries, "selected": sorted(selected)}


def _schemes_of(snapshot: dict) -> list[Scheme]:
    """The snapshot's schemes as (unsaved) Scheme objects carrying the frozen rules."""
    schemes = []
    for entry in snapshot.get("schemes", []):
        # Runs frozen before households were matched name no beneficiary: theirs were enterprises.
        values = {name: entry[name] for name in _SNAPSHOT if name != "beneficiary"}
        values["beneficiary"] = entry.get("beneficiary", Beneficiary.ENTERPRISES)
        values["reference_date"] = dt.date.fromisoformat(entry["reference_date"])
        cap = entry["cap_per_enterprise"]
        values["cap_per_enterprise"] = None if cap is None else Decimal(cap)
        schemes.append(Scheme(pk=entry["id"], **values))
    return schemes
