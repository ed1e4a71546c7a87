from typing import Any

from django.apps import AppConfig


class BrandConfig(AppConfig):
    name = "dibiao.brand"
    label = "brand"
    verbose_name = "品牌建设"

    def ready(self) -> None:
        # A report's clipping or screenshot, an event's photos and contracts, a story's sources
        # are work-archive documents attached to their record. Without the archive app there
        # are simply none.
        try:
            from dibiao.archive.targets import register_product_records, register_target
        except ImportError:
            return
        from dibiao.brand.models import BrandStory, Exhibition, MediaReport, PromoVideo
        from dibiao.core.models import Division

        def product_divisions(record: Any) -> list[Division]:
            return list(record.product.divisions.all())

        def event_divisions(event: Any) -> list[Division]:
            found = {d.pk: d for p in event.products.all() for d in p.divisions.all()}
            return list(found.values())

        # Government records: a producer files nothing on them.
        register_target(
            MediaReport,
            label="媒体报道",
            divisions_of=product_divisions,
            archive_url=lambda report: report.get_absolute_url(),
        )
        register_target(
            PromoVideo,
            label="宣传片",
            divisions_of=product_divisions,
            archive_url=lambda video: video.get_absolute_url(),
        )
        register_target(
            Exhibition,
            label="展会/推介活动",
            divisions_of=event_divisions,
            archive_url=lambda event: event.get_absolute_url(),
        )
        # The certificate holder drafts its products' stories, and files their sources.
        register_target(
            BrandStory,
            label="历史文化故事",
            divisions_of=product_divisions,
            organization_of=lambda story: story.product.certificate_holder,
            archive_url=lambda story: story.get_absolute_url(),
        )
        register_product_records(
            lambda product: MediaReport.objects.filter(product=product).only("pk")
        )
        register_product_records(
            lambda product: PromoVideo.objects.filter(product=product).only("pk")
        )
        register_product_records(
            lambda product: BrandStory.objects.filter(product=product).only("pk")
        )
        register_product_records(
            lambda product: Exhibition.objects.filter(products=product).only("pk")
        )
