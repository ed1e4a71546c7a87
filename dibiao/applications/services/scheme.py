"""The program's scoring scheme (评审方案): the default one, and the province's own until the
first expert is assigned."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from dibiao.accounts.models import User
from dibiao.applications.errors import ApplicationsError
from dibiao.applications.models import ReviewAssignment, ReviewCriterion, ReviewScheme
from dibiao.applications.permissions import can_manage_review
from dibiao.applications.scoring import (
    DEFAULT_CRITERIA,
    DEFAULT_SCHEME_NAME,
    WEIGHT_TOTAL,
    CriterionSpec,
)
from dibiao.applications.services.common import lock_program, money
from dibiao.core.audit import audit_record, model_snapshot
from dibiao.core.choices import AuditAction
from dibiao.core.errors import ForbiddenError
from dibiao.projects.models import Program
from dibiao.projects.selectors import program_get_for_user

MAX_CRITERIA = 20


def require_province(actor: User, program: Program) -> Program:
    """The program, if the actor is the province's administrator (403) and sees it (404)."""
    if not can_manage_review(actor):
        raise ForbiddenError("只有省级管理员可以组织专家评审。")
    return program_get_for_user(user=actor, pk=program.pk)


def scheme_is_locked(program: Program) -> bool:
    """Once one expert is assigned, every expert must score against the same scheme."""
    return ReviewAssignment.objects.filter(application__program=program).exists()


def _scheme_snapshot(scheme: ReviewScheme) -> dict[str, Any]:
    data = model_snapshot(scheme, exclude=frozenset({"updated_at"}))
    data["criteria"] = [
        f"{c.name}|{c.weight}|{c.max_points}" for c in scheme.criteria.order_by("position", "id")
    ]
    return data


def scheme_ensure(actor: User, program: Program) -> ReviewScheme:
    scheme = ReviewScheme.objects.filter(program=program).first()
    if scheme is not None:
        return scheme
    scheme = ReviewScheme.objects.create(program=program, name=DEFAULT_SCHEME_NAME)
    ReviewCriterion.objects.bulk_create(
        ReviewCriterion(
            scheme=scheme,
            position=n,
            name=spec.name,
            weight=spec.weight,
            max_points=spec.max_points,
        )
        for n, spec in enumerate(DEFAULT_CRITERIA, start=1)
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=scheme,
        changes={"after": _scheme_snapshot(scheme)},
        detail="默认评审方案",
    )
    return scheme


def _clean_criteria(criteria: Sequence[CriterionSpec]) -> list[CriterionSpec]:
    if not criteria:
        raise ApplicationsError("criteria_required", "评审方案至少需要一项评审内容。")
    if len(criteria) > MAX_CRITERIA:
        raise ApplicationsError("too_many_criteria", f"评审内容最多 {MAX_CRITERIA} 项。")
    cleaned: list[CriterionSpec] = []
    for number, spec in enumerate(criteria, start=1):
        name = spec.name.strip()
        if not name or len(name) > 100:
            raise ApplicationsError(
                "invalid_criterion", f"第 {number} 项：请填写评审内容（不超过 100 字）。"
            )
        weight = money(spec.weight, f"“{name}”的权重")
        max_points = money(spec.max_points, f"“{name}”的满分")
        cleaned.append(CriterionSpec(name, weight, max_points))
    names = [c.name for c in cleaned]
    if len(set(names)) != len(names):
        raise ApplicationsError("invalid_criterion", "评审内容名称不能重复。")
    total = sum((c.weight for c in cleaned), Decimal(0))
    # Weights must add up to 100 exactly: a scheme published to experts and counties reads as
    # "out of 100", and silently normalising would hide a typo in one weight.
    if total != WEIGHT_TOTAL:
        raise ApplicationsError(
            "weights_not_100", f"各项权重合计应为 100，现为 {total.normalize():f}。"
        )
    return cleaned


@transaction.atomic
def review_scheme_save(
    *,
    actor: User,
    program: Program,
    name: str,
    trimmed: bool,
    criteria: Sequence[CriterionSpec],
) -> ReviewScheme:
    """The province sets the program's scoring scheme; possible until the first expert is
    assigned."""
    program = require_province(actor, program)
    lock_program(program.pk)
    if scheme_is_locked(program):
        raise ApplicationsError(
            "scheme_locked", "已有专家接受评审任务，评审方案不能再修改。", status=409
        )
    name = name.strip()
    if not name or len(name) > 100:
        raise ApplicationsError("invalid_scheme", "请填写方案名称（不超过 100 字）。")
    cleaned = _clean_criteria(criteria)
    scheme = ReviewScheme.objects.filter(program=program).first()
    creating = scheme is None
    before = {} if scheme is None else _scheme_snapshot(scheme)
    if scheme is None:
        scheme = ReviewScheme(program=program)
    scheme.name = name
    scheme.trimmed = trimmed
    scheme.updated_at = timezone.now()
    scheme.save()
    scheme.criteria.all().delete()
    ReviewCriterion.objects.bulk_create(
        ReviewCriterion(
            scheme=scheme, position=n, name=c.name, weight=c.weight, max_points=c.max_points
        )
        for n, c in enumerate(cleaned, start=1)
    )
    after = _scheme_snapshot(scheme)
    if creating or after != before:
        audit_record(
            actor=actor,
            action=AuditAction.CREATE if creating else AuditAction.UPDATE,
            obj=scheme,
            changes={"after": after} if creating else {"before": before, "after": after},
        )
    return scheme
