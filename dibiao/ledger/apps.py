from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "dibiao.ledger"
    label = "ledger"
    verbose_name = "可验证账本"
    default_auto_field = "django.db.models.BigAutoField"
