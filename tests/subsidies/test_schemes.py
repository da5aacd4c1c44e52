import datetime as dt
from decimal import Decimal

import pytest

from subsidies.models import Scheme, SchemeStatus
from subsidies.schemes import SchemeError, scheme_upsert, scheme_validate, schemes_import, storable
from tests.subsidies.factories import PolicyFactory, SchemeFactory

pytestmark = pytest.mark.django_db


def entry(**changes):
    return {
        "code": "tier-2023",
        "policy": "tiers",
        "title": "规上企业梯次奖励",
        "mode": "automatic",
        "facts_year": 2022,
        "period": "2023",
        "eligibility": {"==": [{"var": "is_above_scale"}, True]},
        "amount": 300000,
        "budget": Decimal("3000000"),
        "allocation": "first_confirmed",
        "status": "draft",
        **changes,
    }


@pytest.fixture(autouse=True)
def policy():
    return PolicyFactory(code="tiers")


# ---- rules ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("eligibility", "amount", "message"),
    [
        ({">": [{"var": "profit"}, 1]}, 1, "资格规则：未知变量：profit"),
        ({"regex": ["x", "y"]}, 1, "资格规则：不支持的运算符：regex"),
        ({">": [{"var": "park"}, 1]}, 1, "资格规则：类型不匹配"),
        ({"var": "revenue"}, 1, "资格规则：资格规则必须得出真/假"),
        (True, {"cat": ["a", "b"]}, "金额规则：金额规则必须得出数字"),
        (True, -5, "金额规则：金额不能为负数"),
        (True, {"*": [{"var": "revenue"}, Decimal("0.1234567890123456789")]}, "有效位数过多"),
        ({"==": [{"cat": [{"var": "revenue"}, "x"]}, "1x"]}, 1, "cat 在数据库比对中只能拼接文本"),
    ],
)
def test_a_rule_that_cannot_be_saved_is_refused_with_a_chinese_reason(eligibility, amount, message):
    with pytest.raises(SchemeError, match=message):
        scheme_validate(eligibility=eligibility, amount_rule=amount)


def test_valid_rules_pass():
    assert (
        scheme_validate(
            eligibility={
                "and": [{"in": ["high_tech", {"var": "qualifications"}]}, {"<": [1, {"var": "age_years"}, 5]}]
            },
            amount_rule={"if": [{"var": "is_above_scale"}, 200000, 100000]},
        )
        is None
    )


def test_decimals_are_stored_as_json_numbers_that_read_back_exactly():
    assert storable({"*": [Decimal("0.1"), Decimal("300000"), [Decimal("2.50")]]}) == {
        "*": [0.1, 300000, [2.5]]
    }
    with pytest.raises(ValueError, match="有效位数过多"):
        storable(Decimal("1.23456789012345678"))


# ---- one scheme ----------------------------------------------------------------------------------------


def test_upsert_creates_with_the_reference_date_defaulting_to_the_end_of_the_facts_year():
    scheme = scheme_upsert(data=entry())
    assert scheme.reference_date == dt.date(2022, 12, 31)
    assert scheme.amount_rule == 300000
    assert scheme.publicity_days == 5
    assert scheme.top_up is False


def test_upsert_updates_the_scheme_of_the_same_code():
    scheme_upsert(data=entry())
    updated = scheme_upsert(
        data=entry(status="active", reference_date="2023-06-30", cap_per_enterprise=250000)
    )
    assert Scheme.objects.count() == 1
    assert (updated.status, updated.reference_date, updated.cap_per_enterprise) == (
        SchemeStatus.ACTIVE,
        dt.date(2023, 6, 30),
        Decimal("250000.00"),
    )


def test_status_only_moves_forward():
    scheme_upsert(data=entry(status="closed"))
    with pytest.raises(SchemeError, match="方案状态只能按 草稿→执行中→已结束 推进"):
        scheme_upsert(data=entry(status="active"))


def test_a_top_up_scheme_needs_an_exclusive_group():
    with pytest.raises(SchemeError, match="级差兑现须同时设置从高不重复组"):
        scheme_upsert(data=entry(top_up=True))
    assert scheme_upsert(data=entry(top_up=True, exclusive_group="tier")).top_up


def test_the_budget_cannot_drop_below_what_is_committed():
    scheme = SchemeFactory(code="tier-2023", policy__code="tiers", budget=Decimal("500000"))
    Scheme.objects.filter(pk=scheme.pk).update(committed=Decimal("400000"))
    with pytest.raises(SchemeError, match=r"预算 300000\.00 元低于已承诺的 400000\.00 元"):
        scheme_upsert(data=entry(budget=300000, status="active"))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"mode": "magic"}, "兑现方式（mode）应为 automatic、application 之一"),
        ({"facts_year": "2022"}, "数据年度必须是整数"),
        ({"reference_date": "2022/12/31"}, "基准日应写作 YYYY-MM-DD"),
        ({"budget": "-1"}, "预算不能为负数"),
        ({"budget": Decimal("1.234")}, "预算最多两位小数"),
        ({"code": "研发"}, "方案代码只能由字母、数字、下划线和连字符组成"),
        ({"colour": "red"}, "未知字段：colour"),
    ],
)
def test_bad_entries_are_refused_naming_the_problem(changes, message):
    with pytest.raises(SchemeError, match=message):
        scheme_upsert(data=entry(**changes))


def test_a_missing_key_is_named():
    data = entry()
    del data["period"]
    with pytest.raises(SchemeError, match="缺少字段：period"):
        scheme_upsert(data=data)


# ---- a file of schemes ---------------------------------------------------------------------------------


def test_an_import_reports_what_it_created_updated_and_left_alone():
    SchemeFactory(code="kept", policy__code="tiers", title="保持不变")
    kept = entry(
        code="kept", title="保持不变", status="active", eligibility={">=": [{"var": "rd_expense"}, 100]}
    )
    kept["amount"] = 100000
    kept["budget"] = Decimal("100000000.00")
    kept["allocation"] = "pro_rata"
    report = schemes_import(entries=[entry(), kept])
    assert report.ok
    assert (report.created, report.updated, report.unchanged) == (["tier-2023"], [], ["kept"])


def test_an_import_with_one_bad_entry_writes_nothing_and_lists_every_error_with_index_and_code():
    report = schemes_import(entries=[entry(), entry(code="b", policy="ghost"), entry(), "oops"])
    assert not report.ok
    assert report.errors == [
        "第 2 条（b）：未知政策：ghost",
        "第 3 条（tier-2023）：与第 1 条代码重复",
        "第 4 条（无代码）：每一条应为 JSON 对象",
    ]
    assert not Scheme.objects.exists()


def test_a_dry_run_import_validates_and_reports_but_writes_nothing():
    report = schemes_import(entries=[entry()], dry_run=True)
    assert report.created == ["tier-2023"]
    assert not Scheme.objects.exists()


def test_an_import_needs_a_list():
    assert schemes_import(entries={"code": "x"}).errors == ["文件内容应为方案对象的 JSON 列表"]
