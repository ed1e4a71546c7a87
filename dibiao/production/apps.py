from django.apps import AppConfig


class ProductionConfig(AppConfig):
    name = "dibiao.production"
    label = "production"
    verbose_name = "生产过程与质量"
