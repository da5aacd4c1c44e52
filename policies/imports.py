"""Reading a policy file (JSON): a list of policies with their guides, checked entry by entry.

Parsing and validation only; writing is ``services.policies_import``. Every problem of every entry is
collected, named by the entry's index and code, so a department can fix its file in one go.
"""

import datetime as dt
import json
import re
from dataclasses import dataclass, field

from policies.models import GUIDE_FIELDS, Category, HowToGet, Policy, PolicyStatus
from portal.accounts.models import Department

REQUIRED_KEYS = (
    "code",
    "title",
    "doc_number",
    "department",
    "published_on",
    "effective_from",
    "categories",
    "summary",
    "body",
    "guide",
    "status",
)
OPTIONAL_KEYS = ("effective_to", "tags")
GUIDE_KEYS = ("beneficiaries", "conditions", "how", "deadline", "office", "phone")
IMPORT_STATUSES = (PolicyStatus.DRAFT, PolicyStatus.PUBLISHED)
CODE = re.compile(r"^[-a-zA-Z0-9_]+$")


class PolicyFileError(Exception):
    """The file as a whole cannot be read (not JSON, not a list)."""


@dataclass
class EntryError:
    index: int  # position in the JSON list, from 0
    code: str
    message: str

    def __str__(self) -> str:
        code = self.code or "无代码"
        return f"第 {self.index + 1} 条（索引 {self.index}，代码 {code}）：{self.message}"


@dataclass
class PolicyImportReport:
    entries: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    published: int = 0
    dry_run: bool = False
    errors: list[EntryError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.errors:
            return f"导入被拒绝：{len(self.errors)} 条有错误，未做任何修改。"
        verb = "校验通过（未写入）" if self.dry_run else "导入完成"
        return (
            f"{verb}：共 {self.entries} 条，新增 {self.created}，更新 {self.updated}，"
            f"未变 {self.unchanged}，发布 {self.published}。"
        )


def load_entries(data: bytes) -> list:
    """The JSON list in ``data``; raises PolicyFileError when it is not one."""
    try:
        entries = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise PolicyFileError("文件不是 UTF-8 编码的 JSON。") from exc
    except json.JSONDecodeError as exc:
        raise PolicyFileError(f"JSON 格式错误：第 {exc.lineno} 行第 {exc.colno} 列，{exc.msg}。") from exc
    if not isinstance(entries, list):
        raise PolicyFileError("文件应为政策对象的 JSON 列表（以 [ 开头）。")
    return entries


def _date(value, label: str, problems: list[str], *, required: bool) -> dt.date | None:
    if value in (None, ""):
        if required:
            problems.append(f"{label}为空")
        return None
    if not isinstance(value, str):
        problems.append(f"{label}应为 YYYY-MM-DD 格式的字符串")
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        problems.append(f"{label}日期格式错误：{value}（应为 YYYY-MM-DD）")
        return None


def _text(entry: dict, key: str, label: str, problems: list[str], *, max_length: int | None = None) -> str:
    value = entry.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        problems.append(f"{label}应为字符串")
        return ""
    value = value.strip()
    if max_length and len(value) > max_length:
        problems.append(f"{label}超过 {max_length} 个字")
    return value


def clean_entry(entry, *, departments: dict, categories: dict) -> dict:
    """One entry as model values; raises ValueError listing every problem of the entry."""
    if not isinstance(entry, dict):
        raise ValueError("应为 JSON 对象")
    problems: list[str] = []
    unknown = sorted(set(entry) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS))
    if unknown:
        problems.append(f"未知的键：{'、'.join(unknown)}")
    missing = [k for k in REQUIRED_KEYS if k not in entry]
    if missing:
        problems.append(f"缺少键：{'、'.join(missing)}")

    clean: dict = {}
    code = entry.get("code")
    if "code" in entry and (not isinstance(code, str) or not CODE.match(code) or len(code) > 64):
        problems.append("代码应为字母、数字、连字符或下划线（至多 64 个字符）")
    clean["code"] = code if isinstance(code, str) else ""
    clean["title"] = _text(entry, "title", "标题", problems, max_length=200)
    if "title" in entry and not clean["title"]:
        problems.append("标题为空")
    clean["doc_number"] = _text(entry, "doc_number", "文号", problems, max_length=64)
    clean["summary"] = _text(entry, "summary", "摘要", problems)
    clean["body"] = _text(entry, "body", "正文", problems)

    department = entry.get("department")
    if "department" in entry:
        clean["department"] = departments.get(department) if isinstance(department, str) else None
        if clean["department"] is None:
            problems.append(f"没有名为“{department}”的部门")

    # A draft may not know its dates yet; a published policy must.
    dated = entry.get("status") == PolicyStatus.PUBLISHED
    clean["published_on"] = _date(entry.get("published_on"), "发布日期", problems, required=dated)
    clean["effective_from"] = _date(entry.get("effective_from"), "生效日期", problems, required=dated)
    clean["effective_to"] = _date(entry.get("effective_to"), "失效日期", problems, required=False)
    if clean["effective_from"] and clean["effective_to"] and clean["effective_to"] < clean["effective_from"]:
        problems.append("失效日期早于生效日期")

    names = entry.get("categories", [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        problems.append("类别应为类别名称的列表")
        names = []
    unknown_categories = [n for n in names if n not in categories]
    if unknown_categories:
        problems.append(f"未知类别：{'、'.join(unknown_categories)}")
    clean["categories"] = [categories[n] for n in dict.fromkeys(names) if n in categories]

    tags = entry.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        problems.append("标签应为字符串列表")
        tags = []
    clean["tags"] = [t.strip() for t in tags if t.strip()]

    guide = entry.get("guide", {})
    if not isinstance(guide, dict):
        problems.append("申兑指南（guide）应为对象")
        guide = {}
    unknown_guide = sorted(set(guide) - set(GUIDE_KEYS))
    if unknown_guide:
        problems.append(f"申兑指南中未知的键：{'、'.join(unknown_guide)}")
    for key in GUIDE_KEYS:
        clean[f"guide_{key}"] = _text(guide, key, f"申兑指南的 {key}", problems)
    if clean["guide_how"] and clean["guide_how"] not in HowToGet.values:
        problems.append(f"兑现方式（how）应为 automatic 或 application：{clean['guide_how']}")

    status = entry.get("status")
    if "status" in entry and status not in IMPORT_STATUSES:
        problems.append(f"状态（status）应为 draft 或 published：{status}")
    clean["status"] = status
    if status == PolicyStatus.PUBLISHED:
        labels = dict(GUIDE_FIELDS)
        empty = [str(labels[f"guide_{k}"]) for k in GUIDE_KEYS if not clean[f"guide_{k}"]]
        if empty:
            problems.append(f"发布的政策须有完整的申兑指南，缺少：{'、'.join(empty)}")

    if problems:
        raise ValueError("；".join(problems))
    return clean


def validate(entries: list, report: PolicyImportReport) -> list[dict]:
    """Check every entry against the file and the database; return the clean entries."""
    departments = {d.name: d for d in Department.objects.all()}
    categories = {c.name: c for c in Category.objects.all()}
    existing = {
        p.code: p
        for p in Policy.objects.filter(
            code__in=[
                e.get("code") for e in entries if isinstance(e, dict) and isinstance(e.get("code"), str)
            ]
        )
    }
    seen: dict[str, int] = {}
    cleaned = []
    for index, entry in enumerate(entries):
        report.entries += 1
        code = entry.get("code") if isinstance(entry, dict) and isinstance(entry.get("code"), str) else ""
        try:
            clean = clean_entry(entry, departments=departments, categories=categories)
        except ValueError as exc:
            report.errors.append(EntryError(index, code, str(exc)))
            continue
        if code in seen:
            report.errors.append(EntryError(index, code, f"与第 {seen[code] + 1} 条代码重复"))
            continue
        seen[code] = index
        current = existing.get(code)
        if (
            current is not None
            and current.status != PolicyStatus.DRAFT
            and clean["status"] == PolicyStatus.DRAFT
        ):
            report.errors.append(
                EntryError(index, code, f"该政策已是“{current.get_status_display()}”，不能改回草稿")
            )
            continue
        cleaned.append(clean)
    return cleaned
