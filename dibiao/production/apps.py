from django.apps import AppConfig


class ProductionConfig(AppConfig):
    name = "dibiao.production"
    label = "production"
    verbose_name = "生产过程与质量"

    def ready(self) -> None:
        # Test reports go into the verifiable ledger.
        import dibiao.production.ledger  # noqa: F401

        # Photos of a log and a training session's sign-in sheets and photos are work-archive
        # documents attached to their record. Without the archive app there are simply none.
        try:
            from dibiao.archive.targets import register_product_records, register_target
        except ImportError:
            return
        from django.urls import reverse

        from dibiao.production.models import ProductionLog, TrainingSession

        # --- Production logs, training ---------------------------------------------------------
        register_target(
            ProductionLog,
            label="生产日志",
            # The producer's county first: that is where the log is scoped (a county bureau
            # files there); the base's own county if it lies elsewhere.
            divisions_of=lambda log: list(
                {d.pk: d for d in (log.base.producer.division, log.base.division)}.values()
            ),
            # The producer files photos on its own logs.
            organization_of=lambda log: log.base.producer.organization,
            archive_url=lambda log: reverse("production:log-detail", args=[log.pk]),
        )
        register_target(
            TrainingSession,
            label="培训",
            divisions_of=lambda session: [session.division],
            organization_of=lambda session: session.organizer,
            archive_url=lambda session: reverse("production:training-detail", args=[session.pk]),
        )
        register_product_records(
            lambda product: ProductionLog.objects.filter(product=product).only("pk")
        )
        register_product_records(
            lambda product: TrainingSession.objects.filter(product=product).only("pk")
        )
        # --- End of production logs, training --------------------------------------------------
