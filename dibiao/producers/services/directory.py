"""Writes of the directory of producers (生产经营主体名录): create, edit, contact details, status,
and the audited full view of personal data.

Personal numbers are stored only sealed (dibiao/core/pii.py). An edit that leaves the phone or
ID number out (`None`) keeps the stored one, so the edit form never has to show a number in
clear. The unique credit code and ID number are checked before saving, for a clear message,
and the database constraints catch the race between two requests (IntegrityError).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from dibiao.accounts.choices import OrganizationKind, Role
from dibiao.accounts.models import Organization, User
from dibiao.accounts.permissions import has_role, holds_role_at
from dibiao.accounts.scoping import scope_for
from dibiao.core import pii
from dibiao.core.audit import audit_record, model_snapshot, snapshot_diff
from dibiao.core.choices import AuditAction, DivisionLevel
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.core.models import Division
from dibiao.producers.choices import ProducerStatus
from dibiao.producers.errors import ProducersError
from dibiao.producers.imports import DirectoryImport, ImportReport, run_import
from dibiao.producers.models import Producer
from dibiao.producers.permissions import (
    can_edit_directory,
    can_edit_producer,
    can_edit_producer_contact,
    can_view_personal_data,
)
from dibiao.producers.rules import (
    FieldError,
    as_field_error,
    clean_credit_code,
    clean_id_number,
    clean_phone,
    identity_message,
    needs_credit_code,
)
from dibiao.registry.models import GIProduct

# The ciphertext and the search digest never go into the audit log; the masked value does.
SNAPSHOT_EXCLUDE = frozenset(
    {"phone_sealed", "phone_digest", "id_number_sealed", "id_number_digest", "updated_at"}
)
PRODUCER_TRANSITIONS: dict[str, frozenset[str]] = {
    ProducerStatus.ACTIVE: frozenset({ProducerStatus.SUSPENDED, ProducerStatus.CLOSED}),
    ProducerStatus.SUSPENDED: frozenset({ProducerStatus.ACTIVE, ProducerStatus.CLOSED}),
    # 注销 is final: a closed entity that comes back is registered anew.
    ProducerStatus.CLOSED: frozenset(),
}
DUPLICATE_CREDIT_CODE = "该统一社会信用代码已登记在另一个主体名下。"
DUPLICATE_ID_NUMBER = "该身份证号码已登记在另一个主体名下。"


@dataclass(frozen=True)
class ProducerInput:
    """What a form, the API or an import row says about an entry. `phone` and `id_number`
    None: keep the stored value (edits)."""

    name: str
    kind: str
    division: Division
    credit_code: str = ""
    id_number: str | None = None
    legal_representative: str = ""
    contact_name: str = ""
    phone: str | None = None
    address: str = ""
    products: Sequence[GIProduct] = field(default_factory=tuple)
    is_certificate_holder: bool = False
    is_scale_operator: bool = False
    organization: Organization | None = None


@dataclass(frozen=True)
class PersonalData:
    phone: str
    id_number: str


def snapshot(producer: Producer) -> dict[str, Any]:
    return model_snapshot(producer, exclude=SNAPSHOT_EXCLUDE)


def seal_personal_data(producer: Producer, *, phone: str | None, id_number: str | None) -> None:
    """Store already-cleaned numbers sealed; None keeps the stored value."""
    if phone is not None:
        sealed = pii.seal_phone(phone)
        producer.phone_sealed, producer.phone_digest = sealed.sealed, sealed.digest
        producer.phone_masked = sealed.masked
    if id_number is not None:
        sealed = pii.seal_id_number(id_number)
        producer.id_number_sealed, producer.id_number_digest = sealed.sealed, sealed.digest
        producer.id_number_masked = sealed.masked


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise ForbiddenError(message)


def _lock(actor: User | None, producer: Producer) -> Producer:
    """The entry, locked, if the actor may see it (else 404)."""
    rows = Producer.objects.restrict(actor) if actor is not None else Producer.objects.all()
    locked = rows.select_for_update(of=("self",)).filter(pk=producer.pk).first()
    if locked is None:
        raise NotFoundError("未找到该生产经营主体。")
    return locked


def _check_open(producer: Producer) -> None:
    if producer.status == ProducerStatus.CLOSED:
        raise ProducersError("producer_closed", "该主体已注销，不能再修改。", status=409)


def check_division(actor: User | None, division: Division) -> None:
    """An entry sits in a county: the actor's own county (county bureau) or any county of the
    actor's scope (the province)."""
    if division.level != DivisionLevel.COUNTY:
        raise FieldError("division", "division_not_county", "所在县（市、区）应为县级行政区划。")
    if actor is None or holds_role_at(actor, Role.COUNTY_ADMIN, division.pk):
        return
    if has_role(actor, Role.PROVINCE_ADMIN) and division.pk in scope_for(actor).division_ids:
        return
    raise FieldError(
        "division",
        "division_out_of_scope",
        "只能在本县登记主体（省级管理员可在全省范围内登记）。",
    )


def _products(
    actor: User | None, chosen: Sequence[GIProduct], current: Producer | None
) -> list[GIProduct]:
    """The chosen products, all visible to the actor; products of the entry the actor cannot
    see (another county's) are kept whatever is sent."""
    chosen = list(dict.fromkeys(chosen))
    if actor is None:
        return chosen
    visible = GIProduct.objects.restrict(actor)
    seen = set(visible.filter(pk__in=[p.pk for p in chosen]).values_list("pk", flat=True))
    hidden = [p.name for p in chosen if p.pk not in seen]
    if hidden:
        raise FieldError(
            "products",
            "product_out_of_scope",
            f"以下产品不在您的数据范围内：{'、'.join(hidden)}。",
        )
    kept = (
        list(current.products.exclude(pk__in=visible.values("pk"))) if current is not None else []
    )
    return chosen + kept


def _check_organization(
    actor: User | None, organization: Organization | None, current: Producer | None
) -> None:
    if organization is None or (current is not None and current.organization_id == organization.pk):
        return
    if organization.kind != OrganizationKind.PRODUCER:
        raise FieldError(
            "organization", "organization_kind", "平台账号所属机构应为“生产经营主体”类机构。"
        )
    if actor is not None and not Organization.objects.restrict(actor).filter(pk=organization.pk):
        raise FieldError("organization", "organization_out_of_scope", "该机构不在您的数据范围内。")
    taken = Producer.objects.filter(organization=organization)
    if current is not None:
        taken = taken.exclude(pk=current.pk)
    if taken.exists():
        raise FieldError("organization", "organization_taken", "该机构已关联另一个主体。")


def _identity(data: ProducerInput, current: Producer | None) -> tuple[str, str | None]:
    """(credit code, ID number or None to keep): a registered kind is identified by its credit
    code (its ID number is cleared), a household or individual by the person's ID number."""
    if needs_credit_code(data.kind):
        code = as_field_error(
            "credit_code", "统一社会信用代码", lambda: clean_credit_code(data.credit_code)
        )
        if not code:
            raise FieldError("credit_code", "credit_code_required", identity_message(data.kind)[1])
        return code, ""
    if data.id_number is None and current is not None and current.id_number_digest:
        return "", None
    raw = data.id_number or ""
    number = as_field_error("id_number", "身份证号码", lambda: clean_id_number(raw))
    if not number:
        raise FieldError("id_number", "id_number_required", identity_message(data.kind)[1])
    return "", number


def check_unique(producer: Producer) -> None:
    others = Producer.objects.exclude(pk=producer.pk) if producer.pk else Producer.objects.all()
    if producer.credit_code and others.filter(credit_code=producer.credit_code).exists():
        raise FieldError("credit_code", "duplicate_credit_code", DUPLICATE_CREDIT_CODE, status=409)
    if (
        producer.id_number_digest
        and others.filter(id_number_digest=producer.id_number_digest).exists()
    ):
        raise FieldError("id_number", "duplicate_id_number", DUPLICATE_ID_NUMBER, status=409)


def duplicate_error(exc: IntegrityError) -> ProducersError:
    """The error a unique constraint's violation means (a concurrent request won the race)."""
    text = str(exc)
    if "credit_code" in text:
        return FieldError("credit_code", "duplicate_credit_code", DUPLICATE_CREDIT_CODE, status=409)
    if "id_number" in text:
        return FieldError("id_number", "duplicate_id_number", DUPLICATE_ID_NUMBER, status=409)
    if "organization" in text:
        return FieldError("organization", "organization_taken", "该机构已关联另一个主体。")
    return ProducersError("conflict", "保存时与其他记录冲突，请刷新后重试。", status=409)


def _save(producer: Producer) -> None:
    check_unique(producer)
    try:
        with transaction.atomic():  # a savepoint: the outer transaction stays usable
            producer.save()
    except IntegrityError as exc:
        raise duplicate_error(exc) from exc


def _fill(actor: User | None, producer: Producer, data: ProducerInput) -> list[GIProduct]:
    """Check `data` and put it on `producer`; the products to link."""
    current = producer if producer.pk else None
    name = data.name.strip()
    if not name:
        raise FieldError("name", "name_required", "请填写主体名称。")
    check_division(actor, data.division)
    credit_code, id_number = _identity(data, current)
    phone = None
    if data.phone is not None:
        raw_phone = data.phone
        phone = as_field_error("phone", "联系电话", lambda: clean_phone(raw_phone))
    _check_organization(actor, data.organization, current)
    products = _products(actor, data.products, current)
    producer.name = name
    producer.kind = data.kind
    producer.division = data.division
    producer.credit_code = credit_code
    producer.legal_representative = data.legal_representative.strip()
    producer.contact_name = data.contact_name.strip()
    producer.address = data.address.strip()
    producer.is_certificate_holder = data.is_certificate_holder
    producer.is_scale_operator = data.is_scale_operator
    producer.organization = data.organization
    seal_personal_data(producer, phone=phone, id_number=id_number)
    return products


@transaction.atomic
def producer_create(*, actor: User | None, data: ProducerInput) -> Producer:
    if actor is not None:
        _require(can_edit_directory(actor), "只有县级管理员和省级管理员可以登记生产经营主体。")
    producer = Producer()
    products = _fill(actor, producer, data)
    _save(producer)
    producer.products.set(products)
    audit_record(
        actor=actor, action=AuditAction.CREATE, obj=producer, changes={"after": snapshot(producer)}
    )
    return producer


@transaction.atomic
def producer_update(*, actor: User | None, producer: Producer, data: ProducerInput) -> Producer:
    producer = _lock(actor, producer)
    if actor is not None:
        _require(can_edit_producer(actor, producer), "只有本县管理员和省级管理员可以修改主体信息。")
    _check_open(producer)
    before = snapshot(producer)
    products = _fill(actor, producer, data)
    producer.updated_at = timezone.now()
    _save(producer)
    producer.products.set(products)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=producer,
        changes=snapshot_diff(before, snapshot(producer)),
    )
    return producer


@transaction.atomic
def producer_update_contact(
    *,
    actor: User | None,
    producer: Producer,
    contact_name: str,
    phone: str | None,
    address: str,
) -> Producer:
    """The contact details only: what the producer itself may change (its name, kind, codes and
    county are the county bureau's record)."""
    producer = _lock(actor, producer)
    if actor is not None:
        _require(can_edit_producer_contact(actor, producer), "没有修改该主体联系方式的权限。")
    _check_open(producer)
    before = snapshot(producer)
    if phone is not None:
        phone = as_field_error("phone", "联系电话", lambda: clean_phone(phone or ""))
    producer.contact_name = contact_name.strip()
    producer.address = address.strip()
    seal_personal_data(producer, phone=phone, id_number=None)
    producer.updated_at = timezone.now()
    producer.save()
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=producer,
        changes=snapshot_diff(before, snapshot(producer)),
        detail="修改联系方式",
    )
    return producer


def producer_next_statuses(producer: Producer) -> list[ProducerStatus]:
    allowed = PRODUCER_TRANSITIONS[producer.status]
    return [status for status in ProducerStatus if status in allowed]


@transaction.atomic
def producer_set_status(
    *, actor: User | None, producer: Producer, status: str, reason: str = ""
) -> Producer:
    """Suspend (暂停), reactivate or close (注销) an entry; suspending and closing need a reason."""
    producer = _lock(actor, producer)
    if actor is not None:
        _require(can_edit_producer(actor, producer), "只有本县管理员和省级管理员可以变更主体状态。")
    current = ProducerStatus(producer.status)
    if status not in PRODUCER_TRANSITIONS[current]:
        target = ProducerStatus(status).label if status in ProducerStatus.values else status
        raise ProducersError(
            "invalid_transition", f"主体当前为“{current.label}”，不能改为“{target}”。", status=409
        )
    reason = reason.strip()
    if status != ProducerStatus.ACTIVE and not reason:
        raise FieldError("reason", "reason_required", "暂停或注销主体须填写原因。")
    producer.status = status
    producer.updated_at = timezone.now()
    producer.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=producer,
        changes={"before": {"status": current.value}, "after": {"status": status}},
        detail=reason,
    )
    return producer


@transaction.atomic
def producer_reveal_personal_data(*, actor: User, producer: Producer) -> PersonalData:
    """The entry's phone and ID number in clear, for those allowed; every view is audited
    (查看敏感信息) in the same transaction as the read."""
    found = Producer.objects.restrict(actor).filter(pk=producer.pk).first()
    if found is None:
        raise NotFoundError("未找到该生产经营主体。")
    _require(
        can_view_personal_data(actor, found),
        "只有本县管理员、省级管理员和主体本身可以查看完整的个人信息。",
    )
    data = PersonalData(
        phone=pii.unseal(found.phone_sealed), id_number=pii.unseal(found.id_number_sealed)
    )
    audit_record(
        actor=actor,
        action=AuditAction.VIEW_SENSITIVE,
        obj=found,
        detail="查看完整的联系电话和身份证号码",
    )
    return data


@transaction.atomic
def producer_import(*, actor: User | None, upload: Any, only_valid: bool = False) -> ImportReport:
    """Import entries from Excel (the template of `DirectoryImport`) in one transaction: all
    rows or none, or with `only_valid` the valid rows. One audit row with the counts."""
    if actor is not None:
        _require(can_edit_directory(actor), "只有县级管理员和省级管理员可以导入生产经营主体。")
    try:
        report = run_import(spec=DirectoryImport(actor), upload=upload, only_valid=only_valid)
    except IntegrityError as exc:  # another request registered one of the codes meanwhile
        raise duplicate_error(exc) from exc
    audit_record(
        actor=actor,
        action=AuditAction.IMPORT,
        object_type=Producer._meta.label_lower,
        changes={"total": report.total, "imported": report.imported, "invalid": report.invalid},
        detail=(
            f"导入生产经营主体：共 {report.total} 行，导入 {report.imported} 行，"
            f"有误 {report.invalid} 行"
        ),
    )
    return report
