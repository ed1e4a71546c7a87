"""Spatial checks: is a base within its product's protected area, is its point within the county
it is recorded in, and which county a coordinate falls in.

The protected-area check is the producers app's own (`outside_protected_area`, set on every
save of a base and recomputed by `base_recheck_protected_area` when a product's polygon
changes); this module reads that flag and asks it to recompute, never a second version of it.
It holds only for a product with an uploaded polygon: an approximate area (areas.py) is drawn
but checks nothing, or it would flag bases on an outline nobody drew. The county check needs no
stored flag: it is computed from the cached county boundaries when asked.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from dibiao.core import geometry
from dibiao.core.boundaries import division_at
from dibiao.core.models import Division
from dibiao.gimap import areas
from dibiao.gimap.errors import GimapError
from dibiao.producers.models import ProductionBase
from dibiao.producers.services.bases import base_recheck_protected_area
from dibiao.registry.models import GIProduct


def with_map_fields(rows: QuerySet[ProductionBase]) -> QuerySet[ProductionBase]:
    """Bases with what the map and the checks read, and no more: a product's polygon can be
    100 KB, and a join would repeat it on every base's row; `product_has_area` says whether
    there is one."""
    return (
        rows.select_related("product", "producer", "division")
        .annotate(
            product_has_area=ExpressionWrapper(
                ~Q(product__protected_area_boundary=""), output_field=BooleanField()
            )
        )
        .only(
            "product",
            "producer",
            "division",
            "name",
            "kind",
            "status",
            "area_mu",
            "boundary_area_mu",
            "longitude",
            "latitude",
            "boundary",
            "min_longitude",
            "max_longitude",
            "min_latitude",
            "max_latitude",
            "outside_protected_area",
            "product__name",
            "producer__name",
            "producer__kind",
            "producer__status",
            "division__code",
            "division__name",
        )
    )


def base_point(base: ProductionBase) -> tuple[float, float] | None:
    """Where a base is, as one point: its recorded point, else the middle of its boundary's
    box; None when neither is recorded."""
    if base.longitude is not None and base.latitude is not None:
        return float(base.longitude), float(base.latitude)
    box = (base.min_longitude, base.max_longitude, base.min_latitude, base.max_latitude)
    if box[0] is not None and box[1] is not None and box[2] is not None and box[3] is not None:
        return round(float(box[0] + box[1]) / 2, 6), round(float(box[2] + box[3]) / 2, 6)
    return None


def inside_protected_area(base: ProductionBase) -> bool | None:
    """From the stored flag; None when the product has no uploaded polygon or the base has no
    place (nothing was checked). Reads `product_has_area` (with_map_fields) when present."""
    has_area = getattr(base, "product_has_area", None)
    if has_area is None:
        has_area = bool(base.product.protected_area_boundary)
    if not has_area or (base_point(base) is None and not base.boundary):
        return None
    return not base.outside_protected_area


def in_recorded_county(
    base: ProductionBase, counties: Mapping[int, BaseGeometry] | None = None
) -> bool | None:
    """The base's point lies within the boundary of the county it is recorded in (its border
    included); None without a point or without that county's boundary. `counties`:
    areas.division_shapes(), read once by a caller checking many bases."""
    point = base_point(base)
    county = (counties if counties is not None else areas.division_shapes()).get(base.division_id)
    if point is None or county is None:
        return None
    return bool(county.covers(Point(point)))


@dataclass(frozen=True)
class BaseFlag:
    base: ProductionBase
    outside_protected_area: bool
    outside_county: bool
    found_in: Division | None  # the county its point lies in, when that is not the recorded one


def bases_flagged(*, recheck: bool = False) -> Iterator[BaseFlag]:
    """Every base that lies outside its product's protected area or whose point is not in its
    recorded county. With `recheck`, the protected-area flags are first recomputed for every
    product with bases (the producers service, audited when a flag changes)."""
    if recheck:
        for product in GIProduct.objects.filter(bases__isnull=False).distinct().order_by("pk"):
            base_recheck_protected_area(product=product)
    rows = with_map_fields(ProductionBase.objects.all()).order_by("division__code", "pk")
    counties = areas.division_shapes()
    for base in rows.iterator(chunk_size=1000):
        outside_county = in_recorded_county(base, counties) is False
        if not (base.outside_protected_area or outside_county):
            continue
        point = base_point(base)
        found_in = division_at(*point) if outside_county and point is not None else None
        yield BaseFlag(base, base.outside_protected_area, outside_county, found_in)


def _coordinate(raw: str | None, name: str) -> Decimal:
    text = (raw or "").strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    # Decimal() also reads full-width and other Unicode digits; a coordinate is ASCII.
    if not text or not text.isascii() or len(text) > 20 or not value.is_finite():
        raise GimapError("invalid_coordinates", f"{name}应为十进制度数，如 112.175。")
    return value


def locate(longitude: str | None, latitude: str | None) -> Division:
    """The county (with its city as `.parent`) that a WGS-84 point given as text falls in."""
    lon, lat = _coordinate(longitude, "经度"), _coordinate(latitude, "纬度")
    try:
        geometry.point(lon, lat)
    except ValidationError as exc:
        raise GimapError("coordinates_out_of_range", exc.messages[0]) from exc
    county = division_at(lon, lat)
    if county is None:
        raise GimapError("no_county", "该坐标不在任何县（市、区）的边界内。", status=404)
    return county
