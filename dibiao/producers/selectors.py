"""Reads of the producers app, always scoped to the user (`restrict`)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from dibiao.accounts.choices import Role
from dibiao.accounts.permissions import has_role, role_places
from dibiao.accounts.scoping import scope_for
from dibiao.core import pii
from dibiao.core.errors import NotFoundError
from dibiao.core.identifiers import normalise_code
from dibiao.core.masking import mask_id_number, mask_phone
from dibiao.producers.choices import AuthorizationStatus, ProducerStatus
from dibiao.producers.models import (
    FarmerLink,
    Household,
    LabelAuthorization,
    Producer,
    ProductionBase,
)
from dibiao.producers.rules import LANDLINE, MOBILE, phone_digits
from dibiao.registry.models import GIProduct

# --- Directory (生产经营主体名录) --------------------------------------------------------------

ID_NUMBER = re.compile(r"\d{17}[\dX]", re.IGNORECASE)


def label_user_condition(day: dt.date) -> Exists:
    """The entry is active and holds a label-use authorization in force on `day` (the query
    form of `authorization_selectors.producer_may_receive_codes`, for any product)."""
    return Exists(
        LabelAuthorization.objects.filter(
            producer=OuterRef("pk"),
            producer__status=ProducerStatus.ACTIVE,
            status=AuthorizationStatus.APPROVED,
            valid_from__lte=day,
            valid_until__gte=day,
        )
    )


def _search(q: str) -> Q:
    """Name or credit code by substring; a full phone or ID number exactly, through its digest
    (the database holds neither in clear)."""
    code = normalise_code(q)
    condition = Q(name__icontains=q) | Q(credit_code__icontains=code)
    digits = phone_digits(q)
    if digits.isdigit() and len(digits) >= 7:
        condition |= Q(phone_digest=pii.digest(digits))
    if len(code) == 18:
        condition |= Q(id_number_digest=pii.digest(code))
    return condition


def masked_search_term(q: str) -> str:
    """`q` as an audit row may keep it: a full phone or ID number (what `_search` looks up
    by digest) masked, anything else as typed."""
    digits = phone_digits(q)
    if digits.isdigit() and (MOBILE.fullmatch(digits) or LANDLINE.fullmatch(digits)):
        return mask_phone(digits)
    code = normalise_code(q)
    if ID_NUMBER.fullmatch(code):
        return mask_id_number(code)
    # A number inside other text is not searched for, but is still not kept in clear.
    text = ID_NUMBER.sub(lambda m: mask_id_number(m.group()), q)
    return MOBILE.sub(lambda m: mask_phone(m.group()), text)


def producer_list_for_user(
    *,
    user: Any,
    q: str = "",
    kind: str = "",
    status: str = "",
    division: str = "",
    product: int | None = None,
    label_user: bool | None = None,
    day: dt.date | None = None,
) -> QuerySet[Producer]:
    """Entries in scope, each annotated `is_label_user` (an authorization in force today)."""
    qs = (
        Producer.objects.restrict(user)
        .select_related("division", "organization")
        .annotate(is_label_user=label_user_condition(day or timezone.localdate()))
    )
    if q:
        qs = qs.filter(_search(q))
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    if division:
        qs = qs.filter(Q(division__code=division) | Q(division__parent__code=division))
    if product is not None:
        qs = qs.filter(products=product)
    if label_user is not None:
        qs = qs.filter(is_label_user=label_user)
    return qs.prefetch_related("products").order_by("division__code", "name", "id")


def producer_get_for_user(*, user: Any, pk: int) -> Producer:
    producer = producer_list_for_user(user=user).filter(pk=pk).first()
    if producer is None:
        raise NotFoundError("未找到该生产经营主体。")
    return producer


def producer_product_choices(*, user: Any) -> QuerySet[GIProduct]:
    return GIProduct.objects.restrict(user).order_by("name", "id")


def base_product_choices(*, user: Any) -> QuerySet[GIProduct]:
    """Products a base in the user's scope may be for: those in its scope and those the
    entries in its scope produce. A producer's scope holds only the products it is the
    certificate holder of, yet it keeps bases for every product it produces."""
    produced = Producer.objects.restrict(user).values("products")
    return GIProduct.objects.filter(
        Q(pk__in=GIProduct.objects.restrict(user).values("pk")) | Q(pk__in=produced)
    ).order_by("name", "id")


# --- Production bases (核心生产基地 / 特色品种繁育基地) ------------------------------------------


def base_list_for_user(
    *,
    user: Any,
    q: str = "",
    producer: int | None = None,
    product: int | None = None,
    kind: str = "",
    status: str = "",
    flagged: bool | None = None,
) -> QuerySet[ProductionBase]:
    qs = ProductionBase.objects.restrict(user).select_related(
        "producer__division", "product", "division"
    )
    if q:
        qs = qs.filter(
            Q(name__icontains=q) | Q(producer__name__icontains=q) | Q(address__icontains=q)
        )
    if producer is not None:
        qs = qs.filter(producer_id=producer)
    if product is not None:
        qs = qs.filter(product_id=product)
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    if flagged is not None:
        qs = qs.filter(outside_protected_area=flagged)
    return qs.order_by("product__name", "name", "id")


def base_get_for_user(*, user: Any, pk: int) -> ProductionBase:
    base = base_list_for_user(user=user).filter(pk=pk).first()
    if base is None:
        raise NotFoundError("未找到该生产基地。")
    return base


# --- Farmers driven (带动农户、增收) -------------------------------------------------------------

TENTH = Decimal("0.1")


def income_growth(current: Decimal, previous: Decimal | None) -> Decimal | None:
    """Year-on-year growth of per-capita income in per cent, one decimal (10000 → 11200 is
    12.0); None when the previous year is missing or zero."""
    if previous is None or previous == 0:
        return None
    return ((current - previous) / previous * 100).quantize(TENTH, rounding=ROUND_HALF_UP)


def farmer_link_list_for_user(*, user: Any, producer: int | None = None) -> QuerySet[FarmerLink]:
    """Yearly rows in scope, newest first, each annotated with the previous year's per-capita
    income (`previous_income`) and the imported household list's size (`listed_households`,
    `listed_people`); growth is computed from them (`income_growth`), never stored."""
    previous = FarmerLink.objects.filter(
        producer=OuterRef("producer"), year=OuterRef("year") - 1
    ).values("per_capita_income")[:1]
    listed = Household.objects.filter(producer=OuterRef("producer"), year=OuterRef("year"))
    qs = FarmerLink.objects.restrict(user).select_related("producer")
    if producer is not None:
        qs = qs.filter(producer_id=producer)
    return qs.annotate(
        previous_income=Subquery(previous),
        listed_households=Coalesce(
            Subquery(
                listed.values("producer").annotate(n=Count("pk")).values("n")[:1],
                output_field=IntegerField(),
            ),
            Value(0),
        ),
        listed_people=Coalesce(
            Subquery(
                listed.values("producer").annotate(n=Sum("members")).values("n")[:1],
                output_field=IntegerField(),
            ),
            Value(0),
        ),
    ).order_by("producer__name", "producer_id", "-year")


def farmer_link_get_for_user(*, user: Any, pk: int) -> FarmerLink:
    link = farmer_link_list_for_user(user=user).filter(pk=pk).first()
    if link is None:
        raise NotFoundError("未找到该年度的带动农户情况。")
    return link


@dataclass(frozen=True)
class FarmerLinkRow:
    link: FarmerLink
    growth: Decimal | None  # per cent against the previous year, None without one

    @property
    def listed_households(self) -> int:
        return int(getattr(self.link, "listed_households", 0))

    @property
    def listed_people(self) -> int:
        return int(getattr(self.link, "listed_people", 0))


def farmer_link_rows(*, user: Any, producer: Producer) -> list[FarmerLinkRow]:
    """A producer's yearly table with the growth of each year."""
    return [
        FarmerLinkRow(
            link, income_growth(link.per_capita_income, getattr(link, "previous_income", None))
        )
        for link in farmer_link_list_for_user(user=user, producer=producer.pk)
    ]


def household_list_for_user(
    *, user: Any, producer: int | None = None, year: int | None = None, q: str = ""
) -> QuerySet[Household]:
    """Imported households in scope. `q` finds a householder by full ID number (digest) or
    by village."""
    qs = Household.objects.restrict(user).select_related("producer")
    if producer is not None:
        qs = qs.filter(producer_id=producer)
    if year is not None:
        qs = qs.filter(year=year)
    if q:
        code = normalise_code(q)
        condition = Q(village__icontains=q)
        if len(code) == 18:
            condition |= Q(id_number_digest=pii.digest(code))
        qs = qs.filter(condition)
    return qs.order_by("-year", "village", "id")


def household_years(*, user: Any, producer: Producer) -> list[dict[str, int]]:
    """Per year of a producer's household list: `year`, `households`, `people`."""
    rows = (
        Household.objects.restrict(user)
        .filter(producer=producer)
        .values("year")
        .annotate(households=Count("pk"), people=Sum("members"))
        .order_by("-year")
    )
    return [
        {"year": r["year"], "households": r["households"], "people": r["people"] or 0} for r in rows
    ]


def producer_manageable_for_user(*, user: Any) -> QuerySet[Producer]:
    """Active entries the user may add bases and farmer figures to (`can_manage_bases`): the
    province's whole scope, a county bureau's own county, a producer's own entry."""
    qs = Producer.objects.restrict(user).filter(status=ProducerStatus.ACTIVE)
    if has_role(user, Role.PROVINCE_ADMIN):
        return qs.order_by("name", "id")
    counties = [d for role, d in role_places(user) if role == Role.COUNTY_ADMIN]
    own = scope_for(user).organization_ids if has_role(user, Role.PRODUCER) else frozenset()
    return qs.filter(Q(division_id__in=counties) | Q(organization_id__in=own)).order_by(
        "name", "id"
    )
