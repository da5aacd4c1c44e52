"""Forms of the award pages and the admin: confirmation, decline, review, payment, calculator, rules."""

import json
import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from portal.enterprises.models import CreditRating, Park, QualificationCode
from subsidies.models import Scheme
from subsidies.services import BANK_ACCOUNT_RE


def _bank_account(value: str) -> str:
    account = re.sub(r"[\s-]", "", value or "")
    if not BANK_ACCOUNT_RE.match(account):
        raise ValidationError(_("银行账号应为 8 至 30 位数字。"), code="bank_account")
    return account


def _card_bank_name() -> forms.CharField:
    """The bank of a household's card: the same field wherever a buyer's card is entered."""
    return forms.CharField(
        label=_("开户银行"),
        max_length=100,
        help_text=_("写到支行，如“中国银行郑州高新区支行”。"),
        error_messages={"required": _("请填写开户银行。")},
    )


def _card_number() -> forms.CharField:
    """A household's card number (checked by ``_bank_account`` in the form's clean)."""
    return forms.CharField(
        label=_("银行卡号"),
        max_length=40,
        help_text=_("8 至 30 位数字，可含空格。"),
        error_messages={"required": _("请填写银行卡号。")},
    )


class ConfirmForm(forms.Form):
    """意愿确认: the account the award is paid to."""

    bank_name = forms.CharField(label=_("开户银行"), max_length=100)
    bank_account_name = forms.CharField(
        label=_("账户名称"), max_length=200, help_text=_("须与企业名称一致（企业本单位对公账户）。")
    )
    bank_account = forms.CharField(
        label=_("银行账号"), max_length=40, help_text=_("8 至 30 位数字，可含空格。")
    )
    agree = forms.BooleanField(
        label=_("本企业确认所列数据属实，同意按上述金额接受兑现，并对收款账户信息的真实性负责。"),
        error_messages={"required": _("请勾选确认声明。")},
    )

    def __init__(self, *args, enterprise=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.enterprise = enterprise
        if enterprise is not None and not self.is_bound:
            self.initial.setdefault("bank_account_name", enterprise.name)

    def clean_bank_account(self) -> str:
        return _bank_account(self.cleaned_data["bank_account"])

    def clean_bank_account_name(self) -> str:
        name = self.cleaned_data["bank_account_name"].strip()
        if self.enterprise is not None and name != self.enterprise.name:
            message = _("账户名称须与企业名称“%(name)s”一致。") % {"name": self.enterprise.name}
            raise ValidationError(message, code="account_name")
        return name


class HouseholdConfirmForm(forms.Form):
    """意愿确认 of a household award: the buyer's own bank card."""

    bank_name = _card_bank_name()
    bank_account_name = forms.CharField(
        label=_("账户名称"),
        max_length=200,
        help_text=_("须为您本人姓名：补贴只拨付到购房人本人名下的银行卡。"),
        error_messages={"required": _("请填写账户名称。")},
    )
    bank_account = _card_number()
    agree = forms.BooleanField(
        label=_("本人确认购房信息属实，同意按上述金额接受补贴，并对银行卡信息的真实性负责。"),
        error_messages={"required": _("请勾选确认声明。")},
    )

    def __init__(self, *args, person, **kwargs):
        super().__init__(*args, **kwargs)
        self.person = person
        if not self.is_bound:
            self.initial.setdefault("bank_account_name", person.name)

    def clean_bank_account(self) -> str:
        return _bank_account(self.cleaned_data["bank_account"])

    def clean_bank_account_name(self) -> str:
        name = self.cleaned_data["bank_account_name"].strip()
        if name != self.person.name:
            message = _("账户名称须为您本人姓名“%(name)s”：补贴只拨付到购房人本人名下的银行卡。") % {
                "name": self.person.name
            }
            raise ValidationError(message, code="account_name")
        return name


class DeclineForm(forms.Form):
    """放弃兑现: a reason and an explicit acknowledgement that it cannot be undone."""

    reason = forms.CharField(
        label=_("放弃原因"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("请填写放弃兑现的原因。")},
    )
    understood = forms.BooleanField(
        label=_("我已知悉：放弃后本项兑现即告终止，不能恢复；如需再次享受须联系主管部门。"),
        error_messages={"required": _("请勾选确认您已知悉放弃的后果。")},
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError(_("请填写放弃兑现的原因。"), code="required")
        return reason


class ReasonForm(forms.Form):
    """The reason of a rejection or revocation (admin)."""

    reason = forms.CharField(label=_("原因"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class BatchForm(forms.Form):
    """A new payment batch (admin)."""

    title = forms.CharField(label=_("批次名称"), max_length=120)


class MarkPaidForm(forms.Form):
    """The bank's reference for a paid batch (admin)."""

    reference = forms.CharField(label=_("银行回单号"), max_length=64)


class OfflineConfirmForm(ConfirmForm):
    """A paper confirmation the enterprise handed in, recorded by staff (admin)."""

    # A sentence ending in 。: no colon after it.
    agree = forms.BooleanField(
        label=_("已收到加盖企业公章的《兑现确认书》原件，账户信息与确认书一致。"),
        label_suffix="",
        error_messages={"required": _("请勾选确认已收到确认书原件。")},
    )


class HouseholdOfflineConfirmForm(forms.Form):
    """A paper confirmation a buyer handed in, recorded by staff (admin): which buyer, and their card."""

    buyer = forms.TypedChoiceField(
        label=_("确认的购房人"),
        coerce=int,
        help_text=_("选择在《补贴确认书》上签字的购房人；补贴拨付到其本人名下的银行卡。"),
        error_messages={
            "required": _("请选择确认的购房人。"),
            "invalid_choice": _("请从该购房记录的购房人中选择。"),
        },
    )
    bank_name = _card_bank_name()
    bank_account = _card_number()
    agree = forms.BooleanField(
        label=_(
            "已收到该购房人签字的《补贴确认书》原件并核对其身份证件；银行卡为其本人名下，卡号与确认书一致。"
        ),
        label_suffix="",
        error_messages={"required": _("请勾选确认已收到确认书原件并核对身份。")},
    )

    def __init__(self, *args, buyers, **kwargs):
        """``buyers``: the purchase's PurchaseBuyer rows with their persons, 主购房人 first."""
        super().__init__(*args, **kwargs)
        self.persons = {link.person.pk: link.person for link in buyers}
        self.fields["buyer"].choices = [
            ("", "—"),
            *(
                (
                    link.person.pk,
                    f"{link.person.masked_name}（{link.person.masked_id_number}）"
                    + (_("，主购房人") if index == 0 else ""),
                )
                for index, link in enumerate(buyers)
            ),
        ]

    def clean_buyer(self):
        return self.persons[self.cleaned_data["buyer"]]

    def clean_bank_account(self) -> str:
        return _bank_account(self.cleaned_data["bank_account"])


_YES_NO = [("", _("不确定")), ("yes", _("是")), ("no", _("否"))]


def _money(label) -> forms.DecimalField:
    return forms.DecimalField(label=label, required=False, min_value=0, max_digits=14, decimal_places=2)


class CalculatorForm(forms.Form):
    """政策计算器: an enterprise profile typed in by anyone; nothing is stored."""

    park = forms.ChoiceField(label=_("所属园区"), required=False, choices=[("", _("不确定")), *Park.choices])
    industry_code = forms.RegexField(
        label=_("行业代码"),
        required=False,
        regex=r"^[A-Ta-t](\d{2,4})?$",
        max_length=5,
        help_text=_("国民经济行业分类代码，如 C3985（电子专用材料制造）；只知门类可填 C"),
        error_messages={"invalid": _("行业代码应为门类字母加 2 至 4 位数字，如 C3985。")},
    )
    age_years = forms.IntegerField(label=_("成立年限（年）"), required=False, min_value=0, max_value=200)
    registered_capital = _money(_("注册资本（万元）"))
    is_above_scale = forms.ChoiceField(label=_("规模以上企业"), required=False, choices=_YES_NO)
    credit_rating = forms.ChoiceField(
        label=_("纳税信用等级"), required=False, choices=[("", _("未评级或不确定")), *CreditRating.choices]
    )
    blacklisted = forms.BooleanField(label=_("已列入失信名单"), required=False)
    revenue = _money(_("近一年度营业收入（万元）"))
    rd_expense = _money(_("近一年度研发费用（万元）"))
    employees = forms.IntegerField(label=_("近一年度从业人数"), required=False, min_value=0)
    tax_paid = _money(_("近一年度纳税总额（万元）"))
    prev_revenue = _money(_("前一年度营业收入（万元）"))
    prev_rd_expense = _money(_("前一年度研发费用（万元）"))
    prev_employees = forms.IntegerField(label=_("前一年度从业人数"), required=False, min_value=0)
    prev_tax_paid = _money(_("前一年度纳税总额（万元）"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for code, label in QualificationCode.choices:
            self.fields[f"q_{code}"] = forms.IntegerField(
                label=_("%(name)s认定年度") % {"name": label},
                required=False,
                min_value=1990,
                max_value=2100,
                help_text=_("未获得则留空"),
            )

    def qualification_fields(self):
        return [self[f"q_{code}"] for code in QualificationCode.values]

    def is_empty(self) -> bool:
        """Nothing typed in (or chosen): no profile to judge, which the page says is 信息不全."""
        return not any(value not in (None, "", False) for value in self.cleaned_data.values())

    def profile(self) -> dict:
        """The cleaned form as the calculator's profile (variable names as keys)."""
        data = self.cleaned_data
        profile = {
            "park": data["park"],
            "industry_code": data["industry_code"],
            "age_years": data["age_years"],
            "registered_capital": data["registered_capital"],
            "is_above_scale": {"yes": True, "no": False}.get(data["is_above_scale"]),
            "credit_rating": data["credit_rating"],
            "blacklisted": data["blacklisted"],
            "qualification_years": {code: data[f"q_{code}"] for code in QualificationCode.values},
        }
        for name in ("revenue", "rd_expense", "employees", "tax_paid"):
            profile[name] = data[name]
            profile[f"prev.{name}"] = data[f"prev_{name}"]
        return profile


# — the scheme form with its rule builder (admin) —

RULE_ROWS = 8
OPERATORS = [
    ("", "—"),
    (">=", "≥"),
    (">", ">"),
    ("<=", "≤"),
    ("<", "<"),
    ("==", "="),
    ("!=", "≠"),
    ("in", _("属于（多个值用逗号分隔）")),
    ("holds", _("持有资质")),
    ("lacks", _("未持有资质")),
    ("true", _("为“是”")),
    ("false", _("为“否”")),
]
COMPARISON_OPS = {">=", ">", "<=", "<", "==", "!="}


def _all_variables() -> dict:
    """Both catalogues' variables by name (a household scheme's rows name purchase facts)."""
    from subsidies.catalogues import catalogue
    from subsidies.models import Beneficiary

    return {name: v for kind in Beneficiary.values for name, v in catalogue(kind).variables.items()}


def _variable_choices(*, numbers: bool = False):
    """The builder's variables, grouped by whom they describe (validation refuses the other kind's)."""
    from subsidies.catalogues import catalogue
    from subsidies.models import Beneficiary

    groups = [
        (
            str(Beneficiary(kind).label),
            [
                (name, f"{v.label}（{name}）")
                for name, v in catalogue(kind).variables.items()
                if not numbers or v.type == "number"
            ],
        )
        for kind in Beneficiary.values
    ]
    return [("", "—"), *groups]


class RuleBuilderError(ValueError):
    """A rule the form-based builder cannot show as rows; it is edited as JsonLogic instead."""


def _literal(text: str, kind: str):
    """A value typed into a builder row, as the rule holds it."""
    from decimal import Decimal, InvalidOperation

    from subsidies.schemes import storable

    text = text.strip()
    if kind == "number":
        try:
            return storable(Decimal(text))
        except (InvalidOperation, ValueError):
            raise ValidationError(_("“%(v)s”不是数字。") % {"v": text}) from None
    if kind == "boolean":
        if text in ("是", "true", "1"):
            return True
        if text in ("否", "false", "0"):
            return False
        raise ValidationError(_("“%(v)s”应为 是 或 否。") % {"v": text})
    return text


def rows_to_rule(rows: list[dict], combinator: str):
    """JsonLogic from builder rows (variable, operator, value or another variable)."""
    variables = _all_variables()

    clauses = []
    for row in rows:
        name, op = row.get("variable"), row.get("op")
        if not name and not op:
            continue
        if not name or not op:
            raise ValidationError(_("每一条条件都要选择数据项和比较方式。"))
        variable = variables[name]
        var = {"var": name}
        other, value = row.get("other"), (row.get("value") or "").strip()
        if op in ("holds", "lacks"):
            if name != "qualifications":
                raise ValidationError(_("“持有资质”只能用于“所获资质”。"))
            code = value if value in QualificationCode.values else _code_of(value)
            clause = {"in": [code, var]}
            clauses.append(clause if op == "holds" else {"!": clause})
        elif op in ("true", "false"):
            if variable.type != "boolean":
                raise ValidationError(_("“为是/为否”只能用于是非型数据项。"))
            clauses.append(var if op == "true" else {"!": var})
        elif op == "in":
            items = [_literal(part, variable.type) for part in re.split(r"[,，、\s]+", value) if part]
            if not items:
                raise ValidationError(_("“属于”需要至少一个值。"))
            clauses.append({"in": [var, items]})
        else:
            if other:
                clauses.append({op: [var, {"var": other}]})
            elif value:
                clauses.append({op: [var, _literal(value, variable.type)]})
            else:
                raise ValidationError(_("条件“%(label)s”缺少比较值。") % {"label": variable.label})
    if not clauses:
        return None
    if len(clauses) == 1:
        return clauses[0]
    return {combinator: clauses}


def _code_of(label: str) -> str:
    for code, name in QualificationCode.choices:
        if label == name:
            return code
    raise ValidationError(
        _("未知资质“%(v)s”，可选：%(all)s") % {"v": label, "all": "、".join(QualificationCode.values)}
    )


def rule_to_rows(rule) -> tuple[str, list[dict]]:
    """(combinator, rows) of a rule the builder can show; RuleBuilderError for other shapes."""
    if isinstance(rule, dict) and len(rule) == 1 and next(iter(rule)) in ("and", "or"):
        combinator, clauses = next(iter(rule.items()))
    else:
        combinator, clauses = "and", [rule]
    rows = [_row(clause) for clause in clauses]
    if len(rows) > RULE_ROWS:
        raise RuleBuilderError("too many clauses")
    return combinator, rows


def _is_var(node) -> bool:
    return isinstance(node, dict) and set(node) == {"var"} and isinstance(node["var"], str)


def _show(value) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def _row(clause) -> dict:
    if _is_var(clause):
        return {"variable": clause["var"], "op": "true"}
    if not isinstance(clause, dict) or len(clause) != 1:
        raise RuleBuilderError("not a leaf")
    op, args = next(iter(clause.items()))
    if op == "!" and _is_var(args):
        return {"variable": args["var"], "op": "false"}
    if op == "!" and isinstance(args, dict) and "in" in args:
        row = _row(args)
        if row["op"] == "holds":
            return {**row, "op": "lacks"}
    if op == "in" and isinstance(args, list) and len(args) == 2:
        needle, haystack = args
        if isinstance(needle, str) and _is_var(haystack) and haystack["var"] == "qualifications":
            return {"variable": "qualifications", "op": "holds", "value": needle}
        if _is_var(needle) and isinstance(haystack, list):
            return {"variable": needle["var"], "op": "in", "value": ", ".join(_show(v) for v in haystack)}
    if op in COMPARISON_OPS and isinstance(args, list) and len(args) == 2 and _is_var(args[0]):
        if _is_var(args[1]):
            return {"variable": args[0]["var"], "op": op, "other": args[1]["var"]}
        if not isinstance(args[1], dict | list):
            return {"variable": args[0]["var"], "op": op, "value": _show(args[1])}
    raise RuleBuilderError("not a simple comparison")


AMOUNT_KINDS = [
    ("fixed", _("固定金额")),
    ("product", _("数据项 × 系数（可减去另一数据项）")),
    ("formula", _("计算公式（封顶、取小、按条件）")),
    ("json", _("JsonLogic 公式")),
]
FORMULA_HELP = _(
    "数据项用其名称（如 rd_expense、prev.rd_expense、qualification_year.high_tech）；且、或、非；"
    '比较 >= > <= < == !=；qualifications 包含 "high_tech"；credit_rating 属于 ["A", "B"]；'
    "+ - * /；最小(…)、最大(…)；如果(条件, 是则, 否则)；是、否。"
)


def _amount_parts(rule) -> dict:
    """The amount builder's fields for a rule, or {"amount_kind": "json"}."""
    from decimal import Decimal

    if isinstance(rule, int | float | Decimal) and not isinstance(rule, bool):
        return {"amount_kind": "fixed", "amount_fixed": rule}
    if isinstance(rule, dict) and list(rule) == ["*"] and len(rule["*"]) == 2:
        base, factor = rule["*"]
        if isinstance(factor, int | float | Decimal) and not isinstance(factor, bool):
            if _is_var(base):
                return {"amount_kind": "product", "amount_variable": base["var"], "amount_factor": factor}
            if (
                isinstance(base, dict)
                and list(base) == ["-"]
                and len(base["-"]) == 2
                and all(map(_is_var, base["-"]))
            ):
                minuend, subtrahend = base["-"]
                return {
                    "amount_kind": "product",
                    "amount_variable": minuend["var"],
                    "amount_minus": subtrahend["var"],
                    "amount_factor": factor,
                }
    return {"amount_kind": "json"}


def _pretty(rule) -> str:
    from subsidies.schemes import storable

    return json.dumps(storable(rule), ensure_ascii=False, indent=2)


class SchemeForm(forms.ModelForm):
    """兑现方案 with a form-based rule builder that writes JsonLogic, validated before anything is saved."""

    eligibility_mode = forms.ChoiceField(
        label=_("资格规则编辑方式"),
        choices=[
            ("builder", _("按下列条件生成")),
            ("formula", _("按公式编辑（可分组、嵌套“或”）")),
            ("json", _("直接编辑 JsonLogic")),
        ],
        initial="builder",
    )
    eligibility_formula = forms.CharField(
        label=_("资格规则（公式）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 90, "class": "vLargeTextField"}),
        help_text=FORMULA_HELP,
    )
    combinator = forms.ChoiceField(
        label=_("条件组合"),
        choices=[("and", _("同时满足全部条件")), ("or", _("满足任一条件"))],
        initial="and",
    )
    eligibility_json = forms.CharField(
        label=_("资格规则（JsonLogic）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 90, "class": "vLargeTextField"}),
        help_text=_("选择“直接编辑”时使用；按条件生成时，保存后这里显示生成的规则。"),
    )
    amount_kind = forms.ChoiceField(label=_("金额规则"), choices=AMOUNT_KINDS, initial="fixed")
    amount_fixed = forms.DecimalField(
        label=_("固定金额（元）"), required=False, min_value=0, decimal_places=2
    )
    amount_variable = forms.ChoiceField(label=_("数据项"), required=False)
    amount_minus = forms.ChoiceField(label=_("减去（可选）"), required=False)
    amount_factor = forms.DecimalField(
        label=_("系数（元 / 单位）"),
        required=False,
        help_text=_("如“研发费用增量（万元）的 10%”：数据项 研发费用，减去 上年研发费用，系数 1000。"),
    )
    amount_formula = forms.CharField(
        label=_("金额公式"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 90, "class": "vLargeTextField"}),
        help_text=_(
            "如 最小((rd_expense - prev.rd_expense) * 1000, 2000000) + 如果(is_above_scale, 100000, 0)"
        ),
    )
    amount_json = forms.CharField(
        label=_("金额规则（JsonLogic）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 90, "class": "vLargeTextField"}),
    )

    class Meta:
        model = Scheme
        fields = [
            "policy",
            "code",
            "title",
            "mode",
            "beneficiary",
            "facts_year",
            "reference_date",
            "period",
            "cap_per_enterprise",
            "budget",
            "allocation",
            "exclusive_group",
            "top_up",
            "publicity_days",
            "status",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        numbers = _variable_choices(numbers=True)
        self.fields["amount_variable"].choices = numbers
        self.fields["amount_minus"].choices = numbers
        self.fields["reference_date"].required = False
        # Left out: the scheme keeps its kind (a new one pays enterprises).
        self.fields["beneficiary"].required = False
        self.builder_note = ""
        if self.instance.pk and not self.is_bound:
            self._load(self.instance)

    def _load(self, scheme: Scheme) -> None:
        from subsidies.rules import RuleError
        from subsidies.rules.formula import to_formula

        self.initial["eligibility_json"] = _pretty(scheme.eligibility)
        self.initial["amount_json"] = _pretty(scheme.amount_rule)
        formulas = {}
        for name, rule in (
            ("eligibility_formula", scheme.eligibility),
            ("amount_formula", scheme.amount_rule),
        ):
            try:
                formulas[name] = to_formula(rule)
            except RuleError:
                continue
        self.initial.update(formulas)
        try:
            combinator, rows = rule_to_rows(scheme.eligibility)
        except RuleBuilderError:
            if "eligibility_formula" in formulas:
                self.initial["eligibility_mode"] = "formula"
            else:
                self.initial["eligibility_mode"] = "json"
                self.builder_note = _("该资格规则无法用条件行或公式表示，请直接编辑 JsonLogic。")
        else:
            self.initial["combinator"] = combinator
            for index, row in enumerate(rows):
                for key, value in row.items():
                    self.initial[f"cond_{index}_{key}"] = value
        parts = _amount_parts(scheme.amount_rule)
        if parts["amount_kind"] == "json" and "amount_formula" in formulas:
            parts = {"amount_kind": "formula"}
        self.initial.update(parts)

    def _eligibility(self):
        from subsidies import rules

        data = self.cleaned_data
        if data.get("eligibility_mode") == "formula":
            return self._formula("eligibility_formula")
        if data.get("eligibility_mode") == "json":
            try:
                return rules.parse(data.get("eligibility_json") or "")
            except rules.RuleError as exc:
                raise ValidationError({"eligibility_json": str(exc)}) from None
        rows = [
            {key: data.get(f"cond_{index}_{key}") for key in ("variable", "op", "value", "other")}
            for index in range(RULE_ROWS)
        ]
        rule = rows_to_rule(rows, data.get("combinator") or "and")
        if rule is None:
            raise ValidationError(_("请至少填写一条资格条件。"))
        return rule

    def _amount(self):
        from subsidies import rules

        data = self.cleaned_data
        kind = data.get("amount_kind")
        if kind == "fixed":
            if data.get("amount_fixed") is None:
                raise ValidationError({"amount_fixed": _("请填写固定金额。")})
            return data["amount_fixed"]
        if kind == "product":
            if not data.get("amount_variable") or data.get("amount_factor") is None:
                raise ValidationError({"amount_factor": _("请选择数据项并填写系数。")})
            base = {"var": data["amount_variable"]}
            if data.get("amount_minus"):
                base = {"-": [base, {"var": data["amount_minus"]}]}
            return {"*": [base, data["amount_factor"]]}
        if kind == "formula":
            return self._formula("amount_formula")
        try:
            return rules.parse(data.get("amount_json") or "")
        except rules.RuleError as exc:
            raise ValidationError({"amount_json": str(exc)}) from None

    def _formula(self, field: str):
        from subsidies.rules import RuleError
        from subsidies.rules.formula import from_formula

        try:
            return from_formula(self.cleaned_data.get(field) or "")
        except RuleError as exc:
            raise ValidationError({field: str(exc)}) from None

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        from subsidies.schemes import schemes_import

        code = cleaned.get("code") or self.instance.code
        reference = cleaned.get("reference_date")
        self.scheme_data = {
            "code": code,
            "policy": cleaned["policy"].code,
            "title": cleaned["title"],
            "mode": cleaned["mode"],
            "beneficiary": cleaned.get("beneficiary") or self.instance.beneficiary,
            "facts_year": cleaned["facts_year"],
            "reference_date": reference.isoformat() if reference else None,
            "period": cleaned["period"],
            "eligibility": self._eligibility(),
            "amount": self._amount(),
            "cap_per_enterprise": cleaned.get("cap_per_enterprise"),
            "budget": cleaned["budget"],
            "allocation": cleaned["allocation"],
            "exclusive_group": cleaned.get("exclusive_group") or "",
            "top_up": bool(cleaned.get("top_up")),
            "publicity_days": cleaned["publicity_days"],
            "status": cleaned["status"],
        }
        # The import service checks everything it would on saving (rules, budget, status) and writes nothing.
        report = schemes_import(entries=[self.scheme_data], dry_run=True)
        if not report.ok:
            raise ValidationError([error.split("：", 1)[-1] for error in report.errors])
        return cleaned


def _condition_fields() -> dict:
    choices = _variable_choices()
    fields = {}
    for index in range(RULE_ROWS):
        fields[f"cond_{index}_variable"] = forms.ChoiceField(
            label=_("条件 %(n)s") % {"n": index + 1}, choices=choices, required=False
        )
        fields[f"cond_{index}_op"] = forms.ChoiceField(label=_("比较"), choices=OPERATORS, required=False)
        fields[f"cond_{index}_value"] = forms.CharField(label=_("值"), required=False, max_length=200)
        fields[f"cond_{index}_other"] = forms.ChoiceField(
            label=_("或与另一数据项比较"), choices=choices, required=False
        )
    return fields


# The builder's rows are declared on the class, so the admin's fieldsets can place them.
SchemeForm.declared_fields.update(_condition_fields())
SchemeForm.base_fields.update(
    {name: field for name, field in SchemeForm.declared_fields.items() if name.startswith("cond_")}
)


class PreviewForm(forms.Form):
    """试算: a scheme's rule against one enterprise of the registry (admin)."""

    uscc = forms.CharField(label=_("统一社会信用代码或企业名称"), max_length=200)
