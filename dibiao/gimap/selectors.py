"""The rows each layer and measure is drawn from: for a user, through the one scoping mechanism
(`restrict`); for the public map, only what is public anyway.

What the public sees, and why:
- protected areas of registered products (the registration is published);
- label users (授权用标主体, an authorization in force today), as the public authorized-user
  list already names them, each placed at its county (no more than that list says);
- bases of registered entities (enterprises, cooperatives, family farms), active or being
  built, as points; never the fields of a large household or an individual farmer, whose
  position and name together are personal data;
- scan counts per county.
Labs and training sessions are working records of the administration: staff only.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from dibiao.accounts.choices import OrganizationKind
from dibiao.accounts.models import Organization
from dibiao.accounts.scoping import subtree_filter
from dibiao.core.models import Division
from dibiao.producers.choices import CREDIT_CODE_KINDS, BaseStatus, ProducerStatus
from dibiao.producers.models import Producer, ProductionBase
from dibiao.producers.selectors import label_user_condition
from dibiao.production.models import TrainingSession
from dibiao.registry.choices import ProductStatus
from dibiao.registry.models import GIProduct
from dibiao.trace.choices import CertificateStatus
from dibiao.trace.models import CodeIssuance, ComplianceCertificate, Scan

PUBLIC_BASE_STATUSES = (BaseStatus.ACTIVE, BaseStatus.BUILDING)


def subtree_ids(division: Division) -> frozenset[int]:
    """The division and every division below it."""
    return frozenset(
        Division.objects.filter(subtree_filter([division.pk])).values_list("pk", flat=True)
    )


def products_for_map(*, user: Any, public: bool) -> QuerySet[GIProduct]:
    """Registered products for the public; for a user, the products in scope and those its
    producers in scope produce (a producer's map shows the area its bases must lie in)."""
    if public:
        return GIProduct.objects.filter(status=ProductStatus.REGISTERED)
    produced = Producer.objects.restrict(user).values("products")
    return GIProduct.objects.filter(
        Q(pk__in=GIProduct.objects.restrict(user).values("pk")) | Q(pk__in=produced)
    )


def openable_product_ids(*, user: Any, public: bool) -> frozenset[int]:
    """Products whose staff page the user may open (the registry's pages are scoped the same
    way); the public opens public pages only."""
    if public:
        return frozenset()
    return frozenset(GIProduct.objects.restrict(user).values_list("pk", flat=True))


def bases_for_map(*, user: Any, public: bool) -> QuerySet[ProductionBase]:
    if not public:
        return ProductionBase.objects.restrict(user)
    return ProductionBase.objects.filter(
        status__in=PUBLIC_BASE_STATUSES,
        producer__status=ProducerStatus.ACTIVE,
        producer__kind__in=CREDIT_CODE_KINDS,
        product__status=ProductStatus.REGISTERED,
    )


def producers_for_map(*, user: Any, public: bool) -> QuerySet[Producer]:
    if public:
        return label_users(Producer.objects.filter(status=ProducerStatus.ACTIVE))
    return Producer.objects.restrict(user)


def label_users(rows: QuerySet[Producer]) -> QuerySet[Producer]:
    """Those holding a label-use authorization in force today (授权用标主体)."""
    return rows.filter(label_user_condition(timezone.localdate()))


def labs_for_map(*, user: Any) -> QuerySet[Organization]:
    return Organization.objects.restrict(user).filter(kind=OrganizationKind.LAB, is_active=True)


def trainings_for_map(*, user: Any) -> QuerySet[TrainingSession]:
    return TrainingSession.objects.restrict(user)


def certificates_for_map(*, user: Any) -> QuerySet[ComplianceCertificate]:
    return ComplianceCertificate.objects.restrict(user).filter(status=CertificateStatus.ISSUED)


def scan_counts(
    *,
    user: Any,
    public: bool,
    division_ids: frozenset[int] | None = None,
    product: GIProduct | None = None,
) -> dict[int, int]:
    """Scans per county (division id), counted where the scanned codes were issued: the county
    of the producer the code range went to. A scan stores no place of its own beyond a rounded
    position some phones share, so this is "how often this county's labelled produce was
    checked", never who checked it or where. Forged codes (failed MAC) count nowhere."""
    issuances = CodeIssuance.objects.all() if public else CodeIssuance.objects.restrict(user)
    if division_ids is not None:
        issuances = issuances.filter(producer__division_id__in=division_ids)
    if product is not None:
        issuances = issuances.filter(product=product)
    # One indexed range count per issuance (scans are indexed by serial first).
    scans = (
        Scan.objects.filter(
            serial__gte=OuterRef("first_serial"),
            serial__lte=OuterRef("last_serial"),
            mac_failed=False,
        )
        .order_by()
        .annotate(n=Func(F("pk"), function="COUNT"))
        .values("n")
    )
    totals: dict[int, int] = defaultdict(int)
    rows = issuances.annotate(scans=Subquery(scans, output_field=IntegerField())).values_list(
        "producer__division_id", "scans"
    )
    for division_id, count in rows:
        if count:
            totals[division_id] += count
    return dict(totals)
