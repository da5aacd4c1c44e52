from django.apps import AppConfig


class SubsidiesConfig(AppConfig):
    name = "subsidies"
    verbose_name = "免申即享"
