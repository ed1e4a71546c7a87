from django.apps import AppConfig


class TraceConfig(AppConfig):
    name = "dibiao.trace"
    label = "trace"
    verbose_name = "追溯与标识"

    def ready(self) -> None:
        # Batches, trace events, certificates and code issuances and ranges go into the
        # verifiable ledger.
        import dibiao.trace.ledger  # noqa: F401
