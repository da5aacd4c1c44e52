from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp import match_token


class LoginForm(AuthenticationForm):
    """Username (or USCC) and password; staff also give a one-time code when the second factor is required."""

    username = forms.CharField(
        label=_("用户名或统一社会信用代码"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    otp_token = forms.CharField(
        label=_("动态口令（园区工作人员填写）"),
        required=False,
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
    error_messages = {
        "invalid_login": _("用户名或密码错误，请重新输入。"),
        "inactive": _("该账户已停用，请联系园区管理部门。"),
        "invalid_token": _("动态口令错误或已过期，请查看验证器中的最新口令后重试。"),
    }

    otp_device = None

    def clean(self):
        try:
            cleaned = super().clean()
        except ValidationError as error:
            raise ValidationError(self._with_remaining_tries(error.messages)) from error
        user = self.get_user()
        if user is not None and settings.ADMIN_REQUIRE_OTP and user.is_staff:
            self.otp_device = match_token(user, (cleaned.get("otp_token") or "").strip())
            if self.otp_device is None:
                # A right password with a wrong code is a failed login: it counts towards the lockout.
                self.user_cache = None
                self.request.portal_login_failure_reason = "second factor"
                user_login_failed.send(
                    sender=__name__, credentials={"username": cleaned.get("username")}, request=self.request
                )
                raise ValidationError(self._with_remaining_tries([self.error_messages["invalid_token"]]))
        return cleaned

    def _with_remaining_tries(self, messages: list[str]) -> list[str]:
        from portal.accounts.security import account_failures

        username = self.cleaned_data.get("username") or ""
        if not username or self.request is None:
            return messages
        left = settings.AXES_FAILURE_LIMIT - account_failures(self.request, username)
        if left > 0:
            messages = [
                *messages,
                gettext("再输错 %(left)d 次，该账户将被锁定 %(minutes)d 分钟。")
                % {"left": left, "minutes": settings.AXES_COOLOFF_MINUTES},
            ]
        return messages
