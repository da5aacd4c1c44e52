"""The staff commands: match_subsidies, export_awards and import_schemes, as staff run them."""

import csv
import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from subsidies.models import Award, Scheme, SchemeStatus
from tests.factories import EnterpriseFactory
from tests.subsidies.award_factories import AwardFactory, AwardPolicyFactory
from tests.subsidies.test_match_contract import (
    A_THIRD_OF_RD,
    RD_AT_LEAST_100,
    SchemeFactory,
    enterprise_with_rd,
)

pytestmark = pytest.mark.django_db

SUMMARY_KEYS = {"code", "eligible", "undetermined", "new", "lost", "amount"}


def match(*args):
    """Run match_subsidies; its stdout parsed (it must be exactly one JSON object)."""
    out, err = io.StringIO(), io.StringIO()
    call_command("match_subsidies", *args, stdout=out, stderr=err)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    return json.loads(lines[0])


def import_file(tmp_path, entries, *args):
    path = tmp_path / "schemes.json"
    path.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    error = None
    try:
        call_command("import_schemes", str(path), *args, stdout=out, stderr=err)
    except CommandError as raised:
        error = raised
    return out.getvalue(), err.getvalue(), error


def entry(**fields):
    """One import entry of a valid automatic scheme of the policy ``rd-policy``."""
    return {
        "code": "rd-2023",
        "policy": "rd-policy",
        "title": "研发费用后补助",
        "mode": "automatic",
        "facts_year": 2022,
        "period": "2023",
        "eligibility": {">=": [{"var": "rd_expense"}, 100]},
        "amount": 100000,
        "budget": "5000000.00",
        "allocation": "pro_rata",
        "status": "active",
        **fields,
    }


# ---- match_subsidies -----------------------------------------------------------------------------


def test_match_subsidies_prints_one_json_object_with_the_run_and_per_scheme_counts():
    scheme = SchemeFactory(eligibility=RD_AT_LEAST_100, amount_rule=A_THIRD_OF_RD)
    enterprise_with_rd("200.00")
    enterprise_with_rd("50.00")
    EnterpriseFactory()  # no annual report

    summary = match()

    assert set(summary) == {"run", "schemes"}
    assert isinstance(summary["run"], int)
    assert [set(item) for item in summary["schemes"]] == [SUMMARY_KEYS]
    assert summary["schemes"] == [
        {"code": scheme.code, "eligible": 1, "undetermined": 1, "new": 1, "lost": 0, "amount": "666666.66"}
    ]


def test_match_subsidies_a_second_time_prints_zero_new():
    scheme = SchemeFactory(eligibility=RD_AT_LEAST_100)
    enterprise_with_rd("200.00")
    first = match()

    second = match()

    assert second["run"] != first["run"]
    assert second["schemes"] == [
        {"code": scheme.code, "eligible": 1, "undetermined": 0, "new": 0, "lost": 0, "amount": "100000.00"}
    ]
    assert Award.objects.count() == 1


def test_match_subsidies_with_scheme_matches_only_that_scheme():
    SchemeFactory(code="a-rd")
    SchemeFactory(code="b-rd")
    enterprise_with_rd("200.00")

    summary = match("--scheme", "b-rd")

    assert [item["code"] for item in summary["schemes"]] == ["b-rd"]
    assert list(Award.objects.values_list("scheme__code", flat=True)) == ["b-rd"]


def test_match_subsidies_with_enterprise_matches_only_that_enterprise():
    SchemeFactory()
    chosen = enterprise_with_rd("200.00")
    enterprise_with_rd("300.00")

    summary = match("--enterprise", chosen.uscc)

    assert summary["schemes"][0]["eligible"] == 1
    assert list(Award.objects.values_list("enterprise_id", flat=True)) == [chosen.pk]


def test_match_subsidies_dry_run_counts_but_writes_no_award():
    scheme = SchemeFactory()
    enterprise_with_rd("200.00")

    summary = match("--dry-run")

    assert summary["schemes"] == [
        {"code": scheme.code, "eligible": 1, "undetermined": 0, "new": 1, "lost": 0, "amount": "100000.00"}
    ]
    assert Award.objects.count() == 0
    assert match()["schemes"][0]["new"] == 1


def test_match_subsidies_refuses_an_unknown_scheme_code_in_chinese():
    SchemeFactory(code="a-rd")

    with pytest.raises(CommandError, match="没有执行中的免申即享方案：nope"):
        call_command("match_subsidies", "--scheme", "nope", stdout=io.StringIO(), stderr=io.StringIO())


def test_match_subsidies_refuses_an_unknown_enterprise_in_chinese():
    with pytest.raises(CommandError, match="企业档案中没有统一社会信用代码"):
        call_command("match_subsidies", "--enterprise", "91410100XXXXXXXXXX", stdout=io.StringIO())


# ---- export_awards -------------------------------------------------------------------------------


def test_export_awards_writes_csv_with_a_header_and_one_row_per_award():
    scheme = SchemeFactory(code="rd-2023", eligibility=RD_AT_LEAST_100, amount_rule=A_THIRD_OF_RD)
    enterprise = enterprise_with_rd("200.00")
    match()
    out = io.StringIO()

    call_command("export_awards", stdout=out)

    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows == [
        ["uscc", "scheme", "period", "status", "amount"],
        [enterprise.uscc, scheme.code, "2023", "candidate", "666666.66"],
    ]


def test_export_awards_with_scheme_exports_only_that_scheme():
    kept = AwardFactory(scheme=SchemeFactory(code="a-rd"), amount=Decimal("12.30"))
    AwardFactory(scheme=SchemeFactory(code="b-rd"))
    out = io.StringIO()

    call_command("export_awards", "--scheme", "a-rd", stdout=out)

    assert out.getvalue().splitlines() == [
        "uscc,scheme,period,status,amount",
        f"{kept.enterprise.uscc},a-rd,2023,candidate,12.30",
    ]


# ---- import_schemes ------------------------------------------------------------------------------


def test_import_schemes_creates_then_updates_by_code(tmp_path):
    AwardPolicyFactory(code="rd-policy")

    out, _, error = import_file(tmp_path, [entry()])
    assert error is None
    assert "新增 1 个" in out
    out, _, error = import_file(tmp_path, [entry(title="研发费用后补助（修订）", budget="6000000.00")])

    assert error is None
    assert "更新 1 个" in out
    scheme = Scheme.objects.get()
    assert (scheme.code, scheme.title, scheme.budget) == (
        "rd-2023",
        "研发费用后补助（修订）",
        Decimal("6000000.00"),
    )


def test_import_schemes_is_all_or_nothing(tmp_path):
    AwardPolicyFactory(code="rd-policy")
    entries = [entry(code="good-one"), entry(code="bad-one", eligibility={">=": [{"var": "rd_spend"}, 1]})]

    out, _, error = import_file(tmp_path, entries)

    assert error is not None
    assert str(error) == "共 1 处错误，未导入任何方案。"
    assert Scheme.objects.count() == 0
    assert out == ""


def test_import_schemes_names_the_entry_with_an_unknown_variable_by_index_and_code(tmp_path):
    AwardPolicyFactory(code="rd-policy")
    entries = [entry(code="good-one"), entry(code="bad-one", eligibility={">=": [{"var": "rd_spend"}, 1]})]

    _, err, error = import_file(tmp_path, entries)

    assert error is not None
    assert err.splitlines() == ["第 2 条（bad-one）：资格规则：未知变量：rd_spend（位置：>=[0]）"]


def test_import_schemes_names_the_entry_with_an_unknown_operator_by_index_and_code(tmp_path):
    AwardPolicyFactory(code="rd-policy")
    entries = [entry(code="bad-op", amount={"~~": [{"var": "rd_expense"}, 2]})]

    _, err, error = import_file(tmp_path, entries)

    assert error is not None
    assert err.splitlines() == ["第 1 条（bad-op）：金额规则：不支持的运算符：~~"]
    assert Scheme.objects.count() == 0


def test_import_schemes_names_the_entry_with_an_unknown_policy_by_index_and_code(tmp_path):
    AwardPolicyFactory(code="rd-policy")
    entries = [entry(code="first"), entry(code="second"), entry(code="orphan", policy="no-such-policy")]

    _, err, error = import_file(tmp_path, entries)

    assert error is not None
    assert err.splitlines() == ["第 3 条（orphan）：未知政策：no-such-policy"]
    assert Scheme.objects.count() == 0


def test_import_schemes_dry_run_reports_but_writes_nothing(tmp_path):
    AwardPolicyFactory(code="rd-policy")

    out, _, error = import_file(tmp_path, [entry()], "--dry-run")

    assert error is None
    assert out.strip() == "试运行（未写入）：新增 1 个，更新 0 个，未变 0 个方案。"
    assert Scheme.objects.count() == 0


def test_import_schemes_reads_numbers_in_rules_as_decimals(tmp_path):
    # As binary floats 3 × 0.1 is 0.30000000000000004, not 0.3: only decimal reading makes this eligible.
    AwardPolicyFactory(code="rd-policy")
    path = tmp_path / "schemes.json"
    text = json.dumps(
        [entry(code="decimal-rule", eligibility={"==": [{"*": [{"var": "rd_expense"}, "X"]}, "Y"]})]
    )
    path.write_text(text.replace('"X"', "0.1").replace('"Y"', "0.3"), encoding="utf-8")
    err = io.StringIO()
    call_command("import_schemes", str(path), stdout=io.StringIO(), stderr=err)
    assert err.getvalue() == ""
    enterprise = enterprise_with_rd("3.00")

    summary = match()

    assert summary["schemes"][0]["eligible"] == 1
    assert list(Award.objects.values_list("enterprise_id", flat=True)) == [enterprise.pk]


def test_import_schemes_keeps_an_existing_scheme_unchanged_when_the_file_repeats_it(tmp_path):
    AwardPolicyFactory(code="rd-policy")
    import_file(tmp_path, [entry()])

    out, _, error = import_file(tmp_path, [entry()])

    assert error is None
    assert out.strip() == "新增 0 个，更新 0 个，未变 1 个方案。"
    assert Scheme.objects.get().status == SchemeStatus.ACTIVE
