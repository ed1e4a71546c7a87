from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "dibiao.applications"
    label = "applications"
    verbose_name = "申报与评审"

    def ready(self) -> None:
        # Application materials (申报材料) are work-archive documents attached to the
        # application. The archive app is optional to this one: without it, there are simply
        # no attachments.
        try:
            from dibiao.archive.targets import register_product_records, register_target
        except ImportError:
            return
        from dibiao.applications.models import Application

        register_target(
            Application,
            label="申报",
            divisions_of=lambda application: [application.division],
        )
        register_product_records(lambda product: Application.objects.filter(product=product))
