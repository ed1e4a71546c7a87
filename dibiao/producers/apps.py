from django.apps import AppConfig


class ProducersConfig(AppConfig):
    name = "dibiao.producers"
    label = "producers"
    verbose_name = "生产经营主体"

    def ready(self) -> None:
        # Label-use authorizations go into the verifiable ledger.
        import dibiao.producers.ledger  # noqa: F401

        self._register_authorization_archive()
        self._register_directory_archive()
        self._recheck_bases_when_a_boundary_changes()

    @staticmethod
    def _recheck_bases_when_a_boundary_changes() -> None:
        # The registry sits below this app and cannot call it; it tells its listeners instead,
        # inside the same transaction, so a base's flag never disagrees with the boundary.
        from dibiao.producers.services.bases import base_recheck_protected_area
        from dibiao.registry.services import on_boundary_change

        on_boundary_change(
            lambda product, actor: base_recheck_protected_area(product=product, actor=actor)
        )

    @staticmethod
    def _register_directory_archive() -> None:
        # Licences, certificates and photos of an entity and of its bases are work-archive
        # documents on the entry or the base; the producer files its own.
        try:
            from dibiao.archive.targets import register_product_records, register_target
        except ImportError:
            return
        from django.urls import reverse

        from dibiao.producers.models import Producer, ProductionBase

        register_target(
            Producer,
            label="生产经营主体",
            divisions_of=lambda p: [p.division],
            organization_of=lambda p: p.organization,
            archive_url=lambda p: reverse("producers:producer-detail", args=[p.pk]),
        )
        register_target(
            ProductionBase,
            label="生产基地",
            # Its own county first; the producer's county too, where the base is scoped.
            divisions_of=lambda b: list(dict.fromkeys([b.division, b.producer.division])),
            organization_of=lambda b: b.producer.organization,
            archive_url=lambda b: reverse("producers:base-detail", args=[b.pk]),
        )
        register_product_records(
            lambda product: ProductionBase.objects.filter(product=product).only("pk")
        )

    @staticmethod
    def _register_authorization_archive() -> None:
        # An application's supporting documents (资质证明, 承诺书 ...) are work-archive documents
        # on the authorization; the applicant files its own, the county bureau its own.
        try:
            from dibiao.archive.targets import register_target
        except ImportError:
            return
        from django.urls import reverse

        from dibiao.producers.models import LabelAuthorization

        register_target(
            LabelAuthorization,
            label="标志使用授权",
            divisions_of=lambda a: [a.producer.division],
            organization_of=lambda a: a.producer.organization,
            archive_url=lambda a: reverse("producers:authorization-detail", args=[a.pk]),
        )
