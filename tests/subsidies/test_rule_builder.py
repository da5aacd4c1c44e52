"""The scheme form expresses every demo rule and amount without raw JsonLogic: formulas, both ways."""

import datetime as dt
import re
from decimal import Decimal

import pytest

from subsidies.demo import SCHEMES
from subsidies.forms import SchemeForm
from subsidies.rules import RuleError
from subsidies.rules.formula import from_formula, to_formula
from subsidies.schemes import storable
from tests.subsidies.award_factories import AwardPolicyFactory, AwardSchemeFactory

RULES = [(s["code"], key, s[key]) for s in SCHEMES for key in ("eligibility", "amount")]


@pytest.mark.parametrize(("code", "key", "rule"), RULES, ids=[f"{c}-{k}" for c, k, _ in RULES])
def test_every_demo_rule_reads_back_unchanged_from_its_formula(code, key, rule):
    assert storable(from_formula(to_formula(rule))) == storable(rule)


def test_a_nested_or_of_qualification_years_is_written_with_brackets():
    srdi = next(s for s in SCHEMES if s["code"] == "srdi-2022")

    assert to_formula(srdi["eligibility"]) == (
        '((qualifications 包含 "srdi" 且 qualification_year.srdi == 2022) 或 '
        '(qualifications 包含 "little_giant" 且 qualification_year.little_giant == 2022)) '
        '且 credit_rating == "A"'
    )


def test_an_amount_with_a_cap_and_a_conditional_bonus_is_one_readable_formula():
    formula = "最小((rd_expense - prev.rd_expense) * 1000, 2000000) + 如果(rd_ratio >= 0.03, 100000, 0)"

    assert from_formula(formula) == {
        "+": [
            {"min": [{"*": [{"-": [{"var": "rd_expense"}, {"var": "prev.rd_expense"}]}, 1000]}, 2000000]},
            {"if": [{">=": [{"var": "rd_ratio"}, Decimal("0.03")]}, 100000, 0]},
        ]
    }


def test_full_width_brackets_and_commas_are_read_too():
    assert from_formula("最大（employees * 80，0）") == {"max": [{"*": [{"var": "employees"}, 80]}, 0]}


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("rd_expense >=", "公式不完整"),
        ("rd_expense >= 100 100", "公式在“100”处多出内容"),
        ("最小(rd_expense, 100", "公式不完整，缺少“)”"),
        ("rd_expense ≥ 100", "公式第 12 个字符“≥”无法识别"),
        ("", "公式为空"),
    ],
)
def test_a_formula_that_cannot_be_read_is_refused_saying_where(formula, message):
    with pytest.raises(RuleError, match=re.escape(message)):
        from_formula(formula)


def _resubmitted(form: SchemeForm) -> dict:
    """What the change form posts back when staff save it without touching anything."""
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None or value is False:
            continue
        if isinstance(value, dt.date):
            value = value.isoformat()
        data[name] = "on" if value is True else str(value)
    return data


@pytest.mark.django_db
@pytest.mark.parametrize("demo", SCHEMES, ids=[s["code"] for s in SCHEMES])
def test_every_demo_scheme_round_trips_through_the_form_without_raw_json(demo):
    scheme = AwardSchemeFactory(
        policy=AwardPolicyFactory(code=demo["policy"]),
        code=demo["code"],
        mode=demo["mode"],
        eligibility=storable(demo["eligibility"]),
        amount_rule=storable(demo["amount"]),
        cap_per_enterprise=demo.get("cap_per_enterprise"),
        allocation=demo["allocation"],
        exclusive_group=demo.get("exclusive_group", ""),
    )

    shown = SchemeForm(instance=scheme)
    data = _resubmitted(shown)
    saved = SchemeForm(data=data, instance=scheme)

    assert data["eligibility_mode"] in ("builder", "formula")
    assert data["amount_kind"] in ("fixed", "product", "formula")
    assert saved.is_valid(), saved.errors
    assert storable(saved.scheme_data["eligibility"]) == storable(demo["eligibility"])
    assert storable(saved.scheme_data["amount"]) == storable(demo["amount"])


def test_the_builder_lists_the_main_buyers_age_among_the_household_facts_and_builds_a_rule_on_it():
    from subsidies.forms import rows_to_rule

    groups = dict(SchemeForm().fields["cond_0_variable"].choices[1:])
    numbers = dict(SchemeForm().fields["amount_variable"].choices[1:])

    assert ("main_buyer_age", "主购房人年龄（main_buyer_age）") in groups["购房家庭"]
    assert ("main_buyer_age", "主购房人年龄（main_buyer_age）") in numbers["购房家庭"]
    assert rows_to_rule([{"variable": "main_buyer_age", "op": "<", "value": "35"}], "and") == {
        "<": [{"var": "main_buyer_age"}, 35]
    }
