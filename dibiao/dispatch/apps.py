from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "dibiao.dispatch"
    label = "dispatch"
    verbose_name = "进展调度与督导"

    def ready(self) -> None:
        # Quarterly and annual summaries, inspection records and rectification reports carry
        # attachments, which live in the work archive. The archive app is optional to this
        # one: without it, there are simply no attachments.
        try:
            from dibiao.archive.targets import register_product_records, register_target
        except ImportError:
            return
        from django.urls import reverse

        from dibiao.dispatch.models import CriticismNotice, DispatchReport, InspectionVisit

        register_target(
            DispatchReport,
            label="进展调度报告",
            divisions_of=lambda report: [report.allocation.division],
            archive_url=lambda report: reverse("dispatch:report-detail", args=[report.pk]),
        )
        # A report belongs to an allocation, so to its product: its attachments go in the
        # product's ZIP. Inspections and notices concern a division, not one product.
        register_product_records(
            lambda product: DispatchReport.objects.filter(allocation__product=product).only("pk")
        )
        register_target(
            InspectionVisit,
            label="督导检查",
            divisions_of=lambda visit: [visit.division],
            archive_url=lambda visit: reverse("dispatch:inspection-detail", args=[visit.pk]),
        )
        register_target(
            CriticismNotice,
            label="通报",
            divisions_of=lambda notice: [notice.division],
            archive_url=lambda notice: reverse("dispatch:notice-detail", args=[notice.pk]),
        )
