import io
import json
import threading
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from subsidies import matching
from subsidies.models import Award, AwardStatus, Scheme
from tests.factories import AnnualReportFactory, EnterpriseFactory
from tests.subsidies.factories import PolicyFactory, SchemeFactory

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def firm(rd):
    enterprise = EnterpriseFactory()
    AnnualReportFactory(enterprise=enterprise, year=2022, rd_expense=rd)
    return enterprise


@pytest.fixture
def rd_scheme():
    return SchemeFactory(
        code="rd-grant",
        eligibility={">=": [{"var": "rd_expense"}, 100]},
        amount_rule={"*": [{"var": "rd_expense"}, 10000, Decimal("0.1")]},
    )


# ---- match_subsidies ---------------------------------------------------------------------------------------


def test_match_subsidies_prints_one_json_object_and_progress_on_standard_error(rd_scheme):
    firm(Decimal("350.00")), firm(Decimal("150.50")), firm(None)
    out, err = run("match_subsidies")
    result = json.loads(out)
    assert out.count("\n") == 1
    assert result == {
        "run": result["run"],
        "schemes": [
            {"code": "rd-grant", "eligible": 2, "undetermined": 1, "new": 2, "lost": 0, "amount": "500500.00"}
        ],
    }
    assert "分片 1/1 完成" in err


def test_match_subsidies_run_twice_prints_zero_new_awards_the_second_time(rd_scheme):
    firm(Decimal("350.00"))
    run("match_subsidies")
    second = json.loads(run("match_subsidies")[0])
    assert [scheme["new"] for scheme in second["schemes"]] == [0]
    assert [scheme["eligible"] for scheme in second["schemes"]] == [1]


def test_match_subsidies_dry_run_writes_no_award(rd_scheme):
    firm(Decimal("350.00"))
    result = json.loads(run("match_subsidies", "--dry-run")[0])
    assert result["schemes"][0]["new"] == 1
    assert not Award.objects.exists()


def test_match_subsidies_narrows_to_a_scheme_and_an_enterprise(rd_scheme):
    SchemeFactory(code="other", eligibility=True)
    chosen, _ = firm(Decimal("350.00")), firm(Decimal("350.00"))
    result = json.loads(run("match_subsidies", "--scheme", "rd-grant", "--enterprise", chosen.uscc)[0])
    assert [scheme["code"] for scheme in result["schemes"]] == ["rd-grant"]
    assert list(Award.objects.values_list("enterprise", "scheme__code")) == [(chosen.pk, "rd-grant")]


def test_match_subsidies_refuses_an_unknown_enterprise_or_scheme(rd_scheme):
    with pytest.raises(CommandError, match="企业档案中没有统一社会信用代码：91410100X"):
        run("match_subsidies", "--enterprise", "91410100X")
    with pytest.raises(CommandError, match="没有执行中的免申即享方案：ghost"):
        run("match_subsidies", "--scheme", "ghost")


def test_match_subsidies_exits_with_the_message_when_a_run_is_going(rd_scheme):
    started, release = threading.Event(), threading.Event()

    def hold():
        try:
            with matching.match_lock():
                started.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert started.wait(10)
        with pytest.raises(CommandError, match="另一个比对批次正在启动或运行"):
            run("match_subsidies")
    finally:
        release.set()
        holder.join()


# ---- export_awards -----------------------------------------------------------------------------------------


def test_export_awards_writes_csv_with_the_five_columns(rd_scheme):
    enterprise = firm(Decimal("350.00"))
    run("match_subsidies")
    SchemeFactory(code="other", eligibility=True)
    Award.objects.create(
        scheme=Scheme.objects.get(code="other"),
        enterprise=enterprise,
        period="2023",
        status=AwardStatus.PAID,
        computed_amount=Decimal("12.30"),
        amount=Decimal("12.30"),
    )
    out, _ = run("export_awards")
    assert out.splitlines() == [
        "uscc,scheme,period,status,amount",
        f"{enterprise.uscc},other,2023,paid,12.30",
        f"{enterprise.uscc},rd-grant,2023,candidate,350000.00",
    ]
    only = run("export_awards", "--scheme", "rd-grant")[0].splitlines()
    assert only == [
        "uscc,scheme,period,status,amount",
        f"{enterprise.uscc},rd-grant,2023,candidate,350000.00",
    ]


def test_export_awards_refuses_an_unknown_scheme():
    with pytest.raises(CommandError, match="没有这些方案：ghost"):
        run("export_awards", "--scheme", "ghost")


# ---- import_schemes ----------------------------------------------------------------------------------------


def entry(**changes):
    return {
        "code": "rd-2023",
        "policy": "rd-policy",
        "title": "研发费用后补助",
        "mode": "automatic",
        "facts_year": 2022,
        "period": "2023",
        "eligibility": {">=": [{"var": "rd_ratio"}, 0.03]},
        "amount": {"min": [{"*": [{"var": "rd_expense"}, 10000, 0.1]}, 2000000]},
        "budget": 5000000,
        "allocation": "pro_rata",
        "status": "active",
        **changes,
    }


def write(tmp_path, entries):
    path = tmp_path / "schemes.json"
    path.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_import_schemes_creates_then_updates_by_code_reading_numbers_as_decimals(tmp_path):
    PolicyFactory(code="rd-policy")
    out, _ = run("import_schemes", write(tmp_path, [entry()]))
    assert out.strip() == "新增 1 个，更新 0 个，未变 0 个方案。"
    scheme = Scheme.objects.get(code="rd-2023")
    assert str(scheme.reference_date) == "2022-12-31"
    assert matching.scheme_rules(scheme)[0] == {">=": [{"var": "rd_ratio"}, Decimal("0.03")]}
    out, _ = run("import_schemes", write(tmp_path, [entry(title="研发后补助（修订）")]))
    assert out.strip() == "新增 0 个，更新 1 个，未变 0 个方案。"
    out, _ = run("import_schemes", write(tmp_path, [entry(title="研发后补助（修订）")]))
    assert out.strip() == "新增 0 个，更新 0 个，未变 1 个方案。"


def test_import_schemes_dry_run_writes_nothing(tmp_path):
    PolicyFactory(code="rd-policy")
    out, _ = run("import_schemes", write(tmp_path, [entry()]), "--dry-run")
    assert out.strip() == "试运行（未写入）：新增 1 个，更新 0 个，未变 0 个方案。"
    assert not Scheme.objects.exists()


def test_import_schemes_is_all_or_nothing_and_names_each_entry_at_fault(tmp_path):
    PolicyFactory(code="rd-policy")
    entries = [
        entry(code="fine"),
        entry(code="bad-var", eligibility={">": [{"var": "profit"}, 1]}),
        entry(code="bad-op", eligibility={"regex": ["a", "b"]}),
        entry(code="bad-policy", policy="ghost"),
    ]
    with pytest.raises(CommandError, match="共 3 处错误，未导入任何方案"):
        run("import_schemes", write(tmp_path, entries))
    assert not Scheme.objects.exists()


def test_import_schemes_reports_errors_on_standard_error(tmp_path, capsys):
    PolicyFactory(code="rd-policy")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_schemes",
            write(tmp_path, [entry(code="x", eligibility={"regex": ["a"]}), entry(code="y", policy="ghost")]),
            stdout=io.StringIO(),
            stderr=err,
        )
    assert err.getvalue().splitlines() == [
        "第 1 条（x）：资格规则：不支持的运算符：regex",
        "第 2 条（y）：未知政策：ghost",
    ]


def test_import_schemes_refuses_a_file_that_is_not_json(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("[{", encoding="utf-8")
    with pytest.raises(CommandError, match="规则不是合法的 JSON"):
        run("import_schemes", str(path))
