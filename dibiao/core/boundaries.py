"""Division boundaries: the fixture loaded with the divisions, an administrator's replacement of
one boundary, and which county a WGS-84 point lies in.

The fixture (`fixtures/shanxi-boundaries.geojson`, made by tools/extract_boundaries.py) is
loaded by `load_divisions` and the demo. A boundary an administrator uploaded (an official one,
say) is marked `uploaded` and a reload leaves it alone unless told `replace_uploaded`.

`division_at` answers from an in-process STRtree of the counties' prepared polygons, rebuilt
when the boundaries' version (a one-row aggregate read on each call) changes, so every process
sees another process's replacement on its next call.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shapely
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Sum
from django.utils import timezone
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from dibiao.core import geometry
from dibiao.core.audit import audit_record, snapshot_diff
from dibiao.core.choices import AuditAction, BoundarySource, DivisionLevel
from dibiao.core.errors import DomainError, ForbiddenError
from dibiao.core.models import Division, DivisionBoundary
from dibiao.core.permissions import can_edit_boundaries

if TYPE_CHECKING:
    from dibiao.accounts.models import User

DEFAULT_BOUNDARIES_FIXTURE = (
    Path(__file__).resolve().parent / "fixtures" / "shanxi-boundaries.geojson"
)
# An official county boundary can be far more detailed than the fixture; it is kept as uploaded.
BOUNDARY_MAX_VERTICES = 200_000
# How far (in degrees, ~5 km) an uploaded boundary may reach past the province's own boundary:
# official and AMap-derived borders differ by a few hundred metres, a wrong file by far more.
PROVINCE_MARGIN = 0.05


class BoundaryError(DomainError):
    """A refused boundary. Codes: the geometry's (`geojson_syntax`, `geojson_not_polygon`,
    `geojson_out_of_range`, `geojson_invalid`, …), `boundary_outside_province`,
    `boundary_elsewhere`, `invalid_boundaries` (the fixture file)."""


@dataclass(frozen=True)
class BoundaryLoadResult:
    created: int
    updated: int
    unchanged: int
    kept_uploaded: int  # an administrator's boundary that the file would have replaced
    unknown_codes: tuple[str, ...]  # features whose division is not loaded


def _columns(shape: BaseGeometry) -> dict[str, Any]:
    text = geometry.to_geojson(geometry.oriented(shape))
    box = geometry.box_of(shape)
    return {
        "geojson": text,
        "sha256": hashlib.sha256(text.encode()).hexdigest(),
        "area_hectares": geometry.area_hectares(shape),
        "min_longitude": box.min_longitude,
        "max_longitude": box.max_longitude,
        "min_latitude": box.min_latitude,
        "max_latitude": box.max_latitude,
    }


def _snapshot(boundary: DivisionBoundary | None) -> dict[str, Any]:
    """The audited state: the polygon itself is the record's; the audit keeps its hash."""
    if boundary is None:
        return {}
    return {
        "source": boundary.source,
        "source_note": boundary.source_note,
        "sha256": boundary.sha256,
        "area_hectares": str(boundary.area_hectares),
        "revision": boundary.revision,
    }


def _write(
    division: Division,
    boundary: DivisionBoundary | None,
    columns: dict[str, Any],
    *,
    source: str,
    note: str,
) -> DivisionBoundary:
    if boundary is None:
        boundary = DivisionBoundary(division=division, revision=0)
    for name, value in columns.items():
        setattr(boundary, name, value)
    boundary.source, boundary.source_note = source, note[:200]
    boundary.revision += 1
    boundary.updated_at = timezone.now()
    boundary.save()
    return boundary


def _fixture_features(data: Any) -> tuple[list[dict[str, Any]], str]:
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise BoundaryError("invalid_boundaries", "边界文件应为 GeoJSON 要素集合。")
    features = data.get("features")
    if not isinstance(features, list):
        raise BoundaryError("invalid_boundaries", "边界文件缺少 features。")
    source = (data.get("metadata") or {}).get("source") or {}
    extracted = (data.get("metadata") or {}).get("extracted", "")
    note = " ".join(str(p) for p in (source.get("package"), source.get("version")) if p)
    return features, f"{note}（{extracted} 提取）" if note and extracted else note


@transaction.atomic
def boundaries_load(*, data: Any, replace_uploaded: bool = False) -> BoundaryLoadResult:
    """Create or refresh boundaries from a FeatureCollection whose features carry
    `properties.code`; all or nothing. Run it after the divisions are loaded."""
    features, note = _fixture_features(data)
    divisions = Division.objects.in_bulk(field_name="code")
    existing = {
        b.division_id: b
        for b in DivisionBoundary.objects.select_for_update().filter(
            division__in=divisions.values()
        )
    }
    created = updated = unchanged = kept = 0
    unknown: list[str] = []
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or not isinstance(feature.get("properties"), dict):
            raise BoundaryError("invalid_boundaries", f"第 {number} 个要素缺少 properties。")
        code = str(feature["properties"].get("code", ""))
        division = divisions.get(code)
        if division is None:
            unknown.append(code or f"#{number}")
            continue
        try:
            shape = geometry.polygon_from_data(
                feature.get("geometry"), max_vertices=BOUNDARY_MAX_VERTICES
            )
        except ValidationError as exc:
            raise BoundaryError(
                "invalid_boundaries", f"{code} {division.name}：{exc.messages[0]}"
            ) from exc
        columns = _columns(shape)
        boundary = existing.get(division.pk)
        if boundary is not None and boundary.source == BoundarySource.UPLOADED:
            if not replace_uploaded:
                kept += 1
                continue
        elif boundary is not None and boundary.sha256 == columns["sha256"]:
            unchanged += 1
            continue
        _write(division, boundary, columns, source=BoundarySource.FIXTURE, note=note)
        if boundary is None:
            created += 1
        else:
            updated += 1
    if created or updated:
        audit_record(
            actor=None,
            action=AuditAction.IMPORT,
            object_type="core.divisionboundary",
            detail=f"导入行政区划边界（{note}）：新增 {created}，更新 {updated}，"
            f"保留管理员上传 {kept}",
        )
    return BoundaryLoadResult(created, updated, unchanged, kept, tuple(unknown))


def boundaries_load_file(
    *, path: Path = DEFAULT_BOUNDARIES_FIXTURE, replace_uploaded: bool = False
) -> BoundaryLoadResult:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except ValueError as exc:
        raise BoundaryError("invalid_boundaries", f"边界文件不是有效的 JSON：{exc}") from exc
    return boundaries_load(data=data, replace_uploaded=replace_uploaded)


def _province_of(division: Division) -> Division | None:
    code = division.path.split("/", 1)[0]
    return Division.objects.filter(code=code, level=DivisionLevel.PROVINCE).first()


def _check_place(division: Division, shape: BaseGeometry, current: BaseGeometry | None) -> None:
    province = _province_of(division)
    reference = None
    if province is not None and province.pk != division.pk:
        row = DivisionBoundary.objects.filter(division=province).only("geojson").first()
        reference = shapely.from_geojson(row.geojson) if row is not None else None
    elif current is not None:  # the province itself: against its own present boundary
        reference = current
    if reference is not None and not reference.buffer(PROVINCE_MARGIN).covers(shape):
        where = province.name if province is not None else "本省"
        raise BoundaryError(
            "boundary_outside_province",
            f"{division.name}边界超出{where}范围 5 公里以上，"
            "请确认坐标为 WGS-84 经纬度（经度在前）且文件属于本省。",
        )
    if current is not None and not current.intersects(shape):
        raise BoundaryError(
            "boundary_elsewhere",
            f"{division.name}边界与其现有边界完全不相交，"
            f"请确认上传的文件是否为{division.name}的边界。",
        )


@transaction.atomic
def boundary_replace(
    *, actor: User | None, division: Division, text: str, note: str = ""
) -> DivisionBoundary:
    """Replace (or set) a division's boundary with an uploaded GeoJSON Polygon or MultiPolygon
    (bare, a Feature, or a collection of one Feature), WGS-84 longitude/latitude.

    A self-intersecting ring is repaired when an area is left; the new boundary must lie within
    the province (5 km margin) and overlap the division's present one. `actor` None: a command
    run by the operator."""
    if actor is not None and not can_edit_boundaries(actor):
        raise ForbiddenError("只有省级管理员可以替换行政区划边界。")
    division = Division.objects.select_for_update().get(pk=division.pk)
    try:
        shape = geometry.parse_polygon(text, repair=True, max_vertices=BOUNDARY_MAX_VERTICES)
    except ValidationError as exc:
        code = exc.error_list[0].code or "geojson_invalid"
        raise BoundaryError(code, f"{division.name}边界：{exc.messages[0]}") from exc
    boundary = DivisionBoundary.objects.filter(division=division).first()
    current = shapely.from_geojson(boundary.geojson) if boundary is not None else None
    _check_place(division, shape, current)
    before = _snapshot(boundary)
    created = boundary is None
    boundary = _write(
        division, boundary, _columns(shape), source=BoundarySource.UPLOADED, note=note.strip()
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        obj=boundary,
        object_repr=f"{division.name}边界",
        changes=snapshot_diff(before, _snapshot(boundary)),
        detail=f"替换“{division.name}”（{division.code}）的边界"
        + (f"：{note.strip()}" if note.strip() else ""),
    )
    return boundary


@dataclass(frozen=True)
class _CountyIndex:
    version: tuple[Any, ...]
    tree: shapely.STRtree
    division_ids: tuple[int, ...]


_index: _CountyIndex | None = None


def boundaries_version() -> tuple[Any, ...]:
    """Changes whenever any boundary is written or deleted (revision only ever grows): the key
    of every in-process cache built from the boundaries (this module's index, the map's)."""
    row = DivisionBoundary.objects.aggregate(
        n=Count("pk"), revisions=Sum("revision"), at=Max("updated_at"), last=Max("pk")
    )
    return (row["n"], row["revisions"], row["at"], row["last"])


def _county_index() -> _CountyIndex:
    global _index
    version = boundaries_version()
    index = _index
    if index is None or index.version != version:
        rows = (
            DivisionBoundary.objects.filter(division__level=DivisionLevel.COUNTY)
            .order_by("division__code")
            .values_list("division_id", "geojson")
        )
        ids = tuple(division_id for division_id, _ in rows)
        # Stored text was validated when written: no second validation here.
        shapes = shapely.from_geojson([text for _, text in rows])
        shapely.prepare(shapes)
        index = _CountyIndex(version, shapely.STRtree(shapes), ids)
        _index = index
    return index


def division_at(longitude: Decimal | float, latitude: Decimal | float) -> Division | None:
    """The county-level division whose boundary covers the WGS-84 point (its border included),
    with its city as `.parent`; None outside every county boundary. On a shared border, the
    county with the lower code."""
    index = _county_index()
    point = Point(float(longitude), float(latitude))
    hits = index.tree.query(point, predicate="intersects")
    if len(hits) == 0:
        return None
    return Division.objects.select_related("parent").get(pk=index.division_ids[min(hits)])
