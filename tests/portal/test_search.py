"""portal.search.apply_search with groups of alternatives (synonyms), on the current database."""

import pytest
from django.db import connection

from policies.models import Policy
from portal.search import apply_search, tokenize
from tests.policies.factories import PolicyFactory

pytestmark = pytest.mark.django_db

# 高企 or 高新技术企业: the second alternative is four tokens, all required.
HIGH_TECH = [["高企"], tokenize("高新技术企业")]


def search(tokens, groups=()):
    return apply_search(
        Policy.objects.all(),
        tokens,
        title_field="search_title",
        body_field="search_body",
        then=("code",),
        groups=groups,
    )


def test_a_group_is_satisfied_by_any_one_of_its_alternatives():
    PolicyFactory(code="full", title="高新技术企业认定奖励办法")
    PolicyFactory(code="short", title="高企培育奖励办法")
    PolicyFactory(code="neither", title="人才住房办法")

    assert sorted(p.code for p in search([], [HIGH_TECH])) == ["full", "short"]


def test_an_alternative_of_several_tokens_needs_every_one_of_them():
    PolicyFactory(code="full", title="高新技术企业认定奖励办法")
    PolicyFactory(code="part", title="企业技术改造奖励办法")

    assert [p.code for p in search([], [HIGH_TECH])] == ["full"]


def test_an_alternative_of_several_tokens_is_found_only_with_them_side_by_side():
    PolicyFactory(code="together", title="高新企业奖励办法")
    PolicyFactory(code="apart", title="高新区企业奖励办法")

    assert [p.code for p in search([], [[["高企"], tokenize("高新企业")]])] == ["together"]
    assert sorted(p.code for p in search(tokenize("高新企业"))) == ["apart", "together"]


def test_rows_need_every_token_besides_one_alternative_of_every_group():
    PolicyFactory(code="both", title="高企认定奖励办法")
    PolicyFactory(code="group-only", title="高企培育办法")
    PolicyFactory(code="token-only", title="技术合同认定办法")
    PolicyFactory(code="two-groups", title="高企社会保险补贴办法")

    assert [p.code for p in search(["认定"], [HIGH_TECH])] == ["both"]
    assert [p.code for p in search([], [HIGH_TECH, [["社保"], ["社会", "保险"]]])] == ["two-groups"]


def test_a_group_found_in_the_title_ranks_above_one_found_only_in_the_text():
    PolicyFactory(code="in-body", title="企业发展办法", body="对高新技术企业给予奖励。")
    PolicyFactory(code="in-title", title="高企奖励办法", body="给予奖励。")

    found = list(search([], [HIGH_TECH]))

    assert [p.code for p in found] == ["in-title", "in-body"]
    assert found[0].search_rank > found[1].search_rank


def test_without_groups_the_search_is_the_one_it_always_was():
    PolicyFactory(code="rd", title="研发费用补助办法")

    plain = apply_search(Policy.objects.all(), ["研发"], title_field="search_title", body_field="search_body")
    empty = apply_search(
        Policy.objects.all(), ["研发"], title_field="search_title", body_field="search_body", groups=()
    )

    assert str(plain.query) == str(empty.query)
    assert [p.code for p in plain] == ["rd"]


def test_empty_alternatives_are_ignored_and_nothing_to_search_finds_nothing():
    PolicyFactory(code="rd", title="研发费用补助办法")

    assert str(search(["研发"], [[[]], []]).query) == str(search(["研发"]).query)
    assert list(search([], [[[], [""]]])) == []
    assert list(search([])) == []


@pytest.mark.postgres
def test_postgres_ranks_groups_in_the_weighted_tsvector_and_uses_the_gin_index():
    PolicyFactory(code="in-body", title="企业发展办法", body="对高新技术企业认定给予奖励。" * 3)
    PolicyFactory(code="in-title", title="高企认定奖励办法", body="给予奖励。")
    PolicyFactory(code="other", title="人才住房办法")

    found = list(search(["认定"], [HIGH_TECH]))

    assert [p.code for p in found] == ["in-title", "in-body"]
    assert found[0].search_rank > found[1].search_rank > 0
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = search(["认定"], [HIGH_TECH]).explain()
    assert "Bitmap Index Scan on policy_search_gin" in plan
