from django.apps import AppConfig


class TraceConfig(AppConfig):
    name = "dibiao.trace"
    label = "trace"
    verbose_name = "追溯与标识"
