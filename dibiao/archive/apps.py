from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "dibiao.archive"
    label = "archive"
    verbose_name = "工作档案"
