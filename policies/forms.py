from django import forms
from django.utils.translation import gettext_lazy as _

from policies.models import Category


class SubscriptionForm(forms.Form):
    categories = forms.ModelMultipleChoiceField(
        label=_("订阅的政策类别"),
        queryset=Category.objects.order_by("order", "id"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("所选类别发布新政策时，您会收到站内消息和邮件通知。"),
    )


class RepealForm(forms.Form):
    reason = forms.CharField(
        label=_("废止原因"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=1000,
        help_text=_("将显示在政策页面上，如“已被《……》替代”。"),
    )
