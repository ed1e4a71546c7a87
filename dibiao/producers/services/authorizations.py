"""Label-use authorization (标志授权使用): an entity applies to use a product's GI label for a
production year; the product's certificate holder and then the county bureau review it; the
county's approval is the agreement (协议), with its number, quantity, scope and dates. The
county bureau or the province may then suspend, resume or revoke it.

Every transition is one function here: it locks the row, checks the move against
`AUTHORIZATION_TRANSITIONS` and the actor's right, and writes the audit row and the ledger
leaf (producers/ledger.py) in the same transaction. `actor=None` is the system (the demo
loader): it skips the right checks only.

Locking order: producer → authorization → product. Applications lock the producer row, so two
applications of one entity queue; approvals lock the product row, so agreement numbers of one
product are allocated one at a time.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from dibiao.accounts.models import User
from dibiao.core.audit import audit_record, model_snapshot
from dibiao.core.choices import AuditAction
from dibiao.core.errors import ForbiddenError
from dibiao.ledger import services as ledger
from dibiao.producers.authorization_permissions import (
    PENDING_STATUSES,
    can_apply_for,
    can_county_review,
    can_holder_review,
    can_supervise,
    can_withdraw,
)
from dibiao.producers.choices import (
    AUTHORIZATION_TRANSITIONS,
    AuthorizationStatus,
    ProducerStatus,
)
from dibiao.producers.errors import ProducersError
from dibiao.producers.models import LabelAuthorization, Producer
from dibiao.registry.choices import ProductStatus
from dibiao.registry.models import GIProduct

Status = AuthorizationStatus

# More labels than any one entity prints in a year; a typo with extra zeros is refused.
MAX_LABELS = 100_000_000
SCOPE_MAX_LENGTH = 200
TEXT_MAX_LENGTH = 5000

_LIVE = [Status.PENDING_HOLDER, Status.PENDING_COUNTY, Status.APPROVED, Status.SUSPENDED]


# --- Checks ----------------------------------------------------------------------------------


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise ForbiddenError(message)


def _quantity(value: object, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProducersError("invalid_quantity", f"{label}应为整数。")
    if value <= 0:
        raise ProducersError("invalid_quantity", f"{label}应大于 0。")
    if value > MAX_LABELS:
        raise ProducersError("invalid_quantity", f"{label}不能超过 {MAX_LABELS:,} 枚。")
    return value


def _text(value: str, label: str, *, max_length: int = TEXT_MAX_LENGTH) -> str:
    text = (value or "").strip()
    if not text:
        raise ProducersError("application_incomplete", f"请填写{label}。")
    if len(text) > max_length:
        raise ProducersError("application_incomplete", f"{label}不能超过 {max_length} 个字。")
    return text


def _reason(value: str, what: str) -> str:
    reason = (value or "").strip()
    if not reason:
        raise ProducersError("reason_required", f"请填写{what}的理由。")
    return reason[:TEXT_MAX_LENGTH]


def production_years(today: dt.date | None = None) -> list[int]:
    """The years one may apply for: the current and the next production year."""
    year = (today or timezone.localdate()).year
    return [year, year + 1]


def _check_transition(
    authorization: LabelAuthorization, target: str, *, from_: frozenset[str], what: str
) -> None:
    # Both the step (a holder approves only at the holder stage) and the declared table.
    allowed = AUTHORIZATION_TRANSITIONS.get(authorization.status, frozenset())
    if authorization.status not in from_ or target not in allowed:
        raise ProducersError(
            "authorization_invalid_transition",
            f"该授权当前为“{Status(authorization.status).label}”，不能{what}"
            f"（目标状态“{Status(target).label}”）。",
            status=409,
        )


def _lock(authorization: LabelAuthorization) -> LabelAuthorization:
    # `of=("self",)`: only the authorization row; the joined producer and product are read.
    return (
        LabelAuthorization.objects.select_for_update(of=("self",))
        .select_related("producer", "product")
        .get(pk=authorization.pk)
    )


def _set_status(
    authorization: LabelAuthorization,
    *,
    actor: User | None,
    target: str,
    reason: str,
    fields: tuple[str, ...] = (),
    detail: str = "",
    extra: dict[str, object] | None = None,
) -> LabelAuthorization:
    before = authorization.status
    authorization.status = target
    authorization.status_reason = reason
    authorization.status_changed_at = timezone.now()
    authorization.save(update_fields=["status", "status_reason", "status_changed_at", *fields])
    ledger.append(authorization)
    audit_record(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=authorization,
        changes={
            "before": {"status": before},
            "after": {"status": target, **(extra or {})},
        },
        detail=detail or reason,
    )
    return authorization


# --- Application -----------------------------------------------------------------------------


@transaction.atomic
def authorization_apply(
    *,
    actor: User | None,
    producer: Producer,
    product: GIProduct,
    year: int,
    qualifications: str,
    production_plan: str,
    quality_measures: str,
    requested_quantity: int,
    scope: str,
    commitment: bool,
) -> LabelAuthorization:
    """申请: by the producer's own staff, or by its county bureau on its behalf."""
    if actor is not None:
        _require(
            can_apply_for(actor, producer),
            "只有该主体本身或其所在县的农业农村部门可以提出标志使用申请。",
        )
    producer = Producer.objects.select_for_update().get(pk=producer.pk)
    product = GIProduct.objects.get(pk=product.pk)
    if producer.status != ProducerStatus.ACTIVE:
        raise ProducersError(
            "producer_inactive",
            f"“{producer.name}”当前状态为“{producer.get_status_display()}”，不能申请标志使用。",
            status=409,
        )
    if product.status != ProductStatus.REGISTERED:
        raise ProducersError(
            "product_not_registered", f"“{product.name}”已注销，不能申请标志使用。", status=409
        )
    if not producer.products.filter(pk=product.pk).exists():
        raise ProducersError(
            "product_not_produced",
            f"“{producer.name}”的名录中没有生产“{product.name}”，请先由县级农业农村部门登记。",
        )
    if year not in production_years():
        first, second = production_years()
        raise ProducersError("invalid_year", f"生产年度应为 {first} 年或 {second} 年。")
    data = {
        "qualifications": _text(qualifications, "主体资质情况"),
        "production_plan": _text(production_plan, "生产计划"),
        "quality_measures": _text(quality_measures, "质量控制措施"),
        "scope": _text(scope, "使用范围", max_length=SCOPE_MAX_LENGTH),
        "requested_quantity": _quantity(requested_quantity, "申请标志数量"),
    }
    if commitment is not True:
        raise ProducersError(
            "commitment_required", "请阅读并勾选书面承诺：按规范使用标志、接受监督检查。"
        )
    _refuse_if_live(producer, product, year)
    # No holder to ask, or the applicant is the holder (it cannot review itself): the county
    # reviews first-hand.
    if product.certificate_holder_id is None:
        status, note = Status.PENDING_COUNTY, "产品无证书持有人，直接进入县级审核"
    elif product.certificate_holder_id == producer.organization_id:
        status, note = Status.PENDING_COUNTY, "申请主体即证书持有人，跳过证书持有人审核"
    else:
        status, note = Status.PENDING_HOLDER, "待证书持有人审核"
    authorization = LabelAuthorization(
        producer=producer,
        product=product,
        year=year,
        commitment=True,
        applied_by=actor,
        status=status,
        **data,
    )
    try:
        with transaction.atomic():
            authorization.save()
    except IntegrityError as exc:  # a concurrent application won the unique constraint
        raise _exists_error(product, year) from exc
    ledger.append(authorization)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=authorization,
        changes={"after": model_snapshot(authorization)},
        detail=f"申请标志使用；{note}",
    )
    return authorization


def _exists_error(product: GIProduct, year: int) -> ProducersError:
    return ProducersError(
        "authorization_exists",
        f"该主体 {year} 年度已有“{product.name}”在办或生效的标志使用授权。",
        status=409,
    )


def _refuse_if_live(producer: Producer, product: GIProduct, year: int) -> None:
    live = LabelAuthorization.objects.filter(
        producer=producer, product=product, year=year, status__in=_LIVE
    )
    if live.exists():
        raise _exists_error(product, year)


# --- Reviews ---------------------------------------------------------------------------------


@transaction.atomic
def authorization_holder_review(
    *, actor: User | None, authorization: LabelAuthorization, approve: bool, comment: str = ""
) -> LabelAuthorization:
    """证书持有人审核: approve (to the county) or reject with a reason."""
    authorization = _lock(authorization)
    target = Status.PENDING_COUNTY if approve else Status.REJECTED
    _check_transition(
        authorization,
        target,
        from_=frozenset({Status.PENDING_HOLDER}),
        what="进行证书持有人审核",
    )
    if actor is not None:
        _require(
            can_holder_review(actor, authorization),
            "只有该产品证书持有人可以审核；申请方不能审核自己的申请。",
        )
    comment = comment.strip() if approve else _reason(comment, "驳回")
    authorization.holder_reviewed_at = timezone.now()
    authorization.holder_reviewed_by = actor
    authorization.holder_comment = comment
    return _set_status(
        authorization,
        actor=actor,
        target=target,
        reason="" if approve else comment,
        fields=("holder_reviewed_at", "holder_reviewed_by", "holder_comment"),
        detail=f"证书持有人{'同意' if approve else '驳回'}" + (f"：{comment}" if comment else ""),
    )


def _next_number(product: GIProduct, year: int) -> str:
    """`{certificate number or GI<id>}-{year}-{sequence}`; the caller holds the product lock."""
    prefix = product.certificate_number or f"GI{product.pk}"
    taken = LabelAuthorization.objects.filter(product=product, year=year).exclude(number="")
    last = 0
    for number in taken.values_list("number", flat=True):
        tail = number.rsplit("-", 1)[-1]
        if tail.isdigit():
            last = max(last, int(tail))
    return f"{prefix}-{year}-{last + 1:04d}"


@transaction.atomic
def authorization_county_review(
    *,
    actor: User | None,
    authorization: LabelAuthorization,
    approve: bool,
    comment: str = "",
    authorized_quantity: int | None = None,
    scope: str | None = None,
) -> LabelAuthorization:
    """县级审核. Approval makes the agreement: its number, the labels granted (the requested
    number unless the county decides otherwise), the scope and the validity (from the approval
    day, or 1 January when approved ahead of the year, to 31 December of the year)."""
    authorization = _lock(authorization)
    target = Status.APPROVED if approve else Status.REJECTED
    _check_transition(
        authorization, target, from_=frozenset({Status.PENDING_COUNTY}), what="进行县级审核"
    )
    if actor is not None:
        _require(
            can_county_review(actor, authorization),
            "只有申请主体所在县的农业农村部门可以进行县级审核。",
        )
    authorization.county_reviewed_at = timezone.now()
    authorization.county_reviewed_by = actor
    review_fields = ("county_reviewed_at", "county_reviewed_by", "county_comment")
    if not approve:
        authorization.county_comment = _reason(comment, "驳回")
        return _set_status(
            authorization,
            actor=actor,
            target=target,
            reason=authorization.county_comment,
            fields=review_fields,
            detail=f"县级驳回：{authorization.county_comment}",
        )
    authorization.county_comment = comment.strip()
    return _approve(
        authorization,
        actor=actor,
        quantity=authorization.requested_quantity
        if authorized_quantity is None
        else authorized_quantity,
        scope=(scope or "").strip() or authorization.scope,
        review_fields=review_fields,
    )


def _approve(
    authorization: LabelAuthorization,
    *,
    actor: User | None,
    quantity: int,
    scope: str,
    review_fields: tuple[str, ...],
) -> LabelAuthorization:
    quantity = _quantity(quantity, "授权标志数量")
    scope = _text(scope, "使用范围", max_length=SCOPE_MAX_LENGTH)
    producer = authorization.producer
    if producer.status != ProducerStatus.ACTIVE:
        raise ProducersError(
            "producer_inactive",
            f"“{producer.name}”当前状态为“{producer.get_status_display()}”，不能批准。",
            status=409,
        )
    today = timezone.localdate()
    year_end = dt.date(authorization.year, 12, 31)
    if today > year_end:
        raise ProducersError(
            "authorization_year_over",
            f"{authorization.year} 年度已结束，不能再批准该年度的标志使用。",
            status=409,
        )
    # The product lock serialises number allocation for the product (see the module note).
    product = GIProduct.objects.select_for_update().get(pk=authorization.product_id)
    if product.status != ProductStatus.REGISTERED:
        raise ProducersError(
            "product_not_registered", f"“{product.name}”已注销，不能批准标志使用。", status=409
        )
    authorization.number = _next_number(product, authorization.year)
    authorization.authorized_quantity = quantity
    authorization.scope = scope
    authorization.valid_from = max(today, dt.date(authorization.year, 1, 1))
    authorization.valid_until = year_end
    try:
        with transaction.atomic():
            return _set_status(
                authorization,
                actor=actor,
                target=Status.APPROVED,
                reason="",
                fields=(
                    *review_fields,
                    "number",
                    "authorized_quantity",
                    "scope",
                    "valid_from",
                    "valid_until",
                ),
                detail="县级批准，授权使用协议生效"
                + (f"：{authorization.county_comment}" if authorization.county_comment else ""),
                extra={
                    "number": authorization.number,
                    "authorized_quantity": quantity,
                    "scope": scope,
                    "valid_from": authorization.valid_from.isoformat(),
                    "valid_until": year_end.isoformat(),
                },
            )
    except IntegrityError as exc:  # the number is unique; the product lock should prevent this
        raise ProducersError(
            "authorization_number_conflict", "协议编号分配冲突，请重试。", status=409
        ) from exc


# --- After approval --------------------------------------------------------------------------


def _supervise(
    actor: User | None,
    authorization: LabelAuthorization,
    *,
    target: str,
    from_: frozenset[str],
    what: str,
    reason: str,
) -> LabelAuthorization:
    authorization = _lock(authorization)
    _check_transition(authorization, target, from_=from_, what=what)
    if actor is not None:
        _require(
            can_supervise(actor, authorization),
            f"只有申请主体所在县的农业农村部门或省级管理员可以{what}。",
        )
    return _set_status(
        authorization,
        actor=actor,
        target=target,
        reason=reason,
        detail=f"{what}：{reason}" if reason else what,
    )


@transaction.atomic
def authorization_suspend(
    *, actor: User | None, authorization: LabelAuthorization, reason: str
) -> LabelAuthorization:
    """暂停: takes effect at once; the agreement is not valid until resumed."""
    return _supervise(
        actor,
        authorization,
        target=Status.SUSPENDED,
        from_=frozenset({Status.APPROVED}),
        what="暂停授权",
        reason=_reason(reason, "暂停"),
    )


@transaction.atomic
def authorization_resume(
    *, actor: User | None, authorization: LabelAuthorization, reason: str = ""
) -> LabelAuthorization:
    """恢复: valid again within its dates."""
    authorization = _supervise(
        actor,
        authorization,
        target=Status.APPROVED,
        from_=frozenset({Status.SUSPENDED}),
        what="恢复授权",
        reason="",
    )
    if reason.strip():
        # The reason field holds why it was stopped; a note on resuming goes to the audit log.
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=authorization,
            detail=f"恢复说明：{reason.strip()[:400]}",
        )
    return authorization


@transaction.atomic
def authorization_revoke(
    *, actor: User | None, authorization: LabelAuthorization, reason: str
) -> LabelAuthorization:
    """撤销: final, takes effect at once."""
    return _supervise(
        actor,
        authorization,
        target=Status.REVOKED,
        from_=frozenset({Status.APPROVED, Status.SUSPENDED}),
        what="撤销授权",
        reason=_reason(reason, "撤销"),
    )


@transaction.atomic
def authorization_withdraw(
    *, actor: User | None, authorization: LabelAuthorization, reason: str = ""
) -> LabelAuthorization:
    """撤回: the applicant takes back an application still under review."""
    authorization = _lock(authorization)
    _check_transition(
        authorization, Status.WITHDRAWN, from_=frozenset(PENDING_STATUSES), what="撤回申请"
    )
    if actor is not None:
        _require(can_withdraw(actor, authorization), "只有申请方可以撤回申请。")
    reason = reason.strip()[:TEXT_MAX_LENGTH]
    return _set_status(
        authorization,
        actor=actor,
        target=Status.WITHDRAWN,
        reason=reason,
        detail=f"申请方撤回：{reason}" if reason else "申请方撤回",
    )
