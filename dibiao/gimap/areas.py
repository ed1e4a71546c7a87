"""The map's shapes: division boundaries as shapely geometry with a representative point each,
their display collections, and each product's protected area — the uploaded polygon or, when
there is none, an approximation marked as such.

Everything derived from the boundaries is kept per process and rebuilt when the boundaries'
version changes (`boundaries_version`, one aggregate query per call), the way `division_at`
keeps its index: a boundary replaced in one process is drawn by every other on its next call.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import shapely
from shapely.geometry import box, mapping
from shapely.geometry.base import BaseGeometry

from dibiao.core import geometry
from dibiao.core.boundaries import boundaries_version
from dibiao.core.choices import DivisionLevel
from dibiao.core.models import Division, DivisionBoundary
from dibiao.producers.services.bases import product_area
from dibiao.registry.models import GIProduct

BASIS_UPLOADED = "上传边界"
BASIS_TOWNS = "按所列乡镇近似"
BASIS_BOX = "按经纬度范围近似"
BASIS_DIVISIONS = "按所在行政区划近似"

# Display tolerance in degrees by what is drawn: the whole province's counties or cities
# (1 px ≈ 1 km there) are simplified to about 200 m, a city's own counties are drawn as stored.
DISPLAY_TOLERANCE: dict[str, float] = {DivisionLevel.CITY: 0.002, DivisionLevel.COUNTY: 0.002}
# A protected area's text lists towns (镇, 乡, 街道) — which cannot be placed offline; the
# counties it names can.
TOWN = re.compile(r"[镇乡]|街道|办事处")
# Products' computed areas kept per process (a few hundred products at most in a province).
AREA_CACHE_SIZE = 512


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    level: str
    parent_id: int | None
    parent_code: str


@dataclass
class Shapes:
    """Everything derived from the boundaries, for one boundaries version."""

    version: tuple[Any, ...]
    places: dict[int, Place]
    shapes: dict[int, BaseGeometry]  # division id -> its boundary, prepared
    points: dict[int, tuple[float, float]]  # division id -> a point inside it (lon, lat)
    collections: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    areas: OrderedDict[tuple[Any, ...], ProtectedArea | None] = field(default_factory=OrderedDict)


@dataclass(frozen=True)
class ProtectedArea:
    shape: BaseGeometry
    approximate: bool
    basis: str
    area_hectares: Decimal  # geodesic, WGS-84 ellipsoid
    area_mu: Decimal

    @classmethod
    def of(cls, shape: BaseGeometry, *, approximate: bool, basis: str) -> ProtectedArea:
        return cls(
            shape, approximate, basis, geometry.area_hectares(shape), geometry.area_mu(shape)
        )


_shapes: Shapes | None = None
_lock = threading.Lock()


def _load(version: tuple[Any, ...]) -> Shapes:
    places = {
        d.pk: Place(d.code, d.name, d.level, d.parent_id, d.parent.code if d.parent else "")
        for d in Division.objects.select_related("parent").only(
            "code", "name", "level", "parent__code"
        )
    }
    rows = list(DivisionBoundary.objects.values_list("division_id", "geojson"))
    # Stored text was validated when written: no second validation here.
    parsed = shapely.from_geojson([text for _, text in rows])
    shapely.prepare(parsed)
    shapes = {division_id: shape for (division_id, _), shape in zip(rows, parsed, strict=True)}
    points = {}
    for division_id, shape in shapes.items():
        inside = shape.representative_point()
        points[division_id] = (round(inside.x, 5), round(inside.y, 5))
    return Shapes(version, places, shapes, points)


def current() -> Shapes:
    """The shapes of the present boundaries version (one aggregate query to learn it): read it
    once per request, not per row."""
    global _shapes
    version = boundaries_version()
    loaded = _shapes
    if loaded is None or loaded.version != version:
        with _lock:
            loaded = _shapes
            if loaded is None or loaded.version != version:
                loaded = _shapes = _load(version)
    return loaded


def representative_points() -> dict[int, tuple[float, float]]:
    """Division id -> a point inside its boundary (lon, lat); divisions without a boundary are
    missing."""
    return current().points


def division_shapes() -> dict[int, BaseGeometry]:
    """Division id -> its boundary (prepared)."""
    return current().shapes


def _display(shapes: list[BaseGeometry], tolerance: float | None) -> list[BaseGeometry]:
    if tolerance is None:
        return shapes
    # Simplified together, neighbours keep their shared borders; uploaded boundaries are not a
    # perfect coverage, and any shape the coverage simplification breaks is simplified alone.
    together = shapely.coverage_simplify(shapes, tolerance)
    return [
        shape if not shape.is_empty and shape.is_valid else original.simplify(tolerance)
        for shape, original in zip(together, shapes, strict=True)
    ]


def geojson_geometry(shape: BaseGeometry) -> dict[str, Any]:
    """A GeoJSON geometry with RFC 7946 winding and coordinates rounded to 6 decimals (about
    0.1 m): an intersection's computed vertices would otherwise print 15 digits each."""
    rounded = shapely.transform(geometry.oriented(shape), lambda xy: np.round(xy, 6))
    return dict(mapping(rounded))


def division_collection(level: str, *, parent: Division | None = None) -> dict[str, Any]:
    """The boundaries of the divisions at `level` (below `parent` when given) as a
    FeatureCollection, properties code, name, level, parent_code; simplified for display when
    the whole province is drawn. Built once per boundaries version."""
    shapes = current()
    key = (level, parent.code if parent is not None else "")
    cached = shapes.collections.get(key)
    if cached is not None:
        return cached
    ids = sorted(
        (
            pk
            for pk, place in shapes.places.items()
            if place.level == level
            and pk in shapes.shapes
            and (parent is None or place.parent_id == parent.pk)
        ),
        key=lambda pk: shapes.places[pk].code,
    )
    tolerance = DISPLAY_TOLERANCE.get(level) if parent is None else None
    drawn = _display([shapes.shapes[pk] for pk in ids], tolerance)
    features = []
    for pk, shape in zip(ids, drawn, strict=True):
        place = shapes.places[pk]
        features.append(
            {
                "type": "Feature",
                "id": place.code,
                "geometry": geojson_geometry(shape),
                "properties": {
                    "code": place.code,
                    "name": place.name,
                    "level": place.level,
                    "parent_code": place.parent_code,
                },
            }
        )
    collection = {"type": "FeatureCollection", "features": features}
    shapes.collections[key] = collection
    return collection


def _named_counties(text: str, divisions: list[Division], places: dict[int, Place]) -> list[int]:
    """Counties whose full name the text mentions, among the product's divisions and the
    counties below them (the whole province when it has none)."""
    if not text:
        return []
    roots = {d.pk for d in divisions}

    def under_roots(pk: int) -> bool:
        if not roots:
            return True
        place: Place | None = places[pk]
        while place is not None:
            if pk in roots:
                return True
            pk = place.parent_id or 0
            place = places.get(pk)
        return False

    return [
        pk
        for pk, place in places.items()
        if place.level == DivisionLevel.COUNTY and place.name in text and under_roots(pk)
    ]


def _union(shapes: dict[int, BaseGeometry], ids: list[int]) -> BaseGeometry | None:
    parts = [shapes[pk] for pk in ids if pk in shapes]
    return shapely.union_all(parts) if parts else None


def _approximate(
    product: GIProduct, divisions: list[Division], shapes: Shapes
) -> ProtectedArea | None:
    uploaded = product_area(product)
    if uploaded is not None:
        return ProtectedArea.of(uploaded, approximate=False, basis=BASIS_UPLOADED)
    lists_towns = bool(TOWN.search(product.protected_area))
    named = _named_counties(product.protected_area, divisions, shapes.places)
    counties = _union(shapes.shapes, named) or _union(shapes.shapes, [d.pk for d in divisions])
    frame = (
        box(
            float(product.min_longitude),  # type: ignore[arg-type]
            float(product.min_latitude),  # type: ignore[arg-type]
            float(product.max_longitude),  # type: ignore[arg-type]
            float(product.max_latitude),  # type: ignore[arg-type]
        )
        if product.has_bbox
        else None
    )
    if frame is not None:
        if counties is not None and counties.intersects(frame):
            return ProtectedArea.of(counties.intersection(frame), approximate=True, basis=BASIS_BOX)
        return ProtectedArea.of(frame, approximate=True, basis=BASIS_BOX)
    if counties is None:
        return None
    return ProtectedArea.of(
        counties, approximate=True, basis=BASIS_TOWNS if lists_towns and named else BASIS_DIVISIONS
    )


def protected_area(product: GIProduct, divisions: list[Division]) -> ProtectedArea | None:
    """The product's protected area: its uploaded polygon; else, approximate, the counties its
    text names when it lists towns (towns cannot be placed offline), or its own divisions —
    cut to its coordinate box when it has one, or the box alone; None when nothing places it.
    `divisions` are the product's (prefetched by the caller)."""
    shapes = current()
    # Keyed by what the area is computed from, not by updated_at: a row changed without the
    # registry's service (an import, a shell) must not keep an old area.
    key = (
        product.pk,
        hash(product.protected_area_boundary),
        product.protected_area,
        (product.min_longitude, product.min_latitude, product.max_longitude, product.max_latitude),
        tuple(sorted(d.pk for d in divisions)),
    )
    if key in shapes.areas:
        shapes.areas.move_to_end(key)
        return shapes.areas[key]
    area = _approximate(product, divisions, shapes)
    shapes.areas[key] = area
    while len(shapes.areas) > AREA_CACHE_SIZE:
        shapes.areas.popitem(last=False)
    return area
