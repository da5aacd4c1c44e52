from django import forms
from django.utils.translation import gettext_lazy as _

from portal.enterprises.models import Source


class ImportForm(forms.Form):
    KINDS = [("enterprises", _("企业档案")), ("annual_reports", _("年度数据"))]

    kind = forms.ChoiceField(label=_("导入类型"), choices=KINDS)
    file = forms.FileField(label=_("文件（CSV 或 XLSX）"))
    source = forms.ChoiceField(label=_("数据来源"), choices=Source.choices, initial=Source.MARKET)
    as_of = forms.DateField(label=_("数据日期"), required=False, help_text=_("留空为今天"))
    dry_run = forms.BooleanField(label=_("只校验，不写入"), required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("只支持 CSV 或 XLSX 文件。"))
        return upload
