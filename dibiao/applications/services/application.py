"""The county's side of the workflow and the steps up to the city's recommendation:
create, edit, submit, withdraw (county bureau), confirm or return (county government),
recommend or return (city bureau)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from dibiao.accounts.choices import Role
from dibiao.accounts.models import Membership, User
from dibiao.applications.choices import ApplicationStatus
from dibiao.applications.errors import ApplicationsError
from dibiao.applications.models import (
    Application,
    ApplicationEvent,
    ApplicationTarget,
    BudgetLine,
)
from dibiao.applications.permissions import can_apply, holds_role_at
from dibiao.applications.services.common import (
    check_step,
    lock_application,
    lock_program,
    money,
    parse_decimal,
    take_step,
    yuan,
)
from dibiao.applications.workflow import EDITABLE
from dibiao.core.audit import audit_record, model_snapshot, snapshot_diff
from dibiao.core.choices import AuditAction, DivisionLevel
from dibiao.core.errors import ForbiddenError
from dibiao.projects.choices import ImplementationArea, ProgramStatus
from dibiao.projects.models import Program, ProgramTarget
from dibiao.projects.selectors import program_get_for_user
from dibiao.registry.choices import ProductStatus
from dibiao.registry.models import GIProduct

MAX_BUDGET_LINES = 50
# The county government and the city may still pass applications on while the province has
# begun reviewing the first ones; once the program is implementing, the round is over.
PASSING_ON = frozenset({ProgramStatus.OPEN, ProgramStatus.REVIEWING})
_NOT_AUDITED = frozenset({"updated_at"})


@dataclass(frozen=True)
class BudgetLineInput:
    area: str
    description: str
    amount: Decimal | str


def _program_status_label(program: Program) -> str:
    return ProgramStatus(program.status).label


def _clean_lines(lines: Sequence[BudgetLineInput]) -> list[BudgetLine]:
    if len(lines) > MAX_BUDGET_LINES:
        raise ApplicationsError("too_many_lines", f"预算明细最多 {MAX_BUDGET_LINES} 行。")
    cleaned: list[BudgetLine] = []
    for number, line in enumerate(lines, start=1):
        if line.area not in ImplementationArea.values:
            raise ApplicationsError("invalid_budget_line", f"第 {number} 行预算：请选择实施内容。")
        description = line.description.strip()
        if not description or len(description) > 300:
            raise ApplicationsError(
                "invalid_budget_line", f"第 {number} 行预算：请填写建设内容（不超过 300 字）。"
            )
        amount = money(line.amount, f"第 {number} 行预算金额")
        cleaned.append(BudgetLine(area=line.area, description=description, amount=amount))
    return cleaned


def _clean_targets(
    program: Program, values: Mapping[str, Any], current: Mapping[str, Decimal]
) -> list[ApplicationTarget]:
    """The program's targets with the county's values: given, else kept, else the program's.
    A county may commit to more than the program asks, never less."""
    templates = list(ProgramTarget.objects.filter(program=program).order_by("id"))
    unknown = set(values) - {t.code for t in templates}
    if unknown:
        raise ApplicationsError(
            "unknown_target", f"工程没有这些指标：{'、'.join(sorted(unknown))}。"
        )
    targets: list[ApplicationTarget] = []
    for template in templates:
        raw = values.get(template.code, current.get(template.code, template.value))
        value = parse_decimal(raw, f"指标“{template.name}”", code="invalid_target")
        if value < template.value:
            raise ApplicationsError(
                "target_below_minimum",
                f"指标“{template.name}”不能低于工程要求的 {template.value.normalize():f}{template.unit}。",
            )
        targets.append(
            ApplicationTarget(
                code=template.code,
                name=template.name,
                area=template.area,
                period=template.period,
                unit=template.unit,
                minimum=template.value,
                value=value,
            )
        )
    return targets


def _contents(application: Application) -> dict[str, Any]:
    """The application's editable content as audit data: fields, budget lines and targets."""
    data = model_snapshot(application, exclude=_NOT_AUDITED)
    data["budget_lines"] = [
        f"{line.area}|{line.description}|{line.amount}" for line in application.budget_lines.all()
    ]
    data["targets"] = {t.code: str(t.value) for t in application.targets.all()}
    return data


def _replace_lines(application: Application, lines: list[BudgetLine]) -> None:
    application.budget_lines.all().delete()
    for line in lines:
        line.application = application
    BudgetLine.objects.bulk_create(lines)


def _replace_targets(application: Application, targets: list[ApplicationTarget]) -> None:
    application.targets.all().delete()
    for target in targets:
        target.application = application
    ApplicationTarget.objects.bulk_create(targets)


def _applying_membership(actor: User, product: GIProduct) -> Membership:
    """The actor's county bureau in a county where the product lies."""
    membership = (
        Membership.objects.filter(
            user=actor,
            role=Role.COUNTY_ADMIN,
            organization__is_active=True,
            organization__division__in=product.divisions.filter(level=DivisionLevel.COUNTY),
        )
        .select_related("organization")
        .order_by("organization__division__code")
        .first()
    )
    if membership is None:
        raise ApplicationsError(
            "product_not_in_county", f"“{product.name}”不在您所在的县，不能由本县申报。"
        )
    return membership


@transaction.atomic
def application_create(
    *,
    actor: User,
    program: Program,
    product: GIProduct,
    plan: str,
    requested_amount: Decimal | str,
    budget_lines: Sequence[BudgetLineInput] = (),
    targets: Mapping[str, Any] | None = None,
) -> Application:
    """A county bureau drafts an application for one of its county's products."""
    if not can_apply(actor):
        raise ForbiddenError("只有县级管理员（实施主体）可以申报。")
    program = program_get_for_user(user=actor, pk=program.pk)
    if not GIProduct.objects.restrict(actor).filter(pk=product.pk).exists():
        raise ApplicationsError("product_out_of_scope", "该产品不在您的管辖范围内。")
    if product.status != ProductStatus.REGISTERED:
        raise ApplicationsError("product_cancelled", f"“{product.name}”已注销，不能申报。")
    membership = _applying_membership(actor, product)
    if program.status != ProgramStatus.OPEN:
        raise ApplicationsError(
            "program_not_open",
            f"“{program.name}”当前为“{_program_status_label(program)}”，不在申报期。",
            status=409,
        )
    lines = _clean_lines(budget_lines)
    target_rows = _clean_targets(program, targets or {}, {})
    application = Application(
        program=program,
        product=product,
        division=membership.organization.division,
        organization=membership.organization,
        plan=plan.strip(),
        requested_amount=money(requested_amount, "申请补助资金", allow_zero=True),
        created_by=actor,
    )
    try:
        # The partial unique index is what stops two concurrent drafts for one product.
        with transaction.atomic():
            application.save()
    except IntegrityError as exc:
        raise ApplicationsError(
            "application_exists", f"“{product.name}”在本年度保护工程中已有申报。", status=409
        ) from exc
    _replace_lines(application, lines)
    _replace_targets(application, target_rows)
    ApplicationEvent.objects.create(
        application=application,
        from_status="",
        to_status=ApplicationStatus.DRAFT,
        actor=actor,
        role=Role.COUNTY_ADMIN,
        comment="创建申报",
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=application,
        changes={"after": _contents(application)},
    )
    return application


def _check_editor(actor: User, application: Application) -> None:
    if not holds_role_at(actor, Role.COUNTY_ADMIN, application.division_id):
        raise ForbiddenError("只有本县的县级管理员（实施主体）可以修改申报。")
    if application.status not in EDITABLE:
        raise ApplicationsError(
            "not_editable",
            f"申报当前为“{application.get_status_display()}”，不能修改；被退回后可修改。",
            status=409,
        )


@transaction.atomic
def application_update(
    *,
    actor: User,
    application: Application,
    plan: str | None = None,
    requested_amount: Decimal | str | None = None,
    budget_lines: Sequence[BudgetLineInput] | None = None,
    targets: Mapping[str, Any] | None = None,
) -> Application:
    """Edit a draft or returned application. `None` leaves that part as it is; `budget_lines`
    replaces all lines. The budget need not balance yet: submission checks it. An edit that
    changes nothing writes nothing."""
    application = lock_application(actor, application)
    _check_editor(actor, application)
    before = _contents(application)
    if plan is not None:
        application.plan = plan.strip()
    if requested_amount is not None:
        application.requested_amount = money(requested_amount, "申请补助资金", allow_zero=True)
    if budget_lines is not None:
        _replace_lines(application, _clean_lines(budget_lines))
    if targets is not None:
        current = {t.code: t.value for t in application.targets.all()}
        _replace_targets(application, _clean_targets(application.program, targets, current))
    after = _contents(application)
    changes = snapshot_diff(before, after)
    if changes["after"]:
        application.updated_at = timezone.now()
        application.save()
        audit_record(actor=actor, action=AuditAction.UPDATE, obj=application, changes=changes)
    return application


def _check_complete(application: Application) -> None:
    """What a submitted application must hold: a plan, a positive request whose budget lines add
    up to it exactly, and every target of the program at or above the program's value."""
    if not application.plan.strip():
        raise ApplicationsError("plan_required", "请填写实施方案。")
    if application.requested_amount <= 0:
        raise ApplicationsError("invalid_amount", "申请补助资金必须大于零。")
    lines = list(application.budget_lines.all())
    if not lines:
        raise ApplicationsError("budget_required", "请填写预算明细。")
    total = sum((line.amount for line in lines), Decimal("0.00"))
    if total != application.requested_amount:
        raise ApplicationsError(
            "budget_mismatch",
            f"预算明细合计 {yuan(total)}，与申请补助资金 {yuan(application.requested_amount)} 不一致。",
        )
    committed = {t.code: t.value for t in application.targets.all()}
    for template in ProgramTarget.objects.filter(program_id=application.program_id):
        value = committed.get(template.code)
        if value is None or value < template.value:
            raise ApplicationsError(
                "targets_incomplete",
                f"指标“{template.name}”须承诺不低于 {template.value.normalize():f}{template.unit}。",
            )


@transaction.atomic
def application_submit(*, actor: User, application: Application, comment: str = "") -> Application:
    """县农业农村局申报: a draft or returned application goes to the county government."""
    program = lock_program(application.program_id)
    application = lock_application(actor, application)
    transition = check_step(actor, application, "submit")
    if program.status != ProgramStatus.OPEN:
        raise ApplicationsError(
            "program_not_open",
            f"“{program.name}”当前为“{_program_status_label(program)}”，不能提交申报。",
            status=409,
        )
    _check_complete(application)
    return take_step(
        actor=actor,
        application=application,
        transition=transition,
        comment=comment,
        fields={"submitted_at": timezone.now()},
    )


@transaction.atomic
def application_withdraw(*, actor: User, application: Application, comment: str) -> Application:
    """The county gives up a draft or returned application; the product may then apply anew."""
    application = lock_application(actor, application)
    transition = check_step(actor, application, "withdraw")
    return take_step(actor=actor, application=application, transition=transition, comment=comment)


def _pass_on(actor: User, application: Application, action: str, comment: str) -> Application:
    application = lock_application(actor, application)
    transition = check_step(actor, application, action)
    program = application.program
    if program.status not in PASSING_ON:
        raise ApplicationsError(
            "program_not_open",
            f"“{program.name}”当前为“{_program_status_label(program)}”，不能再办理申报。",
            status=409,
        )
    fields = {"returned_from": transition.source} if action == "return" else None
    return take_step(
        actor=actor, application=application, transition=transition, comment=comment, fields=fields
    )


@transaction.atomic
def application_confirm(*, actor: User, application: Application, comment: str = "") -> Application:
    """县人民政府审核确认."""
    return _pass_on(actor, application, "confirm", comment)


@transaction.atomic
def application_recommend(
    *, actor: User, application: Application, comment: str = ""
) -> Application:
    """市农业农村局推荐."""
    return _pass_on(actor, application, "recommend", comment)


@transaction.atomic
def application_return(*, actor: User, application: Application, comment: str) -> Application:
    """The county government (from submitted) or the city (from confirmed) sends the application
    back to the county bureau with its reasons; the bureau revises and submits again, and the
    application then passes through the county government once more."""
    return _pass_on(actor, application, "return", comment)
