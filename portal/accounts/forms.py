from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("用户名或统一社会信用代码"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {
        "invalid_login": _("用户名或密码错误，请重新输入。多次错误后账户将被暂时锁定。"),
        "inactive": _("该账户已停用，请联系园区管理部门。"),
    }
