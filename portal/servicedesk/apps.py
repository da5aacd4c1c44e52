from django.apps import AppConfig


class ServicedeskConfig(AppConfig):
    name = "portal.servicedesk"
    label = "servicedesk"
    verbose_name = "万人助万企"
