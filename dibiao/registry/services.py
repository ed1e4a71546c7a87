"""Writes to the GI product registry: each atomic, scoped and audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.utils import timezone

from dibiao.accounts.models import Organization, User
from dibiao.accounts.permissions import can_edit_products
from dibiao.accounts.scoping import scope_for
from dibiao.core.audit import audit_record, model_snapshot, snapshot_diff
from dibiao.core.choices import AuditAction
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.core.models import Division
from dibiao.core.uploads import DOCUMENT_KINDS, IMAGE_KINDS, check_upload
from dibiao.registry.choices import DocumentKind, ProductStatus, RegulationStatus
from dibiao.registry.errors import RegistryError
from dibiao.registry.models import (
    GIProduct,
    ProductDocument,
    ProductImage,
    TechnicalRegulation,
)
from dibiao.registry.permissions import can_publish_regulation

PRODUCT_FIELDS = (
    "name",
    "category",
    "subcategory",
    "certificate_number",
    "qc_spec_number",
    "registration_year",
    "announcement",
    "certificate_holder",
    "protected_area",
    "protected_area_boundary",
    "min_longitude",
    "max_longitude",
    "min_latitude",
    "max_latitude",
    "quality_characteristics",
    "story",
    "notes",
    "sources",
)
# Apps above the registry keep facts derived from a product's protected-area boundary (a base's
# "outside the protected area" flag). The registry cannot import them (dependencies go one way),
# so they register a listener from their AppConfig.ready(); product_save calls it inside its
# transaction whenever the boundary changes, so the flags never disagree with the boundary.
BoundaryListener = Callable[[GIProduct, "User | None"], object]
_BOUNDARY_LISTENERS: list[BoundaryListener] = []


def on_boundary_change(listener: BoundaryListener) -> None:
    """`listener(product, actor)` runs inside product_save's transaction after a boundary change."""
    if listener not in _BOUNDARY_LISTENERS:
        _BOUNDARY_LISTENERS.append(listener)


# The timestamp changes on every save; auditing it would make every edit look like a change.
_NOT_AUDITED = frozenset({"updated_at"})


def _field_label(name: str) -> str:
    if name == "__all__":
        return ""
    field = GIProduct._meta.get_field(name)
    return str(getattr(field, "verbose_name", name))


def _validation_message(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        parts: list[str] = []
        for name, errors in exc.message_dict.items():
            label = _field_label(name)
            parts.extend(f"{label}：{e}" if label else e for e in errors)
        return "；".join(parts)
    return "；".join(exc.messages)


def _check_writable(actor: User | None, product: GIProduct | None) -> None:
    if actor is None:  # management commands (demo loading, imports run by an operator)
        return
    if not can_edit_products(actor):
        raise ForbiddenError("只有省级或县级管理员可以维护地理标志产品。")
    if product is not None and not GIProduct.objects.restrict(actor).filter(pk=product.pk).exists():
        raise NotFoundError("未找到该产品。")


def _placed_divisions(
    *,
    actor: User | None,
    requested: list[Division] | None,
    current: list[Division],
    creating: bool,
) -> list[Division]:
    """The divisions the product will have once saved. `requested=None` on an update leaves
    them alone. An actor may only name divisions in its scope; the divisions of a shared product
    outside that scope are another county's to change, so they are kept whatever is sent (a
    county's form cannot even show them)."""
    if actor is None:
        placed = current if requested is None else requested
        if not placed:
            # Every product has a place, if only its province: scoping is by division, and a
            # product with none would be nobody's to see or complete.
            raise RegistryError("division_required", "请至少选择一个所在行政区划。")
        return placed
    if requested is None and not creating:
        return current
    requested = requested or []
    scope = scope_for(actor)
    outside = [d.name for d in requested if d.pk not in scope.division_ids]
    if outside:
        raise RegistryError("division_out_of_scope", f"{'、'.join(outside)}不在您的管辖范围内。")
    placed = requested + [d for d in current if d.pk not in scope.division_ids]
    if not placed:
        raise RegistryError("division_required", "请至少选择一个所在行政区划。")
    return placed


def _check_holder(actor: User | None, holder: Organization | None, previous_id: int | None) -> None:
    # An unchanged holder is not re-checked: on a shared product it may sit in the other county.
    if actor is None or holder is None or holder.pk == previous_id:
        return
    if not Organization.objects.restrict(actor).filter(pk=holder.pk).exists():
        raise RegistryError("holder_out_of_scope", "证书持有人不在您的管辖范围内。")


def _normalise_decimals(product: GIProduct) -> None:
    # The database hands decimals back with all their places (112.500000); keeping the same form
    # in memory stops an unchanged coordinate from showing up as a change in the audit diff.
    for field in product._meta.concrete_fields:
        if isinstance(field, models.DecimalField) and field.decimal_places is not None:
            value = getattr(product, field.attname)
            if value is not None:
                setattr(
                    product,
                    field.attname,
                    Decimal(value).quantize(Decimal(1).scaleb(-field.decimal_places)),
                )


@transaction.atomic
def product_save(
    *,
    actor: User | None,
    product: GIProduct | None = None,
    data: dict[str, Any],
    divisions: Iterable[Division] | None = None,
) -> GIProduct:
    """Create (product=None) or update a GI product. `divisions`, when given, replaces the
    product's divisions within the actor's scope (see `_placed_divisions`). An update that
    changes nothing writes nothing, not even an audit row."""
    _check_writable(actor, product)
    creating = product is None
    if product is None:
        product = GIProduct()
        before: dict[str, Any] = {}
        current_divisions: list[Division] = []
    else:
        product = GIProduct.objects.select_for_update().get(pk=product.pk)
        before = model_snapshot(product, exclude=_NOT_AUDITED)
        current_divisions = list(product.divisions.all())
    previous_holder_id = product.certificate_holder_id
    previous_boundary = product.protected_area_boundary
    for name in PRODUCT_FIELDS:
        if name in data:
            value = data[name]
            setattr(product, name, value.strip() if isinstance(value, str) else value)
    new_divisions = _placed_divisions(
        actor=actor,
        requested=list(divisions) if divisions is not None else None,
        current=current_divisions,
        creating=creating,
    )
    _check_holder(actor, product.certificate_holder, previous_holder_id)
    try:
        product.full_clean(exclude=["created_at", "updated_at"])
    except ValidationError as exc:
        raise RegistryError("invalid_product", _validation_message(exc)) from exc
    _normalise_decimals(product)
    if not creating:
        pending = model_snapshot(product, exclude=_NOT_AUDITED | {"divisions"})
        pending["divisions"] = sorted(d.pk for d in new_divisions)
        if not snapshot_diff(before, pending)["after"]:
            return product
    product.updated_at = timezone.now()
    product.save()
    if divisions is not None:
        product.divisions.set(new_divisions)
    if product.protected_area_boundary != previous_boundary:
        for listener in _BOUNDARY_LISTENERS:
            listener(product, actor)
    after = model_snapshot(product, exclude=_NOT_AUDITED)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE if creating else AuditAction.UPDATE,
        obj=product,
        changes={"after": after} if creating else snapshot_diff(before, after),
    )
    return product


_STATUS_TRANSITIONS = {
    ProductStatus.REGISTERED: {ProductStatus.CANCELLED},
    ProductStatus.CANCELLED: {ProductStatus.REGISTERED},
}


def product_next_statuses(product: GIProduct) -> list[ProductStatus]:
    """The statuses `product_set_status` would accept from the product's current one."""
    allowed = _STATUS_TRANSITIONS.get(ProductStatus(product.status), set())
    return [status for status in ProductStatus if status in allowed]


@transaction.atomic
def product_set_status(
    *, actor: User | None, product: GIProduct, status: str, reason: str
) -> GIProduct:
    _check_writable(actor, product)
    if actor is not None:
        # Cancelling a product shared by several counties is not one county's decision: all of
        # the product's divisions must lie in the actor's scope (the city or the province).
        scope = scope_for(actor)
        if product.divisions.exclude(pk__in=scope.division_ids).exists():
            raise ForbiddenError("该产品跨越多个县，状态变更须由上级管理员办理。")
    product = GIProduct.objects.select_for_update().get(pk=product.pk)
    if status not in _STATUS_TRANSITIONS.get(ProductStatus(product.status), set()):
        raise RegistryError(
            "invalid_transition",
            f"产品当前状态为“{product.get_status_display()}”，不能改为“{ProductStatus(status).label}”。"
            if status in ProductStatus.values
            else f"未知状态：{status}。",
            status=409,
        )
    if not reason.strip():
        raise RegistryError("reason_required", "请填写状态变更的原因。")
    before = product.status
    product.status = status
    product.updated_at = timezone.now()
    product.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=product,
        changes={"before": {"status": before}, "after": {"status": status}},
        detail=reason.strip(),
    )
    return product


def _check_upload(upload: UploadedFile, allowed: frozenset[str]) -> None:
    """The project's one upload validator (content sniffing, size limit; raises `UploadError`).
    The stored file keeps the user's name, since the download is named after it, but always
    with the extension of the detected kind."""
    checked = check_upload(upload, allowed=allowed)
    upload.name = checked.download_name


@transaction.atomic
def product_document_add(
    *, actor: User | None, product: GIProduct, title: str, kind: str, upload: UploadedFile
) -> ProductDocument:
    _check_writable(actor, product)
    _check_upload(upload, DOCUMENT_KINDS)
    if kind not in DocumentKind.values:
        raise RegistryError("invalid_kind", "请选择文件类型。")
    if not title.strip():
        raise RegistryError("title_required", "请填写文件标题。")
    document = ProductDocument.objects.create(
        product=product, title=title.strip(), kind=kind, file=upload, uploaded_by=actor
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=document,
        changes={
            "after": {"product": product.pk, "title": document.title, "file": document.file.name}
        },
    )
    return document


@transaction.atomic
def product_image_add(
    *, actor: User | None, product: GIProduct, caption: str, upload: UploadedFile
) -> ProductImage:
    _check_writable(actor, product)
    _check_upload(upload, IMAGE_KINDS)  # images are also opened with Pillow there
    image_row = ProductImage.objects.create(
        product=product, caption=caption.strip(), image=upload, uploaded_by=actor
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=image_row,
        changes={"after": {"product": product.pk, "file": image_row.image.name}},
    )
    return image_row


# --- Production regulations (生产技术规程) ------------------------------------------------------


@transaction.atomic
def regulation_publish(
    *,
    actor: User | None,
    product: GIProduct,
    title: str,
    version: str,
    effective_on: dt.date,
    upload: UploadedFile,
    code: str = "",
    summary: str = "",
) -> TechnicalRegulation:
    """Publish a new version of the product's production regulation (a PDF). It becomes the
    current one and the previous current version is superseded, in one transaction under the
    product's row lock, so two uploads at once cannot both become current."""
    if actor is not None:
        if not GIProduct.objects.restrict(actor).filter(pk=product.pk).exists():
            raise NotFoundError("未找到该产品。")
        if not can_publish_regulation(actor, product):
            raise ForbiddenError(
                "只有省级管理员、产品所在县的县级管理员和证书持有人可以上传生产技术规程。"
            )
    product = GIProduct.objects.select_for_update().get(pk=product.pk)
    if product.status != ProductStatus.REGISTERED:
        raise RegistryError("product_cancelled", "产品已注销，不能再发布生产技术规程。")
    title, version, code = title.strip(), version.strip(), code.strip()
    if not title:
        raise RegistryError("title_required", "请填写规程名称。")
    if not version:
        raise RegistryError("version_required", "请填写版本号。")
    if TechnicalRegulation.objects.filter(product=product, version=version).exists():
        raise RegistryError(
            "duplicate_version", f"该产品已有版本“{version}”的规程，请使用新的版本号。"
        )
    checked = check_upload(upload, allowed=frozenset({"pdf"}))
    upload.name = checked.download_name
    current = (
        TechnicalRegulation.objects.select_for_update()
        .filter(product=product, status=RegulationStatus.CURRENT)
        .first()
    )
    if current is not None:
        # First, or the one-current constraint would refuse the new row.
        current.status = RegulationStatus.SUPERSEDED
        current.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action=AuditAction.TRANSITION,
            obj=current,
            changes={
                "before": {"status": RegulationStatus.CURRENT},
                "after": {"status": RegulationStatus.SUPERSEDED},
            },
            detail=f"被版本“{version}”替代",
        )
    regulation = TechnicalRegulation(
        product=product,
        title=title,
        code=code,
        version=version,
        effective_on=effective_on,
        summary=summary.strip(),
        file=upload,
        status=RegulationStatus.CURRENT,
        supersedes=current,
        uploaded_by=actor,
    )
    try:
        regulation.full_clean(exclude=["file", "uploaded_by", "supersedes", "product"])
    except ValidationError as exc:
        raise RegistryError("invalid_regulation", "；".join(exc.messages)) from exc
    regulation.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=regulation,
        changes={"after": model_snapshot(regulation)},
    )
    return regulation
