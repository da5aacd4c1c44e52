"""Forms of the award pages and the admin: confirmation, decline, review, payment, calculator, rules."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

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
