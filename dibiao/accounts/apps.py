from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "dibiao.accounts"
    label = "accounts"
    verbose_name = "账号与组织"

    def ready(self) -> None:
        from dibiao.accounts import signals  # noqa: F401  (connects the login audit receivers)
