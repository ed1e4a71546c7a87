from django.apps import AppConfig


class DisclosureConfig(AppConfig):
    name = "dibiao.disclosure"
    label = "disclosure"
    verbose_name = "项目公示"
