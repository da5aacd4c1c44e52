from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicedeskConfig(AppConfig):
    name = "portal.servicedesk"
    label = "servicedesk"
    verbose_name = _("万人助万企")
