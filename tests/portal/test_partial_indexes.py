"""Partial indexes on the open states the selectors and sweeps filter (PostgreSQL)."""

import pytest
from django.db import connection

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _definition(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [name])
        (definition,) = cursor.fetchone()
    return definition


def test_the_publicity_lists_have_an_index_of_the_awards_in_publicity_only():
    definition = _definition("award_in_publicity_idx")

    assert "(publicity_to, scheme_id)" in definition
    assert definition.endswith("WHERE ((status)::text = 'publicized'::text)")


def test_the_sla_sweep_has_indexes_of_the_problems_waiting_for_a_step_only():
    routing = _definition("problem_awaiting_routing_idx")
    answer = _definition("problem_awaiting_answer_idx")

    assert "(first_response_due)" in routing
    assert routing.endswith("WHERE ((status)::text = 'submitted'::text)")
    assert "(answer_due)" in answer
    assert "'assigned'" in answer
    assert "'transferred'" in answer
    assert "'reopened'" in answer
