"""County measures for the shaded province map, and the figures of one county's side panel.

A user's measures count only the rows in its scope and only counties in its scope (a county
user's province map shades its own county); the public's count what the public map shows.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, QuerySet, Sum

from dibiao.accounts.scoping import scope_for
from dibiao.core.choices import DivisionLevel
from dibiao.core.errors import NotFoundError
from dibiao.core.models import Division
from dibiao.gimap import selectors
from dibiao.gimap.errors import GimapError
from dibiao.gimap.layers import product_url
from dibiao.gimap.permissions import can_view_division
from dibiao.registry.models import GIProduct

MEASURES = {
    "products": "地理标志产品数",
    "authorized": "授权用标主体数",
    "bases": "基地数",
    "scans": "扫码次数",
}
MU_PER_HECTARE = Decimal(15)


def _by_code(rows: QuerySet[Any], field: str) -> dict[str, int]:
    return {
        code: n
        for code, n in rows.values_list(field).annotate(n=Count("pk", distinct=True)).order_by()
        if n
    }


def _counts(user: Any, measure: str, public: bool) -> dict[str, int]:
    if measure == "products":
        products = selectors.products_for_map(user=user, public=public)
        links = GIProduct.divisions.through.objects.filter(
            giproduct__in=products, division__level=DivisionLevel.COUNTY
        )
        return {
            code: n
            for code, n in links.values_list("division__code")
            .annotate(n=Count("giproduct", distinct=True))
            .order_by()
        }
    if measure == "authorized":
        producers = selectors.producers_for_map(user=user, public=public)
        return _by_code(selectors.label_users(producers), "division__code")
    if measure == "bases":
        return _by_code(selectors.bases_for_map(user=user, public=public), "division__code")
    counts = selectors.scan_counts(user=user, public=public)
    codes = dict(Division.objects.filter(pk__in=counts).values_list("pk", "code"))
    return {codes[pk]: n for pk, n in counts.items()}


def county_measures(user: Any, measure: str, *, public: bool = False) -> dict[str, int]:
    """County code -> value of `measure` (a key of MEASURES); counties without any are left
    out (0)."""
    if measure not in MEASURES:
        raise GimapError("unknown_measure", f"没有“{measure[:40]}”这个指标。", status=404)
    values = _counts(None if public else user, measure, public)
    scope = scope_for(user) if not public else None
    if scope is not None and scope.division_ids:
        in_scope = set(
            Division.objects.filter(pk__in=scope.division_ids).values_list("code", flat=True)
        )
        values = {code: n for code, n in values.items() if code in in_scope}
    return dict(sorted(values.items()))


def county_figures(user: Any, division: Division, *, public: bool = False) -> dict[str, Any]:
    """The side panel of a county (or of a city or the province: everything below it):
    its products, and counts of producers, label users, bases with their area, labs, training
    sessions and attendees, scans and certificates. The public gets the figures of the public
    layers; the others are None."""
    if not public and not can_view_division(user, division):
        raise NotFoundError("未找到该行政区划。")
    viewer = None if public else user
    ids = selectors.subtree_ids(division)
    products = (
        selectors.products_for_map(user=viewer, public=public)
        .filter(divisions__in=ids)
        .distinct()
        .order_by("name", "pk")
    )
    openable = selectors.openable_product_ids(user=viewer, public=public)
    producers = selectors.producers_for_map(user=viewer, public=public).filter(division_id__in=ids)
    bases = selectors.bases_for_map(user=viewer, public=public).filter(division_id__in=ids)
    base_totals = bases.aggregate(n=Count("pk"), mu=Sum("area_mu"))
    area_mu = base_totals["mu"] or Decimal(0)
    scans = selectors.scan_counts(user=viewer, public=public, division_ids=ids)
    figures: dict[str, Any] = {
        "division": {
            "code": division.code,
            "name": division.name,
            "level": division.level,
            "parent_code": division.parent.code if division.parent else "",
        },
        "products": [
            {"id": p.pk, "name": p.name, "url": product_url(p, openable)}
            for p in products.only("name", "status")
        ],
        "producers": None,
        "authorized": selectors.label_users(producers).count(),
        "bases": base_totals["n"],
        "bases_area_mu": area_mu,
        "bases_area_hectares": (area_mu / MU_PER_HECTARE).quantize(Decimal("0.0001")),
        "labs": None,
        "trainings": None,
        "training_attendees": None,
        "scans": sum(scans.values()),
        "certificates": None,
    }
    if not public:
        trainings = selectors.trainings_for_map(user=user).filter(division_id__in=ids)
        training_totals = trainings.aggregate(n=Count("pk"), people=Sum("attendee_count"))
        figures.update(
            producers=producers.count(),
            labs=selectors.labs_for_map(user=user).filter(division_id__in=ids).count(),
            trainings=training_totals["n"],
            training_attendees=training_totals["people"] or 0,
            certificates=selectors.certificates_for_map(user=user)
            .filter(producer__division_id__in=ids)
            .count(),
        )
    return figures
