from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "dibiao.core"
    label = "core"
    verbose_name = "基础"
