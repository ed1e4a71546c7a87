"""What every application service shares: money parsing, the scoped row lock, and taking one
workflow step (the check against workflow.TRANSITIONS, the event, the audit row)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.utils import timezone

from dibiao.accounts.models import User
from dibiao.accounts.permissions import has_role
from dibiao.applications.choices import ApplicationStatus
from dibiao.applications.errors import ApplicationsError
from dibiao.applications.models import Application, ApplicationEvent
from dibiao.applications.permissions import may_take
from dibiao.applications.workflow import TRANSITIONS, Transition, transition_for
from dibiao.core.audit import audit_record
from dibiao.core.choices import AuditAction, DivisionLevel
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.projects.models import Program

CENT = Decimal("0.01")

WHERE = {
    DivisionLevel.COUNTY: "本县",
    DivisionLevel.CITY: "所在市",
    DivisionLevel.PROVINCE: "省级",
}


def parse_decimal(value: Any, field: str, *, code: str = "invalid_amount") -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ApplicationsError(code, f"{field}不是有效的数字。") from exc
    if not number.is_finite():
        raise ApplicationsError(code, f"{field}不是有效的数字。")
    if number != number.quantize(CENT):
        raise ApplicationsError(code, f"{field}最多保留两位小数。")
    return number.quantize(CENT)


def money(value: Any, field: str, *, allow_zero: bool = False) -> Decimal:
    amount = parse_decimal(value, field)
    if amount < 0 or (amount == 0 and not allow_zero):
        raise ApplicationsError("invalid_amount", f"{field}必须大于零。")
    if amount >= Decimal("1e12"):
        raise ApplicationsError("invalid_amount", f"{field}过大。")
    return amount


def yuan(value: Decimal) -> str:
    return f"{value:,.2f} 元"


def lock_program(program_id: int) -> Program:
    # Locking order, everywhere: program → application → assignment. The program row is the
    # one that review_open, review_close, scheme edits and submissions (which need the program
    # to be open) all meet on.
    return Program.objects.select_for_update().get(pk=program_id)


def lock_application(actor: User, application: Application) -> Application:
    """The application, locked, if it is in the actor's scope; else 404."""
    locked = (
        Application.objects.restrict(actor)
        .select_for_update(of=("self",))
        .filter(pk=application.pk)
        .first()
    )
    if locked is None:
        raise NotFoundError("未找到该申报。")
    return locked


def check_step(actor: User, application: Application, action: str) -> Transition:
    """The step `action` from the application's current status, if the actor may take it.

    A user who holds none of the roles the action needs is refused (403) whatever the status;
    otherwise a status the action cannot leave is a conflict (409); and a role held in the
    wrong county or city is refused (403).
    """
    roles = {t.role for t in TRANSITIONS if t.action == action}
    if not any(has_role(actor, role) for role in roles):
        raise ForbiddenError("您的角色不能办理此操作。")
    transition = transition_for(action, application.status)
    if transition is None:
        current = ApplicationStatus(application.status).label
        raise ApplicationsError(
            "invalid_transition", f"申报当前为“{current}”，不能办理此操作。", status=409
        )
    if not may_take(actor, application, transition):
        raise ForbiddenError(
            f"只有{WHERE[transition.level]}的{transition.role.label}可以{transition.label}。"
        )
    return transition


def take_step(
    *,
    actor: User,
    application: Application,
    transition: Transition,
    comment: str = "",
    fields: dict[str, Any] | None = None,
) -> Application:
    """Moves the (locked) application along `transition`, sets `fields`, and writes the event
    and the audit row in the caller's transaction."""
    comment = comment.strip()
    if transition.comment_required and not comment:
        raise ApplicationsError("comment_required", f"{transition.label}时请填写意见。")
    before = application.status
    values: dict[str, Any] = {"status": transition.target, "updated_at": timezone.now()}
    values.update(fields or {})
    before_values = {name: _plain(getattr(application, name)) for name in values}
    for name, value in values.items():
        setattr(application, name, value)
    application.save(update_fields=list(values))
    ApplicationEvent.objects.create(
        application=application,
        from_status=before,
        to_status=transition.target,
        actor=actor,
        role=transition.role,
        comment=comment,
    )
    changed = [name for name in values if name != "updated_at"]
    audit_record(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=application,
        changes={
            "before": {name: before_values[name] for name in changed},
            "after": {name: _plain(values[name]) for name in changed},
        },
        detail=f"{transition.label}{'：' + comment if comment else ''}",
    )
    return application


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
