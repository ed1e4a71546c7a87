"""Writes of production bases (核心生产基地 / 特色品种繁育基地).

Every save derives the geometry columns from the input: the boundary is validated and stored as
compact GeoJSON with its box and its geodesic area in 亩, and `outside_protected_area` is
recomputed against the product's protected-area polygon (the boundary, or the point when there
is no boundary, must lie within it). When a product's polygon changes, the registry calls
`base_recheck_protected_area`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import shapely
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from shapely.geometry.base import BaseGeometry

from dibiao.accounts.models import User
from dibiao.accounts.scoping import scope_for
from dibiao.core import geometry
from dibiao.core.audit import audit_record, model_snapshot, snapshot_diff
from dibiao.core.choices import AuditAction, DivisionLevel
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.core.models import Division
from dibiao.producers.choices import BaseKind, BaseStatus, ProducerStatus
from dibiao.producers.errors import ProducersError
from dibiao.producers.models import Producer, ProductionBase
from dibiao.producers.permissions import can_manage_bases
from dibiao.producers.rules import FieldError, as_field_error, parse_decimal
from dibiao.registry.models import GIProduct

BASE_TRANSITIONS: dict[str, frozenset[str]] = {
    BaseStatus.BUILDING: frozenset({BaseStatus.ACTIVE, BaseStatus.INACTIVE}),
    BaseStatus.ACTIVE: frozenset({BaseStatus.INACTIVE}),
    BaseStatus.INACTIVE: frozenset({BaseStatus.ACTIVE}),
}
INITIAL_STATUSES = frozenset({BaseStatus.ACTIVE, BaseStatus.BUILDING})
COORDINATE = Decimal("0.000001")
SNAPSHOT_EXCLUDE = frozenset({"updated_at", "boundary"})


def _snapshot(base: ProductionBase) -> dict[str, Any]:
    """The audited state. A boundary can be megabytes of coordinates: the audit row keeps its
    SHA-256 (which shows that and when it changed) and the record keeps the polygon."""
    snapshot = model_snapshot(base, exclude=SNAPSHOT_EXCLUDE)
    snapshot["boundary_sha256"] = (
        hashlib.sha256(base.boundary.encode()).hexdigest() if base.boundary else ""
    )
    return snapshot


@dataclass(frozen=True)
class BaseInput:
    product: GIProduct
    kind: str
    name: str
    area_mu: Decimal | str
    division: Division | None = None  # None: the producer's county
    address: str = ""
    longitude: Decimal | None = None
    latitude: Decimal | None = None
    boundary: str = ""
    has_storage: bool = False
    has_cold_chain: bool = False
    facilities: str = ""


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise ForbiddenError(message)


def _lock_producer(actor: User | None, producer: Producer) -> Producer:
    rows = Producer.objects.restrict(actor) if actor is not None else Producer.objects.all()
    locked = rows.select_for_update(of=("self",)).filter(pk=producer.pk).first()
    if locked is None:
        raise NotFoundError("未找到该生产经营主体。")
    return locked


def _lock_base(actor: User | None, base: ProductionBase) -> ProductionBase:
    rows = (
        ProductionBase.objects.restrict(actor)
        if actor is not None
        else ProductionBase.objects.all()
    )
    locked = (
        rows.select_for_update(of=("self",)).select_related("producer").filter(pk=base.pk).first()
    )
    if locked is None:
        raise NotFoundError("未找到该生产基地。")
    return locked


def product_area(product: GIProduct) -> BaseGeometry | None:
    """The product's protected-area polygon, prepared for repeated tests; None without one."""
    if not product.protected_area_boundary:
        return None
    try:
        area = geometry.parse_polygon(product.protected_area_boundary)
    except ValidationError:
        return None  # the registry validates it on save; an old bad value checks nothing
    shapely.prepare(area)
    return area


def base_shape(base: ProductionBase) -> BaseGeometry | None:
    """The base's boundary, else its point, else None."""
    if base.boundary:
        return geometry.parse_polygon(base.boundary)
    if base.longitude is not None and base.latitude is not None:
        return geometry.point(base.longitude, base.latitude)
    return None


def is_outside(area: BaseGeometry | None, shape: BaseGeometry | None) -> bool:
    return area is not None and shape is not None and not geometry.covers(area, shape)


def _division(actor: User | None, producer: Producer, division: Division | None) -> Division:
    if division is None or division.pk == producer.division_id:
        return producer.division
    if division.level != DivisionLevel.COUNTY:
        raise FieldError("division", "division_not_county", "所在县（市、区）应为县级行政区划。")
    if actor is not None and division.pk not in scope_for(actor).division_ids:
        raise FieldError(
            "division", "division_out_of_scope", "基地所在县应为主体所在县或您管辖范围内的县。"
        )
    return division


def _point(data: BaseInput) -> tuple[Decimal | None, Decimal | None]:
    if (data.longitude is None) != (data.latitude is None):
        raise FieldError("longitude", "point_incomplete", "经度和纬度需同时填写或同时留空。")
    if data.longitude is None or data.latitude is None:
        return None, None
    lon, lat = data.longitude, data.latitude
    as_field_error("longitude", "位置", lambda: geometry.point(lon, lat))
    return lon.quantize(COORDINATE), lat.quantize(COORDINATE)


def _fill(actor: User | None, base: ProductionBase, data: BaseInput) -> None:
    producer = base.producer
    name = data.name.strip()
    if not name:
        raise FieldError("name", "name_required", "请填写基地名称。")
    if data.kind not in BaseKind.values:
        raise FieldError("kind", "invalid_kind", "请选择基地类型。")
    if not producer.products.filter(pk=data.product.pk).exists():
        raise FieldError(
            "product",
            "product_not_of_producer",
            f"“{producer.name}”未登记生产“{data.product.name}”，请先在主体信息中添加该产品。",
        )
    area = as_field_error(
        "area_mu", "面积（亩）", lambda: parse_decimal(data.area_mu, minimum=Decimal("0.01"))
    )
    longitude, latitude = _point(data)
    boundary = data.boundary.strip()
    shape: BaseGeometry | None = None
    if boundary:
        shape = as_field_error("boundary", "边界", lambda: geometry.parse_polygon(boundary))
    base.product = data.product
    base.kind = data.kind
    base.name = name
    base.division = _division(actor, producer, data.division)
    base.address = data.address.strip()
    base.area_mu = area
    base.longitude, base.latitude = longitude, latitude
    base.has_storage, base.has_cold_chain = data.has_storage, data.has_cold_chain
    base.facilities = data.facilities.strip()
    if shape is not None:
        box = geometry.box_of(shape)
        base.boundary = geometry.to_geojson(shape)
        base.boundary_area_mu = geometry.area_mu(shape)
        base.min_longitude, base.max_longitude = box.min_longitude, box.max_longitude
        base.min_latitude, base.max_latitude = box.min_latitude, box.max_latitude
    else:
        base.boundary, base.boundary_area_mu = "", None
        base.min_longitude = base.max_longitude = base.min_latitude = base.max_latitude = None
        if longitude is not None and latitude is not None:
            shape = geometry.point(longitude, latitude)
    base.outside_protected_area = is_outside(product_area(data.product), shape)


def _save(base: ProductionBase) -> None:
    twins = ProductionBase.objects.filter(producer_id=base.producer_id, name=base.name)
    if twins.exclude(pk=base.pk).exists():
        raise FieldError("name", "duplicate_name", "该主体已有同名基地。", status=409)
    try:
        with transaction.atomic():
            base.save()
    except IntegrityError as exc:
        raise FieldError("name", "duplicate_name", "该主体已有同名基地。", status=409) from exc


@transaction.atomic
def base_create(
    *, actor: User | None, producer: Producer, data: BaseInput, status: str = BaseStatus.ACTIVE
) -> ProductionBase:
    producer = _lock_producer(actor, producer)
    if actor is not None:
        _require(can_manage_bases(actor, producer), "没有为该主体登记基地的权限。")
    if producer.status != ProducerStatus.ACTIVE:
        raise ProducersError(
            "producer_not_active", "该主体已暂停或注销，不能新增基地。", status=409
        )
    if status not in INITIAL_STATUSES:
        raise FieldError("status", "invalid_status", "新基地的状态应为“在用”或“在建”。")
    base = ProductionBase(producer=producer, status=status)
    _fill(actor, base, data)
    _save(base)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=base,
        changes={"after": _snapshot(base)},
    )
    return base


@transaction.atomic
def base_update(*, actor: User | None, base: ProductionBase, data: BaseInput) -> ProductionBase:
    base = _lock_base(actor, base)
    if actor is not None:
        _require(can_manage_bases(actor, base.producer), "没有修改该基地的权限。")
    before = _snapshot(base)
    _fill(actor, base, data)
    base.updated_at = timezone.now()
    _save(base)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=base,
        changes=snapshot_diff(before, _snapshot(base)),
    )
    return base


def base_next_statuses(base: ProductionBase) -> list[BaseStatus]:
    allowed = BASE_TRANSITIONS[base.status]
    return [status for status in BaseStatus if status in allowed]


@transaction.atomic
def base_set_status(*, actor: User | None, base: ProductionBase, status: str) -> ProductionBase:
    base = _lock_base(actor, base)
    if actor is not None:
        _require(can_manage_bases(actor, base.producer), "没有变更该基地状态的权限。")
    current = BaseStatus(base.status)
    if status not in BASE_TRANSITIONS[current]:
        target = BaseStatus(status).label if status in BaseStatus.values else status
        raise ProducersError(
            "invalid_transition", f"基地当前为“{current.label}”，不能改为“{target}”。", status=409
        )
    base.status = status
    base.updated_at = timezone.now()
    base.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=base,
        changes={"before": {"status": current.value}, "after": {"status": status}},
    )
    return base


@transaction.atomic
def base_recheck_protected_area(*, product: GIProduct, actor: User | None = None) -> int:
    """Recompute `outside_protected_area` of every base of `product` against its current
    polygon (call after the polygon changes); the number of bases whose flag changed."""
    area = product_area(product)
    changed: list[ProductionBase] = []
    bases = (
        ProductionBase.objects.select_for_update()
        .filter(product=product)
        .only("pk", "boundary", "longitude", "latitude", "outside_protected_area")
    )
    for base in bases:
        try:
            shape = base_shape(base)
        except ValidationError:
            shape = None  # saved through _fill, so valid; an old bad value checks nothing
        outside = is_outside(area, shape)
        if outside != base.outside_protected_area:
            base.outside_protected_area = outside
            changed.append(base)
    ProductionBase.objects.bulk_update(changed, ["outside_protected_area"], batch_size=500)
    if changed:
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=product,
            detail=f"地域保护范围变更后重新核查基地：{len(changed)} 个基地的“超出地域保护范围”标记已更新",
        )
    return len(changed)
