"""Whom a scheme pays, as the engine reads it: the variables catalogue and the records of each beneficiary.

Matching, explanations and validation take everything that differs between enterprises and households
from here, so the same statements, awards and services serve both (one pipeline, not two).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import models

from subsidies.models import Beneficiary


@dataclass(frozen=True)
class Catalogue:
    """One kind of beneficiary: its records, the award column naming one, and its variables."""

    kind: str
    model: type[models.Model]
    # The column of Award / Undetermined / MatchFailure that holds the beneficiary's id.
    column: str
    # The field name of that column on the models (``enterprise`` / ``purchase``).
    field: str
    variables: Mapping[str, Any]
    variable_specs: Callable
    facts_queryset: Callable
    resolver: Callable
    needs_of: Callable
    record: type
    facts_from_record: Callable
    facts_from_json: Callable
    # SQLite: the index that reads one chunk's awards (INDEXED BY), or "" to let SQLite choose.
    awards_index: str = ""

    @property
    def label(self) -> str:
        return str(Beneficiary(self.kind).label)


@cache
def catalogue(kind: str) -> Catalogue:
    """The catalogue of a kind of beneficiary (``Beneficiary`` value)."""
    if kind == Beneficiary.HOUSEHOLDS:
        from portal.residents.models import HousePurchase
        from subsidies import household_variables as h

        return Catalogue(
            kind=Beneficiary.HOUSEHOLDS,
            model=HousePurchase,
            column="purchase_id",
            field="purchase",
            variables=h.VARIABLES,
            variable_specs=h.variable_specs,
            facts_queryset=h.facts_queryset,
            resolver=h.resolver,
            needs_of=h.needs_of,
            record=h.Record,
            facts_from_record=h.facts_from_record,
            facts_from_json=h.facts_from_json,
        )
    if kind != Beneficiary.ENTERPRISES:
        raise ValueError(kind)
    from portal.enterprises.models import Enterprise
    from subsidies import variables as e

    return Catalogue(
        kind=Beneficiary.ENTERPRISES,
        model=Enterprise,
        column="enterprise_id",
        field="enterprise",
        variables=e.VARIABLES,
        variable_specs=e.variable_specs,
        facts_queryset=e.facts_queryset,
        resolver=e.resolver,
        needs_of=e.needs_of,
        record=e.Record,
        facts_from_record=e.facts_from_record,
        facts_from_json=e.facts_from_json,
        awards_index="award_enterprise_status_idx",
    )


def catalogue_of(scheme: Any) -> Catalogue:
    """The catalogue a scheme's rules read (a scheme row, or a snapshot entry)."""
    kind = scheme.get("beneficiary") if isinstance(scheme, Mapping) else getattr(scheme, "beneficiary", "")
    return catalogue(kind or Beneficiary.ENTERPRISES)


def other_catalogue_variables(kind: str) -> Mapping[str, Any]:
    """The variables of the other kinds: a rule naming one is refused with a message saying whose it is."""
    return {
        name: (other, variable)
        for other in Beneficiary.values
        if other != kind
        for name, variable in catalogue(other).variables.items()
        if name not in catalogue(kind).variables
    }
