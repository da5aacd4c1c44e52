from django import forms
from django.utils.translation import gettext_lazy as _


class DeedTaxImportForm(forms.Form):
    file = forms.FileField(label=_("契税数据文件（CSV 或 XLSX）"))
    dry_run = forms.BooleanField(label=_("只校验，不写入"), required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("只支持 CSV 或 XLSX 文件。"))
        return upload


class PurposeForm(forms.Form):
    purpose = forms.CharField(
        label=_("用途"),
        max_length=200,
        help_text=_("查看或导出居民个人信息须说明用途，例如“核对契税补贴资格”。本次操作将记入访问记录。"),
        widget=forms.TextInput(attrs={"size": 60}),
    )


class MobileForm(forms.Form):
    mobile = forms.CharField(
        label=_("购房时登记的手机号"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel", "autofocus": True}),
    )


class SmsCodeForm(forms.Form):
    code = forms.CharField(
        label=_("短信验证码"),
        max_length=6,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class IdSuffixForm(forms.Form):
    id_suffix = forms.CharField(
        label=_("居民身份证号后 6 位"),
        max_length=6,
        min_length=6,
        help_text=_("最后一位是 X 的，请填写 X。"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )


class DataExportForm(forms.Form):
    fmt = forms.ChoiceField(label=_("格式"), choices=[("json", "JSON"), ("csv", "CSV")], initial="json")
