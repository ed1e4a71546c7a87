from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "dibiao.applications"
    label = "applications"
    verbose_name = "申报与评审"
