"""The map's layers as GeoJSON FeatureCollections (WGS-84, RFC 7946), scoped to the user.

Every feature carries `id`, `name`, `layer`, `kind` with its Chinese `kind_label`, and `url`
(the staff page when the user may open it, the public page otherwise, or ""), plus the facts
of its layer. Something placed at its county's representative point because nothing more
precise is recorded says so: `approximate: true` with its `basis`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, OuterRef, Subquery
from django.urls import reverse

from dibiao.accounts.choices import OrganizationKind
from dibiao.core.audit import audit_record
from dibiao.core.choices import AuditAction
from dibiao.core.errors import NotFoundError
from dibiao.core.models import Division
from dibiao.gimap import areas, checks, selectors
from dibiao.gimap.errors import GimapError
from dibiao.gimap.permissions import can_view_division
from dibiao.producers.choices import BaseKind, BaseStatus, ProducerKind, ProducerStatus
from dibiao.producers.models import ProductionBase
from dibiao.production.permissions import can_view_production
from dibiao.registry.choices import ProductCategory, ProductStatus
from dibiao.registry.models import GIProduct

LAYERS = ("protected_areas", "bases", "producers", "labs", "events", "scans")
PUBLIC_LAYERS = frozenset({"protected_areas", "bases", "producers", "scans"})
LAYER_LABELS = {
    "protected_areas": "地域保护范围",
    "bases": "生产基地",
    "producers": "生产经营主体",
    "labs": "检测机构",
    "events": "培训活动",
    "scans": "扫码查询",
}
# 1 亩 = 1/15 公顷.
MU_PER_HECTARE = Decimal(15)
BASIS_COUNTY_POINT = "所在县代表点"
BASIS_BASE_POINT = "基地位置"
BASIS_BOUNDARY_BOX = "边界范围中心"


@dataclass(frozen=True)
class _Ask:
    user: Any
    public: bool
    division_ids: frozenset[int] | None  # the requested division's subtree; None: anywhere
    product: GIProduct | None


def _point(point: tuple[float, float]) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [point[0], point[1]]}


def _feature(layer: str, pk: int, geometry: dict[str, Any], **properties: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": f"{layer}.{pk}",
        "geometry": geometry,
        "properties": {"id": pk, "layer": layer, **properties},
    }


def _hectares(mu: Decimal) -> float:
    return float((mu / MU_PER_HECTARE).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def _float(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def _url(name: str, pk: int) -> str:
    return reverse(name, args=[pk])


def product_url(product: GIProduct, openable: frozenset[int]) -> str:
    """The product's staff page when the user may open it, else its public page when it is
    registered, else none."""
    if product.pk in openable:
        return _url("registry:product-detail", product.pk)
    if product.status == ProductStatus.REGISTERED:
        return _url("registry:public-product-detail", product.pk)
    return ""


def _protected_areas(ask: _Ask) -> list[dict[str, Any]]:
    rows = selectors.products_for_map(user=ask.user, public=ask.public)
    if ask.division_ids is not None:
        rows = rows.filter(divisions__in=ask.division_ids).distinct()
    if ask.product is not None:
        rows = rows.filter(pk=ask.product.pk)
    openable = selectors.openable_product_ids(user=ask.user, public=ask.public)
    features = []
    for product in rows.prefetch_related("divisions").order_by("name", "pk"):
        divisions = list(product.divisions.all())
        area = areas.protected_area(product, divisions)
        if area is None:
            continue
        features.append(
            _feature(
                "protected_areas",
                product.pk,
                areas.geojson_geometry(area.shape),
                name=product.name,
                kind="protected_area",
                kind_label="地域保护范围",
                category=ProductCategory(product.category).label,
                certificate_number=product.certificate_number,
                status=product.status,
                status_label=ProductStatus(product.status).label,
                description=product.protected_area,
                approximate=area.approximate,
                basis=area.basis,
                area_hectares=float(area.area_hectares),
                area_mu=float(area.area_mu),
                division_codes=[d.code for d in divisions],
                url=product_url(product, openable),
            )
        )
    return features


def _base_geometry(
    base: ProductionBase, public: bool, points: dict[int, tuple[float, float]]
) -> tuple[dict[str, Any], str] | None:
    """The base's boundary (staff), else its point, else the middle of its boundary's box;
    else its county's representative point (approximate). With the basis of a placed point."""
    if base.boundary and not public:
        return json.loads(base.boundary), ""
    point = checks.base_point(base)
    if point is not None:
        basis = "" if base.longitude is not None else BASIS_BOUNDARY_BOX
        return _point(point), basis
    county = points.get(base.division_id)
    return (_point(county), BASIS_COUNTY_POINT) if county is not None else None


def _bases(ask: _Ask) -> list[dict[str, Any]]:
    rows = checks.with_map_fields(selectors.bases_for_map(user=ask.user, public=ask.public))
    if ask.division_ids is not None:
        rows = rows.filter(division_id__in=ask.division_ids)
    if ask.product is not None:
        rows = rows.filter(product=ask.product)
    shapes = areas.current()
    points, counties = shapes.points, shapes.shapes
    features = []
    for base in rows.order_by("division__code", "product__name", "name", "pk"):
        placed = _base_geometry(base, ask.public, points)
        if placed is None:
            continue
        geometry, basis = placed
        facts: dict[str, Any] = {
            "name": base.name,
            "kind": base.kind,
            "kind_label": BaseKind(base.kind).label,
            "status": base.status,
            "status_label": BaseStatus(base.status).label,
            "product_id": base.product_id,
            "product": base.product.name,
            "producer_id": base.producer_id,
            "producer": base.producer.name,
            "division_code": base.division.code,
            "division": base.division.name,
            # The reported area, as the producers pages and API give it; the area computed from
            # the boundary (geodesic) beside it when there is one.
            "area_mu": float(base.area_mu),
            "area_hectares": _hectares(base.area_mu),
            "boundary_area_mu": _float(base.boundary_area_mu),
            "boundary_area_hectares": (
                _hectares(base.boundary_area_mu) if base.boundary_area_mu is not None else None
            ),
            "inside_protected_area": checks.inside_protected_area(base),
            "approximate": basis == BASIS_COUNTY_POINT,
            "basis": basis,
        }
        if not ask.public:
            facts["in_recorded_county"] = checks.in_recorded_county(base, counties)
        facts["url"] = "" if ask.public else _url("producers:base-detail", base.pk)
        features.append(_feature("bases", base.pk, geometry, **facts))
    return features


def _producers(ask: _Ask) -> list[dict[str, Any]]:
    rows = selectors.producers_for_map(user=ask.user, public=ask.public)
    if ask.division_ids is not None:
        rows = rows.filter(division_id__in=ask.division_ids)
    if ask.product is not None:
        rows = rows.filter(products=ask.product)
    if not ask.public:
        # The public map places a producer at its county, as the public list names it; staff
        # see it at its first base with a recorded point.
        placed = ProductionBase.objects.filter(
            producer=OuterRef("pk"), longitude__isnull=False
        ).order_by("pk")
        rows = rows.annotate(
            base_longitude=Subquery(placed.values("longitude")[:1]),
            base_latitude=Subquery(placed.values("latitude")[:1]),
        )
    authorized = set(selectors.label_users(rows).values_list("pk", flat=True))
    rows = rows.select_related("division").prefetch_related("products")
    points = areas.representative_points()
    features = []
    for producer in rows.order_by("division__code", "name", "pk"):
        base_lon = getattr(producer, "base_longitude", None)
        base_lat = getattr(producer, "base_latitude", None)
        if base_lon is not None and base_lat is not None:
            point: tuple[float, float] | None = (float(base_lon), float(base_lat))
            basis = BASIS_BASE_POINT
        else:
            point, basis = points.get(producer.division_id), BASIS_COUNTY_POINT
        if point is None:
            continue
        products = sorted(producer.products.all(), key=lambda p: p.name)
        features.append(
            _feature(
                "producers",
                producer.pk,
                _point(point),
                name=producer.name,
                kind=producer.kind,
                kind_label=ProducerKind(producer.kind).label,
                status=producer.status,
                status_label=ProducerStatus(producer.status).label,
                division_code=producer.division.code,
                division=producer.division.name,
                products=[p.name for p in products],
                product_ids=[p.pk for p in products],
                authorized=producer.pk in authorized,
                approximate=basis == BASIS_COUNTY_POINT,
                basis=basis,
                url="" if ask.public else _url("producers:producer-detail", producer.pk),
            )
        )
    return features


def _labs(ask: _Ask) -> list[dict[str, Any]]:
    rows = selectors.labs_for_map(user=ask.user)
    if ask.division_ids is not None:
        rows = rows.filter(division_id__in=ask.division_ids)
    if ask.product is not None:
        rows = rows.filter(test_reports__product=ask.product).distinct()
    rows = rows.select_related("division").annotate(reports=Count("test_reports", distinct=True))
    points = areas.representative_points()
    features = []
    for lab in rows.order_by("division__code", "name", "pk"):
        point = points.get(lab.division_id)
        if point is None:
            continue
        features.append(
            _feature(
                "labs",
                lab.pk,
                _point(point),
                name=lab.name,
                kind=OrganizationKind.LAB.value,
                kind_label=OrganizationKind.LAB.label,
                division_code=lab.division.code,
                division=lab.division.name,
                test_reports=lab.reports,
                approximate=True,
                basis=BASIS_COUNTY_POINT,
                url="",
            )
        )
    return features


def _events(ask: _Ask) -> list[dict[str, Any]]:
    """Training sessions (the platform records no other kind of event), each at its county:
    the place is free text."""
    rows = selectors.trainings_for_map(user=ask.user)
    if ask.division_ids is not None:
        rows = rows.filter(division_id__in=ask.division_ids)
    if ask.product is not None:
        rows = rows.filter(product=ask.product)
    may_open = can_view_production(ask.user)
    points = areas.representative_points()
    features = []
    for session in rows.select_related("product", "division").order_by("-held_on", "-pk"):
        point = points.get(session.division_id)
        if point is None:
            continue
        features.append(
            _feature(
                "events",
                session.pk,
                _point(point),
                name=session.topic,
                kind="training",
                kind_label="培训",
                held_on=session.held_on.isoformat(),
                place=session.place,
                product_id=session.product_id,
                product=session.product.name,
                attendees=session.attendee_count,
                division_code=session.division.code,
                division=session.division.name,
                approximate=True,
                basis=BASIS_COUNTY_POINT,
                url=_url("production:training-detail", session.pk) if may_open else "",
            )
        )
    return features


def _scans(ask: _Ask) -> list[dict[str, Any]]:
    counts = selectors.scan_counts(
        user=ask.user, public=ask.public, division_ids=ask.division_ids, product=ask.product
    )
    counties = Division.objects.in_bulk(list(counts))
    points = areas.representative_points()
    features = []
    for county in sorted(counties.values(), key=lambda d: d.code):
        point = points.get(county.pk)
        if point is None:
            continue
        features.append(
            _feature(
                "scans",
                county.pk,
                _point(point),
                name=county.name,
                kind="county_total",
                kind_label="县域扫码次数",
                division_code=county.code,
                scans=counts[county.pk],
                approximate=True,
                basis=BASIS_COUNTY_POINT,
                url="",
            )
        )
    return features


_BUILDERS: dict[str, Callable[[_Ask], list[dict[str, Any]]]] = {
    "protected_areas": _protected_areas,
    "bases": _bases,
    "producers": _producers,
    "labs": _labs,
    "events": _events,
    "scans": _scans,
}


def check_layer(layer: str, *, public: bool) -> None:
    if layer not in LAYERS:
        raise GimapError("unknown_layer", f"没有“{layer[:40]}”这个图层。", status=404)
    if public and layer not in PUBLIC_LAYERS:
        raise GimapError("layer_not_public", "该图层不对公众开放。", status=404)


def layer_collection(
    user: Any,
    layer: str,
    *,
    division: Division | None = None,
    product: GIProduct | None = None,
    public: bool = False,
) -> dict[str, Any]:
    """One layer in the user's scope (public=True: the public's view of a public layer), within
    `division` (itself and below) and of `product` when given."""
    check_layer(layer, public=public)
    if division is not None and not public and not can_view_division(user, division):
        raise NotFoundError("未找到该行政区划。")
    ask = _Ask(
        user=None if public else user,
        public=public,
        division_ids=selectors.subtree_ids(division) if division is not None else None,
        product=product,
    )
    return {
        "type": "FeatureCollection",
        "layer": layer,
        "layer_label": LAYER_LABELS[layer],
        "features": _BUILDERS[layer](ask),
    }


def division_collection(level: str, *, parent: Division | None = None) -> dict[str, Any]:
    """Boundaries as a FeatureCollection (properties code, name, level, parent_code), simplified
    for display when the whole province is drawn; built once per boundaries version."""
    return areas.division_collection(level, parent=parent)


def layer_export(
    user: Any, layer: str, *, division: Division | None = None, product: GIProduct | None = None
) -> tuple[str, bytes]:
    """The GeoJSON export of a layer in the user's scope: its file name and content. Audited
    like every export of the platform's records."""
    collection = layer_collection(user, layer, division=division, product=product)
    where = division.code if division is not None else "all"
    name = f"{layer}-{where}.geojson"
    audit_record(
        actor=user,
        action=AuditAction.EXPORT,
        object_type="gimap.layer",
        object_id=layer,
        object_repr=LAYER_LABELS[layer],
        detail=f"导出图层“{LAYER_LABELS[layer]}”GeoJSON（{division.name if division else '全部'}"
        + (f"，产品 {product.name}" if product is not None else "")
        + f"）：{len(collection['features'])} 个要素",
    )
    return name, dump(collection)


def dump(collection: dict[str, Any]) -> bytes:
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode()
