"""``import_policies``: upsert by code, all entries or none, every bad entry named by index and code."""

import json

import pytest
from django.core.management import CommandError, call_command

from policies import services
from policies.imports import PolicyFileError
from policies.models import Policy, PolicyStatus
from tests.factories import DepartmentFactory
from tests.policies.factories import CategoryFactory, PolicyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def reference_data(db):
    DepartmentFactory(code="cxfz", name="创新发展局")
    CategoryFactory(slug="tech", name="科技创新")
    CategoryFactory(slug="finance", name="金融")


def entry(code="rd-investment-2023", **changes) -> dict:
    data = {
        "code": code,
        "title": "郑州高新区关于支持企业加大研发投入的若干措施",
        "doc_number": "郑高管〔2023〕3号",
        "department": "创新发展局",
        "published_on": "2023-02-10",
        "effective_from": "2023-01-01",
        "effective_to": "2027-12-31",
        "categories": ["科技创新"],
        "tags": ["研发费用"],
        "summary": "按研发费用增量给予补助。",
        "body": "**第一条** 按研发费用增量的 10% 给予补助。",
        "guide": {
            "beneficiaries": "规上工业企业",
            "conditions": "研发费用不低于 100 万元",
            "how": "automatic",
            "deadline": "每半年匹配一次",
            "office": "政务服务中心 3 号窗口",
            "phone": "0371-67980001",
        },
        "status": "published",
    }
    data.update(changes)
    return data


def run(entries, **kwargs):
    return services.policies_import(data=json.dumps(entries, ensure_ascii=False).encode(), **kwargs)


def test_a_good_file_creates_and_publishes_its_policies():
    report = run([entry(), entry("loan", title="科技贷款贴息细则", categories=["金融"], status="draft")])

    assert report.summary() == "导入完成：共 2 条，新增 2，更新 0，未变 0，发布 1。"
    rd = Policy.objects.get(code="rd-investment-2023")
    assert (rd.status, rd.guide_how, rd.search_title) == (
        PolicyStatus.PUBLISHED,
        "automatic",
        "郑州 高新 新区 高新区 支持 企业 加大 研发 投入 措施",
    )
    assert list(rd.categories.values_list("name", flat=True)) == ["科技创新"]
    assert Policy.objects.get(code="loan").status == PolicyStatus.DRAFT


def test_importing_the_same_file_twice_changes_nothing_the_second_time():
    run([entry()])
    before = Policy.objects.get().updated_at

    report = run([entry()])

    assert report.summary() == "导入完成：共 1 条，新增 0，更新 0，未变 1，发布 0。"
    assert Policy.objects.get().updated_at == before


def test_an_entry_with_a_known_code_updates_that_policy():
    run([entry()])

    report = run([entry(title="新标题", categories=["科技创新", "金融"])])

    assert (report.created, report.updated) == (0, 1)
    policy = Policy.objects.get()
    assert policy.title == "新标题"
    assert policy.categories.count() == 2


def test_every_bad_entry_is_named_by_index_and_code_and_nothing_is_written():
    guide = dict(entry()["guide"], phone="", how="sometimes")
    report = run(
        [
            entry("good"),
            entry("bad-dept", department="不存在的局"),
            entry("bad-guide", guide=guide),
            entry("good"),
            {"code": "extra", "colour": "red"},
            entry("Bad Code!", effective_to="2022-01-01", published_on="2023/02/10", categories=["航天"]),
        ]
    )

    assert [str(e) for e in report.errors] == [
        "第 2 条（索引 1，代码 bad-dept）：没有名为“不存在的局”的部门",
        "第 3 条（索引 2，代码 bad-guide）：兑现方式（how）应为 automatic 或 application：sometimes；"
        "发布的政策须有完整的申兑指南，缺少：咨询电话",
        "第 4 条（索引 3，代码 good）：与第 1 条代码重复",
        "第 5 条（索引 4，代码 extra）：未知的键：colour；缺少键：title、doc_number、department、"
        "published_on、effective_from、categories、summary、body、guide、status",
        "第 6 条（索引 5，代码 Bad Code!）：代码应为字母、数字、连字符或下划线（至多 64 个字符）；"
        "发布日期日期格式错误：2023/02/10（应为 YYYY-MM-DD）；失效日期早于生效日期；未知类别：航天",
    ]
    assert report.summary() == "导入被拒绝：5 条有错误，未做任何修改。"
    assert Policy.objects.count() == 0


def test_a_published_policy_cannot_be_turned_back_into_a_draft_by_import():
    PolicyFactory(code="rd", department=DepartmentFactory(code="cxfz"), status="published")

    report = run([entry("rd", status="draft")])

    assert [str(e) for e in report.errors] == [
        "第 1 条（索引 0，代码 rd）：该政策已是“现行有效”，不能改回草稿"
    ]


def test_a_dry_run_checks_everything_and_writes_nothing():
    report = run([entry()], dry_run=True)

    assert report.summary() == "校验通过（未写入）：共 1 条，新增 0，更新 0，未变 0，发布 0。"
    assert Policy.objects.count() == 0


def test_a_draft_may_leave_its_dates_and_guide_empty_until_it_is_published():
    report = run([entry("ai", published_on=None, effective_from=None, guide={}, status="draft")])

    assert report.ok
    assert Policy.objects.get(code="ai").published_on is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "JSON 格式错误：第 1 行第 2 列"),
        (b'{"code": "x"}', "文件应为政策对象的 JSON 列表"),
        ("[]".encode("utf-16"), "文件不是 UTF-8 编码的 JSON。"),
    ],
)
def test_a_file_that_is_not_a_json_list_is_refused_whole(data, message):
    with pytest.raises(PolicyFileError, match=message):
        services.policies_import(data=data)


def test_the_command_reports_and_fails_on_errors(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([entry(department="无")], ensure_ascii=False), encoding="utf-8")

    with pytest.raises(CommandError, match="导入被拒绝：1 条有错误"):
        call_command("import_policies", str(bad), verbosity=0)

    assert "第 1 条（索引 0，代码 rd-investment-2023）：没有名为“无”的部门" in capsys.readouterr().err


def test_the_command_imports_a_good_file_and_honours_dry_run(tmp_path, capsys):
    good = tmp_path / "good.json"
    good.write_text(json.dumps([entry()], ensure_ascii=False), encoding="utf-8")

    call_command("import_policies", str(good), "--dry-run", verbosity=0)
    assert Policy.objects.count() == 0
    call_command("import_policies", str(good), verbosity=0)

    assert "导入完成：共 1 条，新增 1" in capsys.readouterr().out
    assert Policy.objects.get().status == PolicyStatus.PUBLISHED


def test_the_command_says_when_the_file_cannot_be_read(tmp_path):
    with pytest.raises(CommandError, match="无法读取文件"):
        call_command("import_policies", str(tmp_path / "missing.json"), verbosity=0)
