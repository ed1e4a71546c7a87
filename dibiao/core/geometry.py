"""Geometry without GDAL: GeoJSON text in, shapely for validity and containment, pyproj's
geodesic on the WGS-84 ellipsoid for areas (亩 and 公顷).

Coordinates are WGS-84 longitude, latitude (GeoJSON order). Everything stored is GeoJSON text
plus a bounding box, so a containment query first narrows by box in the database and then asks
shapely about the few candidates.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import shapely
from django.core.exceptions import ValidationError
from pyproj import Geod
from shapely.geometry import MultiPolygon, Point, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient
from shapely.validation import explain_validity

SQUARE_METRES_PER_MU = Decimal(10000) / Decimal(15)  # 1 亩 = 666.67 m²
SQUARE_METRES_PER_HECTARE = Decimal(10000)
# China lies within these; a pair outside is almost always latitude and longitude swapped or
# projected metres pasted in.
LONGITUDE_RANGE = (73.0, 136.0)
LATITUDE_RANGE = (3.0, 54.0)
MAX_VERTICES = 50_000

_GEOD = Geod(ellps="WGS84")


@dataclass(frozen=True)
class Box:
    min_longitude: Decimal
    min_latitude: Decimal
    max_longitude: Decimal
    max_latitude: Decimal


def _unwrap(data: Any) -> Any:
    if isinstance(data, dict) and data.get("type") == "Feature":
        return data.get("geometry")
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        features = data.get("features") or []
        if len(features) != 1:
            raise ValidationError(
                "要素集合中应只有一个面要素，当前有 %(n)s 个。",
                code="geojson_feature_count",
                params={"n": len(features)},
            )
        return features[0].get("geometry")
    return data


def _check_range(geometry: BaseGeometry) -> None:
    min_x, min_y, max_x, max_y = geometry.bounds
    if not (
        LONGITUDE_RANGE[0] <= min_x
        and max_x <= LONGITUDE_RANGE[1]
        and LATITUDE_RANGE[0] <= min_y
        and max_y <= LATITUDE_RANGE[1]
    ):
        raise ValidationError(
            "坐标超出我国范围：应为 WGS-84 经纬度（经度在前、纬度在后，如 112.17, 37.20）。",
            code="geojson_out_of_range",
        )


def _repaired(geometry: BaseGeometry) -> BaseGeometry:
    """The polygonal part of make_valid's repair (a bow-tie becomes two triangles; a spike
    collapses to a line and is dropped); empty when nothing polygonal is left."""
    fixed = shapely.make_valid(geometry)
    parts = [p for p in getattr(fixed, "geoms", [fixed]) if isinstance(p, Polygon | MultiPolygon)]
    return shapely.union_all(parts) if parts else Polygon()


def parse_polygon(
    text: str, *, repair: bool = False, max_vertices: int = MAX_VERTICES
) -> Polygon | MultiPolygon:
    """A valid Polygon or MultiPolygon from GeoJSON text (a bare geometry, a Feature, or a
    collection of one Feature); every refusal is a ValidationError saying what is wrong.

    With `repair`, an invalid polygon (a self-intersecting ring, as converted shapefiles often
    have) is repaired instead of refused, and refused only when no area is left."""
    try:
        data = json.loads(text)
    except (TypeError, ValueError, RecursionError) as exc:  # RecursionError: [[[[… nested deep
        raise ValidationError(
            "不是有效的 GeoJSON 文本（JSON 格式错误）。", code="geojson_syntax"
        ) from exc
    return polygon_from_data(data, repair=repair, max_vertices=max_vertices)


def polygon_from_data(
    data: Any, *, repair: bool = False, max_vertices: int = MAX_VERTICES
) -> Polygon | MultiPolygon:
    """parse_polygon for GeoJSON already decoded (a feature of a file read whole)."""
    data = _unwrap(data)
    if not isinstance(data, dict) or data.get("type") not in {"Polygon", "MultiPolygon"}:
        raise ValidationError(
            "边界应为 GeoJSON 面（Polygon 或 MultiPolygon）。", code="geojson_not_polygon"
        )
    try:
        geometry = shape(data)
    except (KeyError, TypeError, ValueError, AttributeError, shapely.errors.GEOSException) as exc:
        raise ValidationError("GeoJSON 面的坐标结构不正确。", code="geojson_coordinates") from exc
    if geometry.is_empty:
        raise ValidationError("边界为空。", code="geojson_empty")
    if shapely.get_num_coordinates(geometry) > max_vertices:
        raise ValidationError(
            "边界顶点过多（超过 %(n)s 个），请先简化。",
            code="geojson_too_many_vertices",
            params={"n": max_vertices},
        )
    if not geometry.is_valid:
        reason = explain_validity(geometry)
        if repair:
            geometry = _repaired(geometry)
        if not repair or geometry.is_empty or not geometry.is_valid:
            raise ValidationError(
                "边界不是有效的面：%(reason)s。请检查是否自相交或环未闭合。",
                code="geojson_invalid",
                params={"reason": reason},
            )
    _check_range(geometry)
    if not isinstance(geometry, Polygon | MultiPolygon):  # shape() of a checked type: never
        raise ValidationError("边界应为 GeoJSON 面。", code="geojson_not_polygon")
    return geometry


def validate_polygon_text(text: str) -> None:
    """A model/form validator: the text parses as a valid polygon."""
    if text:
        parse_polygon(text)


def point(longitude: Decimal | float, latitude: Decimal | float) -> Point:
    geometry = Point(float(longitude), float(latitude))
    _check_range(geometry)
    return geometry


def oriented(geometry: BaseGeometry) -> BaseGeometry:
    """Polygons with their rings wound as RFC 7946 asks: exterior counter-clockwise, holes
    clockwise. GeoJSON from elsewhere (and shapely's own unions) often winds them otherwise."""
    if isinstance(geometry, Polygon):
        return orient(geometry, 1.0)
    if isinstance(geometry, MultiPolygon):
        return MultiPolygon([orient(part, 1.0) for part in geometry.geoms])
    return geometry


def area_square_metres(geometry: BaseGeometry) -> Decimal:
    """Geodesic area on the WGS-84 ellipsoid (exact to well under 0.1 % at county scale).

    pyproj subtracts a hole only when it winds against its exterior ring and adds it otherwise:
    the rings are oriented first."""
    area, _ = _GEOD.geometry_area_perimeter(oriented(geometry))
    return Decimal(repr(abs(area)))


def area_mu(geometry: BaseGeometry) -> Decimal:
    return (area_square_metres(geometry) / SQUARE_METRES_PER_MU).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


def area_hectares(geometry: BaseGeometry) -> Decimal:
    return (area_square_metres(geometry) / SQUARE_METRES_PER_HECTARE).quantize(
        Decimal("0.0001"), rounding=ROUND_HALF_UP
    )


def box_of(geometry: BaseGeometry) -> Box:
    min_x, min_y, max_x, max_y = geometry.bounds
    q = Decimal("0.000001")
    return Box(
        Decimal(repr(min_x)).quantize(q),
        Decimal(repr(min_y)).quantize(q),
        Decimal(repr(max_x)).quantize(q),
        Decimal(repr(max_y)).quantize(q),
    )


def covers(area: BaseGeometry, geometry: BaseGeometry) -> bool:
    """`geometry` lies in `area`, its boundary included (a base on the border is inside)."""
    return bool(area.covers(geometry))


def to_geojson(geometry: BaseGeometry) -> str:
    return json.dumps(mapping(geometry), separators=(",", ":"))
