from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "dibiao.registry"
    label = "registry"
    verbose_name = "地理标志产品登记"
