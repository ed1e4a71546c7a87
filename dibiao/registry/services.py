"""Writes to the GI product registry: each atomic, scoped and audited."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from dibiao.accounts.models import Organization, User
from dibiao.accounts.permissions import can_edit_products
from dibiao.accounts.scoping import scope_for
from dibiao.core.audit import audit_record, model_snapshot, snapshot_diff
from dibiao.core.choices import AuditAction
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.core.models import Division
from dibiao.registry.choices import DocumentKind, ProductStatus
from dibiao.registry.errors import RegistryError
from dibiao.registry.models import GIProduct, ProductDocument, ProductImage

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
    "min_longitude",
    "max_longitude",
    "min_latitude",
    "max_latitude",
    "quality_characteristics",
    "story",
    "notes",
    "sources",
)
DOCUMENT_EXTENSIONS = frozenset({".pdf", ".doc", ".docx", ".xls", ".xlsx", ".jpg", ".jpeg", ".png"})
IMAGE_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


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


def _check_in_scope(
    actor: User | None, divisions: list[Division], holder: Organization | None
) -> None:
    if actor is None:
        return
    scope = scope_for(actor)
    outside = [d.name for d in divisions if d.pk not in scope.division_ids]
    if outside:
        raise RegistryError("division_out_of_scope", f"{'、'.join(outside)}不在您的管辖范围内。")
    if not divisions:
        raise RegistryError("division_required", "请至少选择一个所在行政区划。")
    if (
        holder is not None
        and not Organization.objects.restrict(actor).filter(pk=holder.pk).exists()
    ):
        raise RegistryError("holder_out_of_scope", "证书持有人不在您的管辖范围内。")


@transaction.atomic
def product_save(
    *,
    actor: User | None,
    product: GIProduct | None = None,
    data: dict[str, Any],
    divisions: Iterable[Division] | None = None,
) -> GIProduct:
    """Create (product=None) or update a GI product. `divisions`, when given, replaces the
    product's divisions; a county administrator may only name divisions in its county."""
    _check_writable(actor, product)
    creating = product is None
    if product is None:
        product = GIProduct()
        before: dict[str, Any] = {}
        current_divisions: list[Division] = []
    else:
        product = GIProduct.objects.select_for_update().get(pk=product.pk)
        before = model_snapshot(product)
        current_divisions = list(product.divisions.all())
    new_divisions = list(divisions) if divisions is not None else current_divisions
    for name in PRODUCT_FIELDS:
        if name in data:
            value = data[name]
            setattr(product, name, value.strip() if isinstance(value, str) else value)
    _check_in_scope(actor, new_divisions, product.certificate_holder)
    product.updated_at = timezone.now()
    try:
        product.full_clean(exclude=["created_at", "updated_at"])
    except ValidationError as exc:
        raise RegistryError("invalid_product", _validation_message(exc)) from exc
    product.save()
    if divisions is not None:
        product.divisions.set(new_divisions)
    after = model_snapshot(product)
    changes = {"after": after} if creating else snapshot_diff(before, after)
    if creating or changes["after"]:
        audit_record(
            actor=actor,
            action=AuditAction.CREATE if creating else AuditAction.UPDATE,
            obj=product,
            changes=changes,
        )
    return product


_STATUS_TRANSITIONS = {
    ProductStatus.REGISTERED: {ProductStatus.CANCELLED},
    ProductStatus.CANCELLED: {ProductStatus.REGISTERED},
}


@transaction.atomic
def product_set_status(
    *, actor: User | None, product: GIProduct, status: str, reason: str
) -> GIProduct:
    _check_writable(actor, product)
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
    name = (upload.name or "").lower()
    if not any(name.endswith(ext) for ext in allowed):
        raise RegistryError(
            "invalid_file_type", f"文件类型不支持，允许：{'、'.join(sorted(allowed))}。"
        )
    if (upload.size or 0) > MAX_UPLOAD_BYTES:
        raise RegistryError("file_too_large", "文件不能超过 20 MB。")


@transaction.atomic
def product_document_add(
    *, actor: User | None, product: GIProduct, title: str, kind: str, upload: UploadedFile
) -> ProductDocument:
    _check_writable(actor, product)
    _check_upload(upload, DOCUMENT_EXTENSIONS)
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
    from PIL import Image, UnidentifiedImageError

    _check_writable(actor, product)
    _check_upload(upload, frozenset({".jpg", ".jpeg", ".png", ".webp"}))
    try:
        with Image.open(upload) as image:
            image.verify()
            image_format = image.format
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise RegistryError("invalid_image", "无法识别的图片文件。") from exc
    if image_format not in IMAGE_FORMATS:
        raise RegistryError("invalid_image", "图片格式应为 JPEG、PNG 或 WebP。")
    upload.seek(0)
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
