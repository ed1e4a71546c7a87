"""Writes of the disclosure app: notices (公示) and the public's objections (异议).

Every function is atomic, locks the row it transitions, writes the audit row in the same
transaction and reports a refusal as a coded `DisclosureError` (or `NotFoundError` for a notice
outside the actor's scope, `ForbiddenError` for a missing right). `actor=None` is a system
action (the demo loader): it skips the role and scope checks, not the state rules.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dibiao.accounts.models import Organization, User
from dibiao.accounts.scoping import scope_for
from dibiao.core.audit import audit_record, model_snapshot, snapshot_diff
from dibiao.core.choices import AuditAction, DivisionLevel
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.core.models import Division
from dibiao.disclosure.choices import NoticePhase, NoticeStatus, ObjectionStatus
from dibiao.disclosure.contacts import mask_contact, mask_name, normalise_contact
from dibiao.disclosure.errors import DisclosureError
from dibiao.disclosure.models import Notice, Objection, ObjectionRateLock, local_today
from dibiao.disclosure.permissions import can_publish_notices, publisher_for
from dibiao.registry.models import GIProduct

NOTICE_FIELDS = ("kind", "title", "body", "product", "start_date", "end_date")
# An address may send this many objections on one notice per rolling 24 hours, and this many in
# all per rolling hour. Counted in the database, so every process sees the same numbers.
PER_NOTICE_DAILY_LIMIT = 3
PER_ADDRESS_HOURLY_LIMIT = 10
REASON_MAX_LENGTH = 500
ANSWER_MAX_LENGTH = 2000
SETTLEMENT_MAX_LENGTH = 5000
PUBLIC_USERNAME = "公众"
_NOT_AUDITED = frozenset({"updated_at"})
_MANAGER_ONLY = "只有发布该公示的省级或县级管理员可以办理。"


def _validation_message(model: type[Any], exc: ValidationError) -> str:
    if not hasattr(exc, "error_dict"):
        return "；".join(exc.messages)
    parts: list[str] = []
    for name, errors in exc.message_dict.items():
        label = "" if name == "__all__" else str(model._meta.get_field(name).verbose_name)
        parts.extend(f"{label}：{e}" if label else e for e in errors)
    return "；".join(parts)


def _check_in_scope(actor: User | None, notice: Notice) -> None:
    if actor is not None and not Notice.objects.restrict(actor).filter(pk=notice.pk).exists():
        raise NotFoundError("未找到该公示。")


def _check_manager(actor: User | None, notice: Notice) -> None:
    if actor is not None and publisher_for(actor, notice.division) is None:
        raise ForbiddenError(_MANAGER_ONLY)


def _locked(actor: User | None, notice: Notice) -> Notice:
    """The notice re-read under a row lock, after checking the actor may see and manage it."""
    _check_in_scope(actor, notice)
    locked = Notice.objects.select_for_update().select_related("division").get(pk=notice.pk)
    _check_manager(actor, locked)
    return locked


def _require_text(value: str, *, code: str, message: str, max_length: int) -> str:
    text = (value or "").strip()
    if not text:
        raise DisclosureError(code, message)
    if len(text) > max_length:
        raise DisclosureError(code, f"内容不能超过 {max_length} 个字。")
    return text


def _transition_error(notice: Notice, action: str) -> DisclosureError:
    return DisclosureError(
        "invalid_transition",
        f"公示当前状态为“{notice.get_status_display()}”，不能{action}。",
        status=409,
    )


def _new_notice_place(
    actor: User | None, division: Division | None, publisher: Organization | None
) -> tuple[Division, Organization]:
    if actor is not None:
        if not can_publish_notices(actor):
            raise ForbiddenError("只有省级或县级管理员可以发布公示。")
        if division is None:
            raise DisclosureError("division_required", "请选择发布区划。")
        if division.pk not in scope_for(actor).division_ids:
            raise DisclosureError("division_out_of_scope", f"{division.name}不在您的管辖范围内。")
        publisher = publisher_for(actor, division)
        if publisher is None:
            raise ForbiddenError(
                "省级公示由省级管理员发布，县级公示由该县的县级管理员发布；"
                f"您不能以{division.name}的名义发布。"
            )
    if division is None or publisher is None:
        raise DisclosureError("division_required", "请指定发布区划和发布单位。")
    if division.level not in (DivisionLevel.PROVINCE, DivisionLevel.COUNTY):
        raise DisclosureError("division_level", "公示由省或县发布，不能以市的名义发布。")
    return division, publisher


def _check_product(actor: User | None, product: GIProduct | None, previous_id: int | None) -> None:
    if actor is None or product is None or product.pk == previous_id:
        return
    if not GIProduct.objects.restrict(actor).filter(pk=product.pk).exists():
        raise DisclosureError("product_out_of_scope", "所选产品不在您的管辖范围内。")


@transaction.atomic
def notice_save(
    *,
    actor: User | None,
    notice: Notice | None = None,
    data: dict[str, Any],
    division: Division | None = None,
    publisher: Organization | None = None,
) -> Notice:
    """Create a draft (notice=None) or edit one. The division is chosen at creation and fixed
    after; the publisher is the actor's department or bureau at that division (given
    explicitly only by system actions). Only drafts can be edited; an unchanged edit writes
    nothing."""
    creating = notice is None
    if notice is None:
        division, publisher = _new_notice_place(actor, division, publisher)
        notice = Notice(division=division, publisher=publisher, created_by=actor)
        before: dict[str, Any] = {}
    else:
        notice = _locked(actor, notice)
        if notice.status != NoticeStatus.DRAFT:
            raise DisclosureError(
                "not_draft", "只能修改草稿；已发布的公示请撤回后重新发布。", status=409
            )
        before = model_snapshot(notice, exclude=_NOT_AUDITED)
    previous_product_id = notice.product_id
    for name in NOTICE_FIELDS:
        if name in data:
            value = data[name]
            setattr(notice, name, value.strip() if isinstance(value, str) else value)
    _check_product(actor, notice.product, previous_product_id)
    try:
        notice.full_clean(exclude=["created_at", "updated_at"])
    except ValidationError as exc:
        raise DisclosureError("invalid_notice", _validation_message(Notice, exc)) from exc
    if (
        not creating
        and not snapshot_diff(before, model_snapshot(notice, exclude=_NOT_AUDITED))["after"]
    ):
        return notice
    notice.updated_at = timezone.now()
    notice.save()
    after = model_snapshot(notice, exclude=_NOT_AUDITED)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE if creating else AuditAction.UPDATE,
        obj=notice,
        changes={"after": after} if creating else snapshot_diff(before, after),
    )
    return notice


@transaction.atomic
def notice_publish(*, actor: User | None, notice: Notice) -> Notice:
    """Draft → published. The period must be set and may not start before today: a notice is
    published to be open for its whole period, not backdated."""
    notice = _locked(actor, notice)
    if notice.status != NoticeStatus.DRAFT:
        raise _transition_error(notice, "发布")
    if notice.start_date is None or notice.end_date is None:
        raise DisclosureError("dates_required", "发布前请填写公示开始日期和结束日期。")
    today = local_today()
    if notice.start_date < today:
        raise DisclosureError(
            "start_in_past",
            f"公示开始日期（{notice.start_date:%Y-%m-%d}）早于今天（{today:%Y-%m-%d}），"
            "请修改为今天或之后的日期再发布。",
        )
    now = timezone.now()
    notice.status = NoticeStatus.PUBLISHED
    notice.published_at = now
    notice.published_by = actor
    notice.updated_at = now
    notice.save(update_fields=["status", "published_at", "published_by", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=notice,
        changes={"before": {"status": NoticeStatus.DRAFT}, "after": {"status": notice.status}},
        detail=f"公示期 {notice.start_date:%Y-%m-%d} 至 {notice.end_date:%Y-%m-%d}",
    )
    return notice


@transaction.atomic
def notice_withdraw(*, actor: User | None, notice: Notice, reason: str) -> Notice:
    """Published → withdrawn, with a reason. The notice leaves the public pages at once; its
    objections stay, and pending ones can still be answered."""
    notice = _locked(actor, notice)
    if notice.status != NoticeStatus.PUBLISHED:
        raise _transition_error(notice, "撤回")
    reason = _require_text(
        reason,
        code="reason_required",
        message="请填写撤回原因。",
        max_length=REASON_MAX_LENGTH,
    )
    now = timezone.now()
    notice.status = NoticeStatus.WITHDRAWN
    notice.withdraw_reason = reason
    notice.withdrawn_at = now
    notice.withdrawn_by = actor
    notice.updated_at = now
    notice.save(
        update_fields=["status", "withdraw_reason", "withdrawn_at", "withdrawn_by", "updated_at"]
    )
    audit_record(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=notice,
        changes={"before": {"status": NoticeStatus.PUBLISHED}, "after": {"status": notice.status}},
        detail=reason,
    )
    return notice


@transaction.atomic
def notice_settle(*, actor: User | None, notice: Notice, settlement: str) -> Notice:
    """Record how the objections were settled (异议处理结果): once, after the period has
    ended and every objection has been answered. The text is public."""
    notice = _locked(actor, notice)
    if notice.status != NoticeStatus.PUBLISHED:
        raise _transition_error(notice, "记录异议处理结果")
    if notice.is_settled:
        raise DisclosureError("already_settled", "该公示已记录异议处理结果。", status=409)
    if notice.phase() != NoticePhase.ARCHIVED:
        raise DisclosureError(
            "notice_not_ended",
            f"公示期至 {notice.end_date:%Y-%m-%d} 结束，结束后才能记录异议处理结果。",
            status=409,
        )
    pending = notice.objections.filter(status=ObjectionStatus.PENDING).count()
    if pending:
        raise DisclosureError(
            "objections_pending",
            f"还有 {pending} 条异议未答复，请全部答复后再记录处理结果。",
            status=409,
        )
    settlement = _require_text(
        settlement,
        code="settlement_required",
        message="请填写异议处理结果。",
        max_length=SETTLEMENT_MAX_LENGTH,
    )
    now = timezone.now()
    notice.settlement = settlement
    notice.settled_at = now
    notice.settled_by = actor
    notice.updated_at = now
    notice.save(update_fields=["settlement", "settled_at", "settled_by", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=notice,
        changes={"before": {"settlement": ""}, "after": {"settlement": settlement}},
        detail="记录异议处理结果",
    )
    return notice


def _check_rate(notice: Notice, client_ip: str | None) -> None:
    # Queue behind any other submission from the same address (see ObjectionRateLock), then
    # count what that address has already sent.
    ObjectionRateLock.objects.select_for_update().get_or_create(client_ip=client_ip or "unknown")
    now = timezone.now()
    sent = Objection.objects.filter(client_ip=client_ip)
    if sent.filter(notice=notice, submitted_at__gt=now - dt.timedelta(days=1)).count() >= (
        PER_NOTICE_DAILY_LIMIT
    ):
        raise DisclosureError(
            "rate_limited",
            f"提交过于频繁：同一网络地址 24 小时内对同一公示最多提交 {PER_NOTICE_DAILY_LIMIT} "
            "条异议，请稍后再试。",
            status=429,
            retry_after=_seconds_until_window_frees(
                sent.filter(notice=notice), now=now, window=dt.timedelta(days=1)
            ),
        )
    if sent.filter(submitted_at__gt=now - dt.timedelta(hours=1)).count() >= (
        PER_ADDRESS_HOURLY_LIMIT
    ):
        raise DisclosureError(
            "rate_limited",
            f"提交过于频繁：同一网络地址每小时最多提交 {PER_ADDRESS_HOURLY_LIMIT} 条异议，"
            "请稍后再试。",
            status=429,
            retry_after=_seconds_until_window_frees(sent, now=now, window=dt.timedelta(hours=1)),
        )


def _seconds_until_window_frees(sent: Any, *, now: dt.datetime, window: dt.timedelta) -> int:
    """When the oldest submission still inside the window leaves it: the Retry-After."""
    oldest = sent.filter(submitted_at__gt=now - window).order_by("submitted_at").first()
    if oldest is None:
        return 1
    return max(1, int((oldest.submitted_at + window - now).total_seconds()) + 1)


@transaction.atomic
def objection_submit(
    *, notice: Notice, name: str, contact: str, text: str, client_ip: str | None
) -> Objection:
    """A member of the public objects to a notice while it is open. Not a user action: the
    audit row carries the address and the masked name and contact."""
    locked = Notice.objects.select_for_update().filter(pk=notice.pk).first()
    phase = locked.phase() if locked else None
    if locked is None or phase in (None, NoticePhase.DRAFT, NoticePhase.WITHDRAWN):
        raise NotFoundError("未找到该公示。")
    if phase != NoticePhase.OPEN:
        raise DisclosureError(
            "notice_not_open",
            "该公示尚未开始，暂不接受异议。"
            if phase == NoticePhase.UPCOMING
            else "该公示的公示期已结束，不再接受异议。",
            status=409,
        )
    objection = Objection(
        notice=locked,
        name=(name or "").strip(),
        contact=normalise_contact(contact),
        text=(text or "").strip(),
        client_ip=client_ip,
    )
    try:
        objection.full_clean(exclude=["notice", "receipt", "submitted_at"])
    except ValidationError as exc:
        raise DisclosureError("invalid_objection", _validation_message(Objection, exc)) from exc
    _check_rate(locked, client_ip)
    objection.submitted_at = timezone.now()
    objection.save()
    audit_record(
        actor=None,
        username=PUBLIC_USERNAME,
        action=AuditAction.CREATE,
        obj=objection,
        changes={
            "after": {
                "notice": locked.pk,
                "name": mask_name(objection.name),
                "contact": mask_contact(objection.contact),
                "text_length": len(objection.text),
            }
        },
        detail="公众提交异议",
    )
    return objection


def _locked_objection(actor: User | None, objection: Objection) -> Objection:
    if actor is not None and not Objection.objects.restrict(actor).filter(pk=objection.pk).exists():
        raise NotFoundError("未找到该异议。")
    locked = (
        Objection.objects.select_for_update()
        .select_related("notice__division")
        .get(pk=objection.pk)
    )
    _check_manager(actor, locked.notice)
    return locked


@transaction.atomic
def objection_answer(*, actor: User | None, objection: Objection, answer: str) -> Objection:
    """Pending → answered, by the notice's managers. An answer is final."""
    objection = _locked_objection(actor, objection)
    if objection.status != ObjectionStatus.PENDING:
        raise DisclosureError("already_answered", "该异议已答复，不能重复答复。", status=409)
    answer = _require_text(
        answer, code="answer_required", message="请填写答复内容。", max_length=ANSWER_MAX_LENGTH
    )
    objection.status = ObjectionStatus.ANSWERED
    objection.answer = answer
    objection.answered_at = timezone.now()
    objection.answered_by = actor
    objection.save(update_fields=["status", "answer", "answered_at", "answered_by"])
    audit_record(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=objection,
        changes={
            "before": {"status": ObjectionStatus.PENDING},
            "after": {"status": objection.status, "answer": answer},
        },
    )
    return objection


@transaction.atomic
def objection_contact_view(*, actor: User, objection: Objection) -> str:
    """The objector's contact in full, for the notice's managers; every look is audited."""
    if not Objection.objects.restrict(actor).filter(pk=objection.pk).exists():
        raise NotFoundError("未找到该异议。")
    objection = Objection.objects.select_related("notice__division").get(pk=objection.pk)
    _check_manager(actor, objection.notice)
    audit_record(
        actor=actor,
        action=AuditAction.VIEW_SENSITIVE,
        obj=objection,
        detail="查看异议人联系方式",
    )
    return objection.contact
