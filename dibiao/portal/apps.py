from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "dibiao.portal"
    label = "portal"
    verbose_name = "门户"
