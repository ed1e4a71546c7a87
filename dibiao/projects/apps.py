from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "dibiao.projects"
    label = "projects"
    verbose_name = "保护工程"

    def ready(self) -> None:
        # Allocations, contracts and fund entries go into the verifiable ledger.
        import dibiao.projects.ledger  # noqa: F401

        # Signed contract scans, payment vouchers and program documents are work-archive
        # documents attached to their record. The archive app is optional to this one: without
        # it, there are simply no attachments.
        try:
            from dibiao.archive.targets import register_product_records, register_target
        except ImportError:
            return
        from django.urls import reverse

        from dibiao.projects.models import Contract, FundEntry, Program
        from dibiao.projects.selectors import program_list_for_user

        register_target(
            Program,
            label="保护工程",
            divisions_of=lambda program: [program.province],
            archive_url=lambda program: reverse("projects:program-detail", args=[program.pk]),
            # Programs are the province's and are scoped by it, not through `restrict`.
            visible_to=lambda user: program_list_for_user(user=user),
        )
        register_target(
            Contract,
            label="合同",
            divisions_of=lambda contract: [contract.allocation.division],
            # The undertaking unit files its own deliverables on its contract.
            organization_of=lambda contract: contract.party_b,
            archive_url=lambda contract: reverse("projects:contract-detail", args=[contract.pk]),
        )
        register_target(
            FundEntry,
            label="台账分录",
            divisions_of=lambda entry: [entry.allocation.division],
            archive_url=lambda entry: reverse("projects:entry-detail", args=[entry.pk]),
        )
        # Only the ids are needed to find the documents; the folder names in the ZIP load
        # each document's target anyway.
        register_product_records(
            lambda product: Contract.objects.filter(allocation__product=product).only("pk")
        )
        register_product_records(
            lambda product: FundEntry.objects.filter(allocation__product=product).only("pk")
        )
