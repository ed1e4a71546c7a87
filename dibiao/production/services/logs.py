"""Production logs (生产日志): record, edit, complete.

Every write locks the base row first (`select_for_update` on ProductionBase) and only then
checks the pre-harvest interval (安全间隔期) against the base's other logs: two requests for the
same base — an input and a harvest, say — are serialised there, so they cannot both pass a
check that each would fail after the other. A write touching two bases (an edit that moves a
log) locks both in id order, so two such edits never wait on each other in opposite orders.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dibiao.accounts.models import User
from dibiao.core.audit import audit_record, model_snapshot, snapshot_diff
from dibiao.core.choices import AuditAction
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.producers.choices import BaseStatus
from dibiao.producers.models import ProductionBase
from dibiao.production.choices import InputCategory, LogKind, LogStatus
from dibiao.production.errors import ProductionError
from dibiao.production.models import ProductionLog
from dibiao.production.permissions import can_keep_logs
from dibiao.production.services.restrictions import input_check

LOG_FIELDS = (
    "kind",
    "occurred_at",
    "product",
    "title",
    "operator",
    "quantity",
    "unit",
    "notes",
    "status",
    "input_category",
    "input_name",
    "registration_number",
    "active_ingredient",
    "dose",
    "applied_area_mu",
    "safety_interval_days",
)
INPUT_FIELDS = (
    "input_category",
    "input_name",
    "registration_number",
    "active_ingredient",
    "dose",
    "applied_area_mu",
    "safety_interval_days",
)
# Pesticides and veterinary drugs carry a registration number, an active ingredient, a dose and
# a pre-harvest interval (for a drug: the withdrawal period, 休药期); a pesticide is also
# applied to an area, a drug is not.
DRUG_CATEGORIES = frozenset({InputCategory.PESTICIDE, InputCategory.VETERINARY_DRUG})
DRUG_REQUIRED = ("registration_number", "active_ingredient", "dose", "safety_interval_days")
# A phone's clock may run a little fast: a log "done" up to this far ahead is accepted.
CLOCK_SKEW = dt.timedelta(minutes=10)
# The years a log may fall in. Beyond them a time is a typing error, and at the edges of the
# calendar it cannot even be stored (year 1 local time has no UTC equivalent) or have a
# pre-harvest interval added to it.
EARLIEST_YEAR = 2000
LATEST_YEAR = 2100
_NOT_AUDITED = frozenset({"updated_at"})

_REQUIRED_MESSAGES = {
    "input_category": "请选择投入品类别。",
    "input_name": "请填写投入品名称。",
    "registration_number": "农药、兽药须填写登记证号（兽药为批准文号）。",
    "active_ingredient": "农药、兽药须填写有效成分。",
    "dose": "农药、兽药须填写用量，如“30 毫升/亩”。",
    "applied_area_mu": "农药须填写施用面积（亩）。",
    "safety_interval_days": "农药、兽药须填写安全间隔期（兽药为休药期，天）。",
}


class LogError(ProductionError):
    """A refused log. `field` names the form field the message belongs next to, if any."""

    def __init__(
        self, code: str, message: str, *, field: str | None = None, status: int | None = None
    ) -> None:
        super().__init__(code, message, status=status)
        self.field = field


def log_missing_fields(values: Mapping[str, Any]) -> dict[str, str]:
    """The fields a log of this kind (and input category) still needs, with their messages.
    The form asks the same, so that it can show each message next to its field."""
    if values.get("kind") != LogKind.INPUT:
        return {}
    required = ["input_category", "input_name"]
    category = values.get("input_category")
    if category in DRUG_CATEGORIES:
        required.extend(DRUG_REQUIRED)
    if category == InputCategory.PESTICIDE:
        required.append("applied_area_mu")
    return {
        name: _REQUIRED_MESSAGES[name]
        for name in required
        if values.get(name) is None or (isinstance(values.get(name), str) and not values[name])
    }


def _require_keeper(actor: User | None) -> None:
    if actor is not None and not can_keep_logs(actor):
        raise ForbiddenError("只有生产经营主体和县级管理员可以记录生产日志。")


def _lock_bases(actor: User | None, *bases: ProductionBase) -> dict[int, ProductionBase]:
    """Lock the bases (id order) and re-read them; one outside the actor's scope is not found."""
    rows = ProductionBase.objects.select_related("producer", "product")
    if actor is not None:
        rows = rows.restrict(actor)
    ids = sorted({b.pk for b in bases})
    locked = {
        b.pk: b for b in rows.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk")
    }
    if len(locked) != len(ids):
        raise NotFoundError("未找到该基地。")
    return locked


def _decimal(value: Any, field: str, label: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise LogError("invalid_number", f"{label}不是有效的数字。", field=field) from exc
    if not number.is_finite():
        raise LogError("invalid_number", f"{label}不是有效的数字。", field=field)
    return number


def _int(value: Any, field: str, label: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(str(value))
    except ValueError as exc:
        raise LogError("invalid_number", f"{label}应为整数（天）。", field=field) from exc


def _apply(log: ProductionLog, data: Mapping[str, Any]) -> None:
    for name in LOG_FIELDS:
        if name not in data:
            continue
        value = data[name]
        if name == "product":
            log.product = value if value is not None else log.base.product
        elif name == "occurred_at":
            log.occurred_at = value
        elif name in ("quantity", "applied_area_mu"):
            label = "数量" if name == "quantity" else "施用面积"
            setattr(log, name, _decimal(value, name, label))
        elif name == "safety_interval_days":
            log.safety_interval_days = _int(value, name, "安全间隔期")
        else:
            setattr(log, name, value.strip() if isinstance(value, str) else "")
    if log.kind != LogKind.INPUT:
        # The input part belongs to input logs only: a log changed to another kind drops it.
        for name in INPUT_FIELDS:
            setattr(log, name, None if name in ("applied_area_mu", "safety_interval_days") else "")


def _default_texts(log: ProductionLog, actor: User | None) -> None:
    if not log.title:
        kind = LogKind(log.kind).label if log.kind in LogKind.values else ""
        title = f"使用{log.input_name}" if log.kind == LogKind.INPUT else kind
        log.title = title[:100]
    if not log.operator and actor is not None:
        log.operator = str(actor)[:50]


def _validate(log: ProductionLog, *, now: dt.datetime) -> None:
    """The one-row rules; the checks against other logs come after (`_check_interval`)."""
    if log.kind not in LogKind.values:
        raise LogError("invalid_kind", "请选择日志类型。", field="kind")
    if log.status not in LogStatus.values:
        raise LogError("invalid_status", "状态应为“计划”或“已完成”。", field="status")
    if log.occurred_at is None:
        raise LogError("occurred_at_required", "请填写时间。", field="occurred_at")
    if not EARLIEST_YEAR <= log.occurred_at.year <= LATEST_YEAR:
        raise LogError(
            "occurred_at_out_of_range",
            f"时间应在 {EARLIEST_YEAR} 年至 {LATEST_YEAR} 年之间。",
            field="occurred_at",
        )
    if log.status == LogStatus.DONE and log.occurred_at > now + CLOCK_SKEW:
        raise LogError(
            "done_in_future",
            "已完成的日志时间不能晚于现在；尚未进行的请记为“计划”。",
            field="occurred_at",
        )
    base = log.base
    if base.status == BaseStatus.INACTIVE:
        raise LogError(
            "base_inactive", f"基地「{base.name}」已停用，不能再记录日志。", field="base"
        )
    if (
        log.product_id != base.product_id
        and not base.producer.products.filter(pk=log.product_id).exists()
    ):
        raise LogError(
            "product_not_of_base",
            "产品应为该基地的产品或该主体登记生产的产品。",
            field="product",
        )
    missing = log_missing_fields({name: getattr(log, name) for name in LOG_FIELDS})
    if missing:
        name, message = next(iter(missing.items()))
        raise LogError("input_field_required", message, field=name)
    if log.kind == LogKind.INPUT and log.input_category not in InputCategory.values:
        raise LogError("invalid_input_category", "请选择投入品类别。", field="input_category")
    if log.quantity is not None and log.quantity < 0:
        raise LogError("invalid_number", "数量不能为负数。", field="quantity")
    if log.quantity is not None and not log.unit:
        raise LogError("unit_required", "填写数量时请同时填写单位。", field="unit")
    if log.applied_area_mu is not None:
        if log.applied_area_mu <= 0:
            raise LogError("invalid_number", "施用面积应大于 0。", field="applied_area_mu")
        if log.applied_area_mu > base.area_mu:
            raise LogError(
                "applied_area_exceeds_base",
                f"施用面积 {log.applied_area_mu} 亩超过基地面积 {base.area_mu} 亩。",
                field="applied_area_mu",
            )
    if not log.operator:
        raise LogError("operator_required", "请填写操作人。", field="operator")
    try:
        log.full_clean(exclude=["base", "product", "recorded_by", "created_at", "updated_at"])
    except ValidationError as exc:
        raise _validation_error(exc) from exc


def _validation_error(exc: ValidationError) -> LogError:
    if not hasattr(exc, "error_dict"):
        return LogError("invalid_log", "；".join(exc.messages))
    field = next((name for name in exc.message_dict if name != "__all__"), None)
    parts: list[str] = []
    for name, errors in exc.message_dict.items():
        field_obj = None if name == "__all__" else ProductionLog._meta.get_field(name)
        label = str(getattr(field_obj, "verbose_name", name)) if field_obj is not None else ""
        parts.extend(f"{label}：{e}" if label else e for e in errors)
    return LogError("invalid_log", "；".join(parts), field=field)


def _harvest_allowed_from(log: ProductionLog) -> dt.date | None:
    if log.kind != LogKind.INPUT or log.safety_interval_days is None:
        return None
    return log.day + dt.timedelta(days=log.safety_interval_days)


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _check_inputs(log: ProductionLog) -> None:
    if log.kind != LogKind.INPUT:
        return
    category = log.product.category
    for field in ("input_name", "active_ingredient"):
        value = getattr(log, field)
        if not value:
            continue
        try:
            input_check(names=[value], category=category)
        except ProductionError as exc:
            raise LogError(exc.code, exc.message, field=field) from exc


def _check_interval(log: ProductionLog) -> None:
    """A harvest may not fall inside the pre-harvest interval of an input on the same base
    made at or before it, whether that input is done or still planned; and an input (possibly
    back-dated) may not put an already recorded harvest inside its interval."""
    others = ProductionLog.objects.filter(base_id=log.base_id).exclude(pk=log.pk)
    base_name = log.base.name
    if log.kind == LogKind.HARVEST:
        day = log.day
        blocking = (
            others.filter(
                kind=LogKind.INPUT,
                occurred_at__lte=log.occurred_at,
                harvest_allowed_from__gt=day,
            )
            .order_by("-harvest_allowed_from", "-occurred_at")
            .first()
        )
        if blocking is not None:
            raise LogError(
                "harvest_within_safety_interval",
                f"基地「{base_name}」于 {blocking.day:%Y-%m-%d} 使用「{blocking.input_name}」，"
                f"安全间隔期 {blocking.safety_interval_days} 天，"
                f"最早可于 {blocking.harvest_allowed_from:%Y-%m-%d} 采收。",
                field="occurred_at",
                status=409,
            )
    elif log.kind == LogKind.INPUT and log.harvest_allowed_from is not None:
        covered = (
            others.filter(
                kind=LogKind.HARVEST,
                occurred_at__gte=log.occurred_at,
                occurred_at__lt=_start_of(log.harvest_allowed_from),
            )
            .order_by("occurred_at")
            .first()
        )
        if covered is not None:
            raise LogError(
                "input_covers_harvest",
                f"基地「{base_name}」已记录 {covered.day:%Y-%m-%d} 的采收；"
                f"{log.day:%Y-%m-%d} 使用「{log.input_name}」的安全间隔期 "
                f"{log.safety_interval_days} 天（至 {log.harvest_allowed_from:%Y-%m-%d}）"
                "覆盖了这次采收，请核对日期。",
                field="occurred_at",
                status=409,
            )


def _finish(log: ProductionLog, actor: User | None) -> None:
    """Everything a log must pass before it is saved, in the order a user would fix it."""
    _default_texts(log, actor)
    _validate(log, now=timezone.now())
    log.harvest_allowed_from = _harvest_allowed_from(log)
    _check_inputs(log)
    _check_interval(log)


@transaction.atomic
def log_create(
    *, actor: User | None, base: ProductionBase, data: Mapping[str, Any]
) -> ProductionLog:
    """Record a log on `base`. `data` holds LOG_FIELDS; `product` defaults to the base's."""
    _require_keeper(actor)
    base = _lock_bases(actor, base)[base.pk]
    log = ProductionLog(base=base, product=base.product, recorded_by=actor)
    _apply(log, data)
    _finish(log, actor)
    log.created_at = log.updated_at = timezone.now()
    log.save()
    audit_record(
        actor=actor, action=AuditAction.CREATE, obj=log, changes={"after": model_snapshot(log)}
    )
    return log


def _lock_log(
    actor: User | None, log: ProductionLog, new_base: ProductionBase | None
) -> tuple[ProductionLog, dict[int, ProductionBase]]:
    current_base_id = ProductionLog.objects.values_list("base_id", flat=True).get(pk=log.pk)
    bases = [ProductionBase(pk=current_base_id)]
    if new_base is not None:
        bases.append(new_base)
    locked = _lock_bases(actor, *bases)
    rows = ProductionLog.objects.select_for_update(of=("self",))
    if actor is not None:
        rows = rows.restrict(actor)
    found = rows.filter(pk=log.pk).first()
    if found is None:
        raise NotFoundError("未找到该生产日志。")
    found.base = locked[found.base_id]
    return found, locked


@transaction.atomic
def log_update(
    *,
    actor: User | None,
    log: ProductionLog,
    data: Mapping[str, Any],
    base: ProductionBase | None = None,
) -> ProductionLog:
    """Change a log (only the fields in `data`; `base` moves it). Every check runs again."""
    _require_keeper(actor)
    log, locked = _lock_log(actor, log, base)
    before = model_snapshot(log, exclude=_NOT_AUDITED)
    if base is not None and base.pk != log.base_id:
        log.base = locked[base.pk]
        if "product" not in data:
            log.product = log.base.product
    _apply(log, data)
    _finish(log, actor)
    after = model_snapshot(log, exclude=_NOT_AUDITED)
    diff = snapshot_diff(before, after)
    if not diff["after"]:
        return log
    log.updated_at = timezone.now()
    log.save()
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=log, changes=diff)
    return log


@transaction.atomic
def log_complete(
    *, actor: User | None, log: ProductionLog, occurred_at: dt.datetime | None = None
) -> ProductionLog:
    """计划 → 已完成. The time becomes `occurred_at` when given; a planned time still in the
    future becomes now. The checks run again with the final time."""
    _require_keeper(actor)
    log, _ = _lock_log(actor, log, None)
    if log.status != LogStatus.PENDING:
        raise LogError("invalid_transition", "该日志已经是“已完成”。", status=409)
    now = timezone.now()
    if occurred_at is not None:
        log.occurred_at = occurred_at
    elif log.occurred_at > now:
        log.occurred_at = now
    log.status = LogStatus.DONE
    _finish(log, actor)
    log.updated_at = now
    log.save()
    audit_record(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=log,
        changes={
            "before": {"status": LogStatus.PENDING},
            "after": {"status": LogStatus.DONE, "occurred_at": log.occurred_at.isoformat()},
        },
    )
    return log
