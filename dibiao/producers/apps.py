from django.apps import AppConfig


class ProducersConfig(AppConfig):
    name = "dibiao.producers"
    label = "producers"
    verbose_name = "生产经营主体"
