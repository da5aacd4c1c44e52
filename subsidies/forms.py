"""Forms of the award pages and the admin: confirmation, decline, review, payment, calculator, rules."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from portal.enterprises.models import CreditRating, Park, QualificationCode
from subsidies.services import BANK_ACCOUNT_RE


def _bank_account(value: str) -> str:
    account = re.sub(r"[\s-]", "", value or "")
    if not BANK_ACCOUNT_RE.match(account):
        raise ValidationError(_("银行账号应为 8 至 30 位数字。"), code="bank_account")
    return account


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


class DeclineForm(forms.Form):
    """放弃兑现, with an optional reason."""

    reason = forms.CharField(
        label=_("放弃原因（选填）"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


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

    agree = forms.BooleanField(
        label=_("已收到加盖企业公章的《兑现确认书》原件，账户信息与确认书一致。"),
        error_messages={"required": _("请勾选确认已收到确认书原件。")},
    )


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
