from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "dibiao.archive"
    label = "archive"
    verbose_name = "工作档案"

    def ready(self) -> None:
        from dibiao.archive.targets import register_builtin_targets

        register_builtin_targets()
