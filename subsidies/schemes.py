"""Schemes (兑现方案) as data: their rules validated before they are saved, and imported from JSON.

A rule is refused when ``rules.validate`` refuses it (unknown operator or variable, wrong type) or when the
SQL compiler cannot evaluate it faithfully, so every saved rule runs the same in Python and in SQL.
Numbers in rules are read as ``Decimal``; JSON columns keep them as JSON numbers, which read back as
floats, so a number is accepted only if it survives that trip exactly (up to 15 significant digits).
"""

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction
from django.utils.translation import gettext as _

from policies.models import Policy
from subsidies import rules
from subsidies.catalogues import catalogue, other_catalogue_variables
from subsidies.models import Allocation, Beneficiary, Scheme, SchemeMode, SchemeStatus
from subsidies.rules.compiler import AMOUNT_LIMIT, compile_amount, compile_condition
from subsidies.rules.logic import is_number
from subsidies.variables import Context

KEYS = (
    "code",
    "policy",
    "title",
    "mode",
    "beneficiary",
    "facts_year",
    "reference_date",
    "period",
    "eligibility",
    "amount",
    "cap_per_enterprise",
    "budget",
    "allocation",
    "exclusive_group",
    "top_up",
    "publicity_days",
    "status",
)
REQUIRED = (
    "code",
    "policy",
    "title",
    "mode",
    "facts_year",
    "period",
    "eligibility",
    "amount",
    "budget",
    "allocation",
    "status",
)
# Forward only: a closed scheme does not reopen, an active one does not go back to draft.
_STATUS_ORDER = [SchemeStatus.DRAFT, SchemeStatus.ACTIVE, SchemeStatus.CLOSED]
_FEN = Decimal("0.01")
# Any context serves to compile-check a rule: the SQL's shape does not depend on the dates.
_CHECK_CONTEXT = Context(2000, dt.date(2000, 12, 31))


class SchemeError(Exception):
    """A scheme or a rule that cannot be saved, with a message for people."""


def _foreign_variables(rule: Any, beneficiary: str) -> None:
    """RuleError naming the first variable of another kind's catalogue (an enterprise's revenue asked of
    a household, a deed tax asked of an enterprise): clearer than "unknown variable"."""
    foreign = other_catalogue_variables(beneficiary)
    for name in sorted(rules.variables_used(rule)):
        if name in foreign:
            kind, variable = foreign[name]
            raise rules.RuleError(
                _("变量 %(name)s（%(label)s）属于“%(kind)s”，“%(own)s”方案不能使用")
                % {
                    "name": name,
                    "label": variable.label,
                    "kind": Beneficiary(kind).label,
                    "own": Beneficiary(beneficiary).label,
                }
            )


def scheme_validate(
    *, eligibility: Any, amount_rule: Any, beneficiary: str = Beneficiary.ENTERPRISES
) -> None:
    """Raise SchemeError, in Chinese, unless both rules are valid for the scheme's kind of beneficiary
    (its variables catalogue) and evaluate the same in SQL."""
    kind = catalogue(beneficiary)
    specs = kind.variable_specs()
    resolver = kind.resolver
    eligibility = rules.normalize(eligibility)
    amount_rule = rules.normalize(amount_rule)
    try:
        _foreign_variables(eligibility, beneficiary)
        rules.validate(eligibility, specs)
        compile_condition(eligibility, resolver(_CHECK_CONTEXT))
    except rules.RuleError as error:
        raise SchemeError(_("资格规则：%(error)s") % {"error": error}) from None
    if isinstance(amount_rule, bool):
        raise SchemeError(_("金额规则：金额必须是数字或得出数字的规则"))
    if is_number(amount_rule):
        if amount_rule < 0:
            raise SchemeError(_("金额规则：金额不能为负数"))
        if amount_rule >= AMOUNT_LIMIT:
            raise SchemeError(
                _("金额规则：金额须小于 %(limit)s 元（兑现金额字段的上限）") % {"limit": f"{AMOUNT_LIMIT:,}"}
            )
    else:
        try:
            _foreign_variables(amount_rule, beneficiary)
            rules.validate_amount(amount_rule, specs)
            compile_amount(amount_rule, resolver(_CHECK_CONTEXT))
        except rules.RuleError as error:
            raise SchemeError(_("金额规则：%(error)s") % {"error": error}) from None
    for name, rule in ((_("资格规则"), eligibility), (_("金额规则"), amount_rule)):
        try:
            storable(rule)
        except ValueError as error:
            raise SchemeError(f"{name}：{error}") from None


def storable(rule: Any) -> Any:
    """The rule with Decimals as JSON numbers; ValueError if one would not read back exactly."""
    if isinstance(rule, Decimal):
        if rule == rule.to_integral_value() and abs(rule) < 2**53:
            return int(rule)
        as_float = float(rule)
        if Decimal(repr(as_float)) != rule:
            raise ValueError(_("数字 %(n)s 的有效位数过多（最多 15 位）") % {"n": format(rule, "f")})
        return as_float
    if isinstance(rule, Mapping):
        return {key: storable(value) for key, value in rule.items()}
    if isinstance(rule, list | tuple):
        return [storable(item) for item in rule]
    return rule


# ---- import ---------------------------------------------------------------------------------------------


@dataclass
class SchemesImportReport:
    """What an import did (or, in a dry run, would do), or why it did nothing."""

    dry_run: bool = False
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _money(value: Any, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise SchemeError(_("%(what)s必须是数字") % {"what": what})
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise SchemeError(_("%(what)s必须是数字") % {"what": what}) from None
    if not number.is_finite() or number < 0:
        raise SchemeError(_("%(what)s不能为负数") % {"what": what})
    if number != number.quantize(_FEN):
        raise SchemeError(_("%(what)s最多两位小数（分）") % {"what": what})
    return number.quantize(_FEN)


def _choice(value: Any, choices, what: str) -> str:
    if value not in choices.values:
        allowed = "、".join(choices.values)
        raise SchemeError(
            _("%(what)s应为 %(allowed)s 之一，实际是 %(value)r")
            % {"what": what, "allowed": allowed, "value": value}
        )
    return value


def _integer(value: Any, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | Decimal) or value != int(value):
        raise SchemeError(_("%(what)s必须是整数") % {"what": what})
    if not low <= int(value) <= high:
        raise SchemeError(
            _("%(what)s应在 %(low)s 到 %(high)s 之间") % {"what": what, "low": low, "high": high}
        )
    return int(value)


def _text(value: Any, what: str, limit: int, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise SchemeError(_("%(what)s必须是非空文本") % {"what": what})
    if len(value) > limit:
        raise SchemeError(_("%(what)s最长 %(limit)s 个字") % {"what": what, "limit": limit})
    return value.strip()


def _clean(entry: Any, policies: Mapping[str, Policy]) -> dict[str, Any]:
    """One import entry as Scheme field values; SchemeError naming the first problem."""
    if not isinstance(entry, Mapping):
        raise SchemeError(_("每一条应为 JSON 对象"))
    unknown = sorted(set(entry) - set(KEYS))
    if unknown:
        raise SchemeError(_("未知字段：%(keys)s") % {"keys": "、".join(unknown)})
    absent = [key for key in REQUIRED if key not in entry]
    if absent:
        raise SchemeError(_("缺少字段：%(keys)s") % {"keys": "、".join(absent)})
    code = _text(entry["code"], _("方案代码"), 64)
    try:
        validate_slug(code)
    except ValidationError:
        raise SchemeError(
            _("方案代码只能由字母、数字、下划线和连字符组成：%(code)s") % {"code": code}
        ) from None
    policy = policies.get(entry["policy"]) if isinstance(entry["policy"], str) else None
    if policy is None:
        raise SchemeError(_("未知政策：%(policy)s") % {"policy": entry["policy"]})
    facts_year = _integer(entry["facts_year"], _("数据年度"), 2000, 2100)
    reference = entry.get("reference_date")
    if reference is None:
        reference_date = dt.date(facts_year, 12, 31)
    else:
        try:
            reference_date = dt.date.fromisoformat(reference)
        except (TypeError, ValueError):
            raise SchemeError(_("基准日应写作 YYYY-MM-DD，实际是 %(value)r") % {"value": reference}) from None
    eligibility = rules.normalize(entry["eligibility"])
    amount_rule = rules.normalize(entry["amount"])
    beneficiary = _choice(
        entry.get("beneficiary", Beneficiary.ENTERPRISES), Beneficiary, _("兑现对象（beneficiary）")
    )
    scheme_validate(eligibility=eligibility, amount_rule=amount_rule, beneficiary=beneficiary)
    cap = entry.get("cap_per_enterprise")
    group = _text(entry.get("exclusive_group"), _("从高不重复组"), 64, required=False)
    top_up = entry.get("top_up", False)
    if not isinstance(top_up, bool):
        raise SchemeError(_("级差兑现（top_up）应为 true 或 false"))
    if top_up and not group:
        raise SchemeError(_("级差兑现须同时设置从高不重复组（exclusive_group）"))
    return {
        "code": code,
        "policy": policy,
        "title": _text(entry["title"], _("方案名称"), 200),
        "mode": _choice(entry["mode"], SchemeMode, _("兑现方式（mode）")),
        "beneficiary": beneficiary,
        "facts_year": facts_year,
        "reference_date": reference_date,
        "period": _text(entry["period"], _("兑现批次（period）"), 16),
        "eligibility": storable(eligibility),
        "amount_rule": storable(amount_rule),
        "cap_per_enterprise": None if cap is None else _money(cap, _("单户上限")),
        "budget": _money(entry["budget"], _("预算")),
        "allocation": _choice(entry["allocation"], Allocation, _("预算分配方式（allocation）")),
        "exclusive_group": group,
        "top_up": top_up,
        "publicity_days": _integer(entry.get("publicity_days", 5), _("公示期"), 0, 60),
        "status": _choice(entry["status"], SchemeStatus, _("状态（status）")),
    }


def _check_update(scheme: Scheme, values: Mapping[str, Any]) -> None:
    before, after = _STATUS_ORDER.index(scheme.status), _STATUS_ORDER.index(values["status"])
    if after < before:
        raise SchemeError(
            _("方案状态只能按 草稿→执行中→已结束 推进，不能从“%(old)s”改回“%(new)s”")
            % {"old": scheme.get_status_display(), "new": SchemeStatus(values["status"]).label}
        )
    if values["beneficiary"] != scheme.beneficiary and scheme.awards.exists():
        raise SchemeError(
            _("方案已有兑现记录，兑现对象不能从“%(old)s”改为“%(new)s”")
            % {"old": scheme.get_beneficiary_display(), "new": Beneficiary(values["beneficiary"]).label}
        )
    if values["budget"] < scheme.committed:
        raise SchemeError(
            _("预算 %(budget)s 元低于已承诺的 %(committed)s 元")
            % {"budget": values["budget"], "committed": scheme.committed}
        )


def _changed(scheme: Scheme, values: Mapping[str, Any]) -> list[str]:
    changed = []
    for name, value in values.items():
        current = scheme.policy_id if name == "policy" else getattr(scheme, name)
        wanted = value.pk if name == "policy" else value
        if current != wanted:
            changed.append(name)
    return changed


@transaction.atomic
def scheme_upsert(*, data: Mapping[str, Any]) -> Scheme:
    """Create or update one scheme by code from an import entry; SchemeError if it is not valid."""
    policies = {}
    if isinstance(data.get("policy"), str):
        policies = {policy.code: policy for policy in Policy.objects.filter(code=data["policy"])}
    values = _clean(data, policies)
    scheme = Scheme.objects.select_for_update().filter(code=values["code"]).first()
    if scheme is None:
        return Scheme.objects.create(**values)
    _check_update(scheme, values)
    changed = _changed(scheme, values)
    for name in changed:
        setattr(scheme, name, values[name])
    if changed:
        scheme.save()
    return scheme


def schemes_import(*, entries: Sequence[Any], dry_run: bool = False) -> SchemesImportReport:
    """Upsert schemes by code from import entries: all of them, or none and every problem listed."""
    report = SchemesImportReport(dry_run=dry_run)
    if not isinstance(entries, list | tuple):
        report.errors.append(_("文件内容应为方案对象的 JSON 列表"))
        return report
    codes = [entry.get("policy") for entry in entries if isinstance(entry, Mapping)]
    policies = {
        policy.code: policy
        for policy in Policy.objects.filter(code__in=[c for c in codes if isinstance(c, str)])
    }
    existing = {scheme.code: scheme for scheme in Scheme.objects.all()}
    cleaned, seen = [], {}
    for index, entry in enumerate(entries, start=1):
        label = entry.get("code") if isinstance(entry, Mapping) else None
        where = _("第 %(index)s 条（%(code)s）") % {"index": index, "code": label or _("无代码")}
        try:
            values = _clean(entry, policies)
            if values["code"] in seen:
                raise SchemeError(_("与第 %(other)s 条代码重复") % {"other": seen[values["code"]]})
            seen[values["code"]] = index
            if values["code"] in existing:
                _check_update(existing[values["code"]], values)
        except SchemeError as error:
            report.errors.append(f"{where}：{error}")
            continue
        cleaned.append(values)
    if report.errors:
        return report
    with transaction.atomic():
        for values in cleaned:
            scheme = existing.get(values["code"])
            if scheme is None:
                report.created.append(values["code"])
                if not dry_run:
                    Scheme.objects.create(**values)
                continue
            changed = _changed(scheme, values)
            if not changed:
                report.unchanged.append(values["code"])
                continue
            report.updated.append(values["code"])
            if not dry_run:
                for name in changed:
                    setattr(scheme, name, values[name])
                scheme.save()
    return report
