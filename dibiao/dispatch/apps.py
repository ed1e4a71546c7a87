from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "dibiao.dispatch"
    label = "dispatch"
    verbose_name = "进展调度与督导"
