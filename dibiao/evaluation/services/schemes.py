"""Evaluation schemes (考评方案): set by the province for a program; their items are fixed once
a round uses the scheme."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from dibiao.accounts.models import User
from dibiao.accounts.scoping import scope_for
from dibiao.core.audit import audit_record
from dibiao.core.choices import AuditAction
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.evaluation.choices import ItemMethod, ScoringRule
from dibiao.evaluation.errors import EvaluationError
from dibiao.evaluation.models import EvaluationScheme, SchemeItem
from dibiao.evaluation.permissions import can_manage_schemes
from dibiao.evaluation.rules import FUNDS_DEFAULTS, FUNDS_INDICATORS, check_item
from dibiao.projects.models import Program

MAX_ITEMS = 30


@dataclass(frozen=True)
class ItemInput:
    name: str
    points: Decimal | str | int
    method: str
    rule: str = ""
    indicators: Sequence[str] = ()
    params: dict[str, Any] = field(default_factory=dict)
    guidance: str = ""


DEFAULT_SCHEME_NAME = "地理标志农产品保护工程绩效考评方案"
# A scheme after the plan's sections (三 implementation content, 四/五 funds and management):
# 100 points, of which 90 are computed from the records and 10 are the evaluator's field
# assessment (实地效果评价). The province adjusts it before the first round.
DEFAULT_ITEMS: tuple[ItemInput, ...] = (
    ItemInput(
        "资金管理",
        10,
        ItemMethod.COMPUTED,
        ScoringRule.FUNDS,
        FUNDS_INDICATORS,
        dict(FUNDS_DEFAULTS),
        "资金下达后一个月内拨付到项目承担单位得 2 分，每推迟半个月扣 1 分；年底资金执行率达到 "
        "90% 得 8 分，每低 5 个百分点扣 1 分（不足 5 个百分点按 5 个百分点计），扣完为止。",
    ),
    ItemInput(
        "综合生产能力",
        20,
        ItemMethod.COMPUTED,
        ScoringRule.EACH_MET,
        ("core_base", "scale_operator", "farmers_driven", "income_growth"),
        guidance="核心基地、规模经营主体、带动农户、人均收入增幅，每项达标得 5 分。",
    ),
    ItemInput(
        "质量控制与特色品质",
        15,
        ItemMethod.COMPUTED,
        ScoringRule.EACH_MET,
        ("training", "quality_test", "production_logs"),
        guidance="按标生产培训、检验检测和营养品质评价、生产日志，每项达标得 5 分。",
    ),
    ItemInput(
        "品牌建设",
        20,
        ItemMethod.COMPUTED,
        ScoringRule.EACH_MET,
        (
            "promo_video",
            "national_media",
            "provincial_media_quarter",
            "provincial_media_year",
            "expos",
        ),
        guidance="宣传片、国家级媒体、省级媒体（每季度、全年）、展会推介，每项达标得 4 分。",
    ),
    ItemInput(
        "身份标识化和全程数字化",
        15,
        ItemMethod.COMPUTED,
        ScoringRule.PROPORTIONAL,
        ("label_use_producers", "label_use_codes", "certificates", "trace_coverage"),
        guidance="用标率（主体、标签）、合格证开具、追溯覆盖率，按完成程度计分。",
    ),
    ItemInput(
        "项目管理",
        10,
        ItemMethod.COMPUTED,
        ScoringRule.PROPORTIONAL,
        ("monthly_reports", "annual_summary", "supervision_visits"),
        guidance="月报按时报送、年度总结按期报送、接受督导检查，按完成程度计分。",
    ),
    ItemInput(
        "实地效果评价",
        10,
        ItemMethod.MANUAL,
        guidance="考评组实地查看基地、设施和档案，结合群众满意度评分，并写明评分理由。",
    ),
)


def _require_province(actor: User | None, program: Program) -> None:
    if actor is None:
        return
    if not can_manage_schemes(actor):
        raise ForbiddenError("只有省级管理员可以制定考评方案。")
    if program.province_id not in scope_for(actor).division_ids:
        raise NotFoundError("未找到该保护工程。")


def _points(value: Decimal | str | int, label: str) -> Decimal:
    try:
        points = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise EvaluationError("invalid_item", f"“{label}”的分值不是有效的数字。") from exc
    if (
        not points.is_finite()
        or points <= 0
        or points >= 1000
        or points != points.quantize(Decimal("0.01"))
    ):
        raise EvaluationError("invalid_item", f"“{label}”的分值应大于 0，最多两位小数。")
    return points


def _items(items: Sequence[ItemInput]) -> list[SchemeItem]:
    if not items:
        raise EvaluationError("invalid_scheme", "考评方案至少需要一个考评项目。")
    if len(items) > MAX_ITEMS:
        raise EvaluationError("invalid_scheme", f"考评项目不能超过 {MAX_ITEMS} 个。")
    built: list[SchemeItem] = []
    for position, item in enumerate(items, start=1):
        name = item.name.strip()
        if not name:
            raise EvaluationError("invalid_item", f"第 {position} 个考评项目缺少考评内容。")
        points = _points(item.points, name)
        if item.method == ItemMethod.MANUAL:
            rule, codes, params = "", [], {}
        elif item.method == ItemMethod.COMPUTED:
            rule = item.rule
            codes = list(FUNDS_INDICATORS if rule == ScoringRule.FUNDS else item.indicators)
            try:
                params = check_item(rule=rule, points=points, codes=codes, params=item.params)
            except EvaluationError as exc:
                raise EvaluationError(exc.code, f"“{name}”：{exc.message}") from exc
        else:
            raise EvaluationError("invalid_item", f"“{name}”：请选择评分方式。")
        built.append(
            SchemeItem(
                position=position,
                name=name[:100],
                points=points,
                method=item.method,
                rule=rule,
                indicators=codes,
                params=params,
                guidance=item.guidance.strip(),
            )
        )
    names = [i.name for i in built]
    if len(set(names)) != len(names):
        raise EvaluationError("invalid_scheme", "同一方案中考评内容不能重名。")
    return built


def _snapshot(scheme: EvaluationScheme) -> dict[str, Any]:
    return {
        "name": scheme.name,
        "notes": scheme.notes,
        "items": [
            [i.name, str(i.points), i.method, i.rule, list(i.indicators)]
            for i in scheme.items.order_by("position", "pk")
        ],
    }


@transaction.atomic
def scheme_create(
    *,
    actor: User | None,
    program: Program,
    name: str,
    items: Sequence[ItemInput],
    notes: str = "",
) -> EvaluationScheme:
    _require_province(actor, program)
    name = name.strip()
    if not name:
        raise EvaluationError("invalid_scheme", "请填写方案名称。")
    built = _items(items)
    # Serialize schemes of one program, so two requests cannot both take the same name.
    Program.objects.select_for_update().filter(pk=program.pk).get()
    if EvaluationScheme.objects.filter(program=program, name=name[:100]).exists():
        raise EvaluationError("scheme_exists", "该保护工程已有同名考评方案。", status=409)
    scheme = EvaluationScheme.objects.create(
        program=program, name=name[:100], notes=notes.strip(), created_by=actor
    )
    for item in built:
        item.scheme = scheme
    SchemeItem.objects.bulk_create(built)
    audit_record(
        actor=actor, action=AuditAction.CREATE, obj=scheme, changes={"after": _snapshot(scheme)}
    )
    return scheme


def scheme_create_default(*, actor: User | None, program: Program) -> EvaluationScheme:
    """The default scheme (DEFAULT_ITEMS) for a program."""
    return scheme_create(
        actor=actor, program=program, name=DEFAULT_SCHEME_NAME, items=DEFAULT_ITEMS
    )


@transaction.atomic
def scheme_update(
    *,
    actor: User | None,
    scheme: EvaluationScheme,
    name: str | None = None,
    notes: str | None = None,
    items: Sequence[ItemInput] | None = None,
) -> EvaluationScheme:
    """Rename, re-describe or replace the items of a scheme no round has used yet."""
    scheme = EvaluationScheme.objects.select_for_update().get(pk=scheme.pk)
    _require_province(actor, scheme.program)
    if scheme.rounds.exists():
        raise EvaluationError(
            "scheme_in_use", "该方案已用于考评，不能再修改；如需调整，请另建方案。", status=409
        )
    before = _snapshot(scheme)
    if name is not None:
        if not name.strip():
            raise EvaluationError("invalid_scheme", "请填写方案名称。")
        clash = EvaluationScheme.objects.filter(program=scheme.program, name=name.strip()[:100])
        if clash.exclude(pk=scheme.pk).exists():
            raise EvaluationError("scheme_exists", "该保护工程已有同名考评方案。", status=409)
        scheme.name = name.strip()[:100]
    if notes is not None:
        scheme.notes = notes.strip()
    if items is not None:
        built = _items(items)
        scheme.items.all().delete()
        for item in built:
            item.scheme = scheme
        SchemeItem.objects.bulk_create(built)
    scheme.updated_at = timezone.now()
    scheme.save()
    after = _snapshot(scheme)
    if after != before:
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=scheme,
            changes={"before": before, "after": after},
        )
    return scheme
