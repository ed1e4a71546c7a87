"""Reads of the production app, always scoped (`Model.objects.restrict(user)`). Sections:
production logs, restriction lists and training (logs/training engineer); quality tests and
grading (tests engineer)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import ExtractYear
from django.utils import timezone

from dibiao.accounts.choices import OrganizationKind, Role
from dibiao.accounts.models import Organization
from dibiao.accounts.permissions import has_role
from dibiao.accounts.scoping import scope_for, subtree_filter
from dibiao.core.choices import DivisionLevel
from dibiao.core.errors import NotFoundError
from dibiao.core.models import Division
from dibiao.producers.choices import BaseStatus
from dibiao.producers.models import Producer, ProductionBase
from dibiao.production.choices import RestrictionKind, TestResult
from dibiao.production.models import (
    GradeCriterion,
    GradeStandard,
    ProductionLog,
    RestrictedSubstance,
    RestrictionList,
    TestReport,
    TrainingAttendee,
    TrainingSession,
)
from dibiao.production.permissions import lab_organization_ids
from dibiao.registry.choices import ProductStatus
from dibiao.registry.models import GIProduct

# The largest id a row can have (the keys are signed 64-bit). Forms and query serializers bound
# their id filters with it: a foreign-key filter on a bigger number overflows the database
# driver (a 500) instead of matching nothing.
MAX_ID = 2**63 - 1

# --- Production logs, restriction lists, training -------------------------------------------


@dataclass(frozen=True)
class LogFilters:
    base: int | None = None
    product: int | None = None
    kind: str = ""
    status: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    q: str = ""


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


# Date bounds outside these days select what no bound selects (no log is that old or that far
# ahead, services.logs.EARLIEST_YEAR/LATEST_YEAR), and are dropped: the local midnight of 1 January
# of year 1 has no UTC equivalent, and the day after 31 December 9999 does not exist.
_FIRST_BOUND = dt.date(1900, 1, 1)
_LAST_BOUND = dt.date(9998, 12, 31)


def log_list_for_user(*, user: Any, filters: LogFilters | None = None) -> QuerySet[ProductionLog]:
    """Logs in the user's scope (a producer: its own bases; a county: its county's), newest
    first. Dates are local days, both ends included."""
    qs = ProductionLog.objects.restrict(user).select_related(
        "base__producer", "base__division", "product", "recorded_by"
    )
    f = filters or LogFilters()
    if f.base is not None:
        qs = qs.filter(base_id=f.base)
    if f.product is not None:
        qs = qs.filter(product_id=f.product)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.date_from is not None and f.date_from > _FIRST_BOUND:
        qs = qs.filter(occurred_at__gte=_start_of(f.date_from))
    if f.date_to is not None and f.date_to < _LAST_BOUND:
        qs = qs.filter(occurred_at__lt=_start_of(f.date_to + dt.timedelta(days=1)))
    if f.q:
        qs = qs.filter(
            Q(title__icontains=f.q)
            | Q(operator__icontains=f.q)
            | Q(input_name__icontains=f.q)
            | Q(active_ingredient__icontains=f.q)
            | Q(base__name__icontains=f.q)
            | Q(base__producer__name__icontains=f.q)
        )
    return qs.order_by("-occurred_at", "-id")


def log_get_for_user(*, user: Any, pk: int) -> ProductionLog:
    log = log_list_for_user(user=user).filter(pk=pk).first()
    if log is None:
        raise NotFoundError("未找到该生产日志。")
    return log


def log_base_choices(*, user: Any) -> QuerySet[ProductionBase]:
    """Bases the user may record logs on: those in its scope that are not closed down."""
    return (
        ProductionBase.objects.restrict(user)
        .exclude(status=BaseStatus.INACTIVE)
        .select_related("producer", "product")
        .order_by("producer__name", "name", "pk")
    )


def log_product_choices(*, user: Any) -> QuerySet[GIProduct]:
    """Products a log may name: its base's product, or another the base's producer grows."""
    bases = log_base_choices(user=user)
    return GIProduct.objects.filter(
        Q(pk__in=bases.values("product_id")) | Q(pk__in=bases.values("producer__products"))
    ).order_by("name")


def log_filter_options(*, user: Any) -> dict[str, Any]:
    """The bases and products offered by the list's filters (those in the user's scope)."""
    bases = ProductionBase.objects.restrict(user).select_related("producer").order_by("name")
    product_ids = ProductionLog.objects.restrict(user).values("product_id")
    return {
        "bases": bases,
        "products": GIProduct.objects.filter(
            Q(pk__in=bases.values("product_id")) | Q(pk__in=product_ids)
        ).order_by("name"),
    }


def restriction_list_list() -> QuerySet[RestrictionList]:
    """The loaded lists of banned and restricted inputs, newest first, with their counts."""
    return RestrictionList.objects.annotate(
        banned_count=Count("substances", filter=Q(substances__kind=RestrictionKind.BANNED)),
        restricted_count=Count("substances", filter=Q(substances__kind=RestrictionKind.RESTRICTED)),
    ).order_by("-published_on", "id")


def substance_list(
    *, q: str = "", kind: str = "", restriction_list: int | None = None
) -> QuerySet[RestrictedSubstance]:
    qs = RestrictedSubstance.objects.select_related("restriction_list")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(aliases__icontains=q) | Q(scope__icontains=q))
    if kind:
        qs = qs.filter(kind=kind)
    if restriction_list is not None:
        qs = qs.filter(restriction_list_id=restriction_list)
    return qs.order_by("kind", "restriction_list__published_on", "name", "id")


def _training_rows(
    user: Any, *, product: int | None = None, year: int | None = None, q: str = ""
) -> QuerySet[TrainingSession]:
    qs = TrainingSession.objects.restrict(user)
    if product is not None:
        qs = qs.filter(product_id=product)
    if year is not None:
        qs = qs.filter(held_on__year=year)
    if q:
        qs = qs.filter(
            Q(topic__icontains=q)
            | Q(place__icontains=q)
            | Q(trainer__icontains=q)
            | Q(organizer__name__icontains=q)
        )
    return qs


def training_list_for_user(
    *, user: Any, product: int | None = None, year: int | None = None, q: str = ""
) -> QuerySet[TrainingSession]:
    """Sessions in the user's scope (its county's, or those its organization held), newest
    first, each with `listed`: the length of its attendee list."""
    qs = _training_rows(user, product=product, year=year, q=q)
    return (
        qs.select_related("product", "division", "organizer")
        .annotate(listed=Count("attendees"))
        .order_by("-held_on", "-id")
    )


def training_get_for_user(*, user: Any, pk: int) -> TrainingSession:
    session = (
        training_list_for_user(user=user)
        .prefetch_related(
            Prefetch(
                "attendees",
                queryset=TrainingAttendee.objects.select_related("producer").order_by("id"),
            )
        )
        .filter(pk=pk)
        .first()
    )
    if session is None:
        raise NotFoundError("未找到该培训记录。")
    return session


def _own_producers(user: Any) -> QuerySet[Producer]:
    return Producer.objects.restrict(user)


def training_product_choices(*, user: Any) -> QuerySet[GIProduct]:
    """Products a training may be about: registered products in the user's scope, and for a
    producer the products it grows (its own entry's and its bases')."""
    own = _own_producers(user)
    condition = (
        Q(pk__in=GIProduct.objects.restrict(user).values("pk"))
        | Q(pk__in=own.values("products"))
        | Q(pk__in=ProductionBase.objects.restrict(user).values("product_id"))
    )
    return GIProduct.objects.filter(condition, status=ProductStatus.REGISTERED).order_by("name")


def training_division_choices(*, user: Any) -> QuerySet[Division]:
    """Counties a training may be held in: those in a government user's scope, and a
    producer's own county."""
    condition = Q(pk__in=scope_for(user).division_ids) | Q(
        pk__in=_own_producers(user).values("division_id")
    )
    return Division.objects.filter(condition, level=DivisionLevel.COUNTY).order_by("code")


def training_producer_choices(*, user: Any) -> QuerySet[Producer]:
    return _own_producers(user).order_by("name", "pk")


@dataclass(frozen=True)
class PersonTimes:
    product_id: int
    product_name: str
    year: int
    sessions: int
    person_times: int


def training_person_times(
    *, user: Any, year: int | None, product: int | None = None
) -> list[PersonTimes]:
    """培训人次: the attendee counts summed per product and year, over the sessions the user
    sees. `year=None` gives every year (the summary page's product × year table)."""
    rows = (
        # Not training_list_for_user: its attendee join would count each session once per
        # listed attendee.
        _training_rows(user, product=product, year=year)
        .order_by()
        .annotate(year=ExtractYear("held_on"))
        .values("product_id", "product__name", "year")
        .annotate(sessions=Count("id", distinct=True), person_times=Sum("attendee_count"))
        .order_by("product__name", "product_id", "year")
    )
    return [
        PersonTimes(
            product_id=row["product_id"],
            product_name=row["product__name"],
            year=row["year"],
            sessions=row["sessions"],
            person_times=row["person_times"] or 0,
        )
        for row in rows
    ]


# --- End of production logs, restriction lists, training ------------------------------------


# --- Quality tests and grading (检验检测、分等分级) ---------------------------------------------

# The grade filter's value for "no grade awarded".
GRADE_NONE = "none"


def lab_province_ids(*, user: Any) -> list[int]:
    """The provinces of the labs the user works for. A lab picks its samples anywhere in its
    province, though it sees only the reports it made (TestReport's organization scope)."""
    paths = Organization.objects.filter(pk__in=lab_organization_ids(user)).values_list(
        "division__path", flat=True
    )
    codes = {path.split("/")[0] for path in paths if path}
    return list(Division.objects.filter(code__in=codes).values_list("pk", flat=True))


def _within(lookup: str, province_ids: list[int]) -> Q:
    return Q(**{f"{lookup}__in": Division.objects.filter(subtree_filter(province_ids))})


def sample_product_choices(*, user: Any) -> QuerySet[GIProduct]:
    """Products a report may be about: those in the user's scope and, for a lab, every
    product of its province."""
    condition = Q(pk__in=GIProduct.objects.restrict(user).values("pk"))
    provinces = lab_province_ids(user=user)
    if provinces:
        in_province = GIProduct.objects.filter(_within("divisions", provinces)).values("pk")
        condition |= Q(pk__in=in_province)
    return GIProduct.objects.filter(condition).order_by("name", "pk")


def sample_producer_choices(*, user: Any, q: str = "") -> QuerySet[Producer]:
    """Producers a report may sample: those in the user's scope and, for a lab, every producer
    of its province; `q` searches the name or the exact credit code."""
    condition = Q(pk__in=Producer.objects.restrict(user).values("pk"))
    provinces = lab_province_ids(user=user)
    if provinces:
        condition |= _within("division", provinces)
    rows = Producer.objects.filter(condition).select_related("division")
    q = q.strip()
    if q:
        rows = rows.filter(Q(name__icontains=q) | Q(credit_code=q.upper()))
    return rows.order_by("name", "pk")


def sample_base_choices(
    *, user: Any, producer_id: int | None, product_id: int | None
) -> QuerySet[ProductionBase]:
    """The producer's bases of the product (a report's base must be one of them)."""
    if producer_id is None or product_id is None:
        return ProductionBase.objects.none()
    producers = sample_producer_choices(user=user).filter(pk=producer_id).values("pk")
    return ProductionBase.objects.filter(producer__in=producers, product_id=product_id).order_by(
        "name", "pk"
    )


def report_lab_choices(*, user: Any) -> QuerySet[Organization]:
    """Labs the user may record a report for: its own; the province may choose any active lab
    in its scope (recording on the lab's behalf)."""
    condition = Q(pk__in=lab_organization_ids(user))
    if has_role(user, Role.PROVINCE_ADMIN):
        condition |= Q(pk__in=Organization.objects.restrict(user).values("pk"))
    return Organization.objects.filter(
        condition, kind=OrganizationKind.LAB, is_active=True
    ).order_by("name", "pk")


@dataclass(frozen=True)
class ReportFilters:
    """The report list's filters. `grade` is a grade name or GRADE_NONE; the dates bound the
    test date; `q` searches the report number, sample/batch code and producer name."""

    product: int | None = None
    producer: int | None = None
    result: str = ""
    kind: str = ""
    grade: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    q: str = ""


def test_report_list_for_user(*, user: Any, filters: ReportFilters) -> QuerySet[TestReport]:
    """Reports in the user's scope: the lab's own, a producer's on itself, a government
    user's on the producers of its divisions."""
    rows = TestReport.objects.restrict(user).select_related(
        "lab", "product", "producer", "base", "grade", "recorded_by"
    )
    if filters.product is not None:
        rows = rows.filter(product_id=filters.product)
    if filters.producer is not None:
        rows = rows.filter(producer_id=filters.producer)
    if filters.result:
        rows = rows.filter(result=filters.result)
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    if filters.grade == GRADE_NONE:
        rows = rows.filter(grade__isnull=True)
    elif filters.grade:
        rows = rows.filter(grade__name=filters.grade)
    if filters.date_from is not None:
        rows = rows.filter(tested_on__gte=filters.date_from)
    if filters.date_to is not None:
        rows = rows.filter(tested_on__lte=filters.date_to)
    q = filters.q.strip()
    if q:
        rows = rows.filter(
            Q(report_number__icontains=q)
            | Q(sample_code__icontains=q)
            | Q(batch_code__icontains=q)
            | Q(producer__name__icontains=q)
        )
    return rows


def test_report_get_for_user(*, user: Any, pk: int) -> TestReport:
    report = (
        test_report_list_for_user(user=user, filters=ReportFilters())
        .prefetch_related("items")
        .filter(pk=pk)
        .first()
    )
    if report is None:
        raise NotFoundError("未找到该检测报告。")
    return report


def report_filter_options(*, user: Any) -> dict[str, list[Any]]:
    """What the list's product and grade filters offer: those of the visible reports."""
    visible = TestReport.objects.restrict(user)
    products = GIProduct.objects.filter(pk__in=visible.values("product_id")).order_by("name")
    grades = (
        visible.exclude(grade__isnull=True)
        .order_by("grade__rank", "grade__name")
        .values_list("grade__name", flat=True)
        .distinct()
    )
    return {"products": list(products), "grades": list(dict.fromkeys(grades))}


def failed_sample_codes(*, producer: Producer, product: GIProduct) -> set[str]:
    """Sample codes of the producer's samples of the product that failed a test.

    Not scoped to a user: the traceability module calls it (with `sample_has_failed_test`)
    so that a batch made from a failed sample cannot be released. A report corrected to a
    pass no longer counts.
    """
    return set(
        TestReport.objects.filter(
            producer=producer, product=product, result=TestResult.FAIL
        ).values_list("sample_code", flat=True)
    )


def sample_has_failed_test(
    *, producer: Producer, sample_code: str | None = None, batch_code: str | None = None
) -> bool:
    """Whether a failed report of the producer names this sample code or this batch code.

    The traceability module calls it before releasing a batch: a batch made from a failed
    sample (or itself recorded as the failed batch) cannot be released. Not scoped to a user.
    At least one of `sample_code`, `batch_code` is required (blank codes match nothing).
    """
    if sample_code is None and batch_code is None:
        raise ValueError("sample_has_failed_test needs a sample_code or a batch_code")
    condition = Q(pk__in=[])
    if sample_code and sample_code.strip():
        condition |= Q(sample_code=sample_code.strip())
    if batch_code and batch_code.strip():
        condition |= Q(batch_code=batch_code.strip())
    return TestReport.objects.filter(condition, producer=producer, result=TestResult.FAIL).exists()


def grading_product_list_for_user(*, user: Any, q: str = "") -> QuerySet[GIProduct]:
    """Products whose grading scheme the user may read: those in its scope, a lab's
    province's, and a producer's own products; with the number of grades."""
    condition = Q(pk__in=sample_product_choices(user=user).values("pk"))
    own = Producer.objects.restrict(user).values("pk")
    condition |= Q(pk__in=GIProduct.objects.filter(producers__in=own).values("pk"))
    rows = GIProduct.objects.filter(condition)
    q = q.strip()
    if q:
        rows = rows.filter(name__icontains=q)
    return rows.annotate(grade_count=Count("grades")).order_by("name", "pk")


def grading_product_get_for_user(*, user: Any, pk: int) -> GIProduct:
    product = grading_product_list_for_user(user=user).filter(pk=pk).first()
    if product is None:
        raise NotFoundError("未找到该产品。")
    return product


def grading_scheme(*, product: GIProduct) -> list[GradeStandard]:
    """The product's grades, best first, each with its criteria."""
    criteria = Prefetch("criteria", queryset=GradeCriterion.objects.order_by("item_name", "pk"))
    return list(product.grades.order_by("rank").prefetch_related(criteria))


# --- End of quality tests and grading -----------------------------------------------------------
