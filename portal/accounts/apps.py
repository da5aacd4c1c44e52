from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "portal.accounts"
    label = "accounts"
    verbose_name = _("账户与权限")

    def ready(self):
        from axes.signals import user_locked_out

        from portal.accounts import receivers

        user_locked_out.connect(receivers.on_locked_out, dispatch_uid="portal-security-locked-out")
