from django import forms
from django.utils.translation import gettext_lazy as _

from projects.models import ReportKind


class ReportForm(forms.Form):
    """What an enterprise reports after filing: 开工, 变更 or 竣工."""

    kind = forms.ChoiceField(label=_("报告类型"), choices=ReportKind.choices)
    reported_on = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    content = forms.CharField(
        label=_("说明"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("变更须写明变更内容"),
    )


class DispatchFilterForm(forms.Form):
    week = forms.DateField(label=_("调度周"), required=False)
    coordinator = forms.IntegerField(label=_("分包人"), required=False, min_value=1)
