from django.apps import AppConfig


class GimapConfig(AppConfig):
    name = "dibiao.gimap"
    label = "gimap"
    verbose_name = "一张图"
