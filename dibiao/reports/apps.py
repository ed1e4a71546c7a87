from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "dibiao.reports"
    label = "reports"
    verbose_name = "统计与报表"
