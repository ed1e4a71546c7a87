"""Grading (分等分级): a product's configurable scheme of grades and criteria, the derivation of a
report's grade from its items, and explicit regrading.

A report earns the best-ranked grade (rank 1 = best) whose every criterion is met by the
report's item of the same name: the value lies within the criterion's bounds (inclusive) and,
when the criterion names a unit, the item has that unit. A criterion whose item the report
lacks is not met. A report that failed its limits earns no grade.

Changing a scheme never regrades existing reports by itself: a report keeps the grade it was
given until `test_report_regrade` (one report) or `product_reports_regrade` (a product's
reports) is called, each audited; a changed grade goes into the verifiable ledger.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from django.db import transaction
from django.db.models import Count

from dibiao.accounts.models import User
from dibiao.core.audit import audit_record, snapshot_diff
from dibiao.core.choices import AuditAction
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.ledger import services as ledger
from dibiao.production.choices import TestResult
from dibiao.production.errors import ProductionError
from dibiao.production.models import GradeCriterion, GradeStandard, TestReport
from dibiao.production.permissions import can_edit_grading, can_regrade_report
from dibiao.registry.models import GIProduct

__test__ = False  # the names start with "test_report": not pytest tests

# The columns hold 14 digits, 4 after the point.
VALUE_PLACES = Decimal("0.0001")
VALUE_LIMIT = Decimal("1e10")
MAX_GRADES = 20
MAX_CRITERIA = 50
MAX_RANK = 999


class Measured(Protocol):
    """What grading reads of a test item (a TestItem or the parsed input of one)."""

    @property
    def name(self) -> str: ...
    @property
    def unit(self) -> str: ...
    @property
    def value(self) -> Decimal: ...


def match_key(text: str) -> str:
    """Item names and units match ignoring case and runs of white space ("Vc" = "VC")."""
    return " ".join(text.split()).casefold()


def decimal_value(raw: Any, label: str, *, required: bool) -> Decimal | None:
    """A measured value or bound as a Decimal that fits the columns, or a coded error."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            raise ProductionError("invalid_value", f"请填写{label}。")
        return None
    value: Decimal | None = None
    if not isinstance(raw, bool):  # True is an int to Python, not a measurement
        try:
            value = Decimal(str(raw).strip())
        except (InvalidOperation, ValueError):
            value = None
    if value is None or not value.is_finite():
        raise ProductionError("invalid_value", f"{label}不是有效的数值。")
    if value != value.quantize(VALUE_PLACES):
        raise ProductionError("invalid_value", f"{label}最多保留四位小数。")
    if abs(value) >= VALUE_LIMIT:
        raise ProductionError("invalid_value", f"{label}超出可记录的范围。")
    return value.quantize(VALUE_PLACES)


def _text(raw: Any, label: str, max_length: int, *, required: bool) -> str:
    text = " ".join(str(raw or "").split())
    if required and not text:
        raise ProductionError("invalid_grading_scheme", f"请填写{label}。")
    if len(text) > max_length:
        raise ProductionError("invalid_grading_scheme", f"{label}不能超过 {max_length} 个字。")
    return text


# --- Derivation --------------------------------------------------------------------------------


def criterion_met(criterion: GradeCriterion, items: Mapping[str, Measured]) -> bool:
    item = items.get(match_key(criterion.item_name))
    if item is None:
        return False
    if criterion.unit and match_key(criterion.unit) != match_key(item.unit):
        return False
    low_ok = criterion.min_value is None or item.value >= criterion.min_value
    high_ok = criterion.max_value is None or item.value <= criterion.max_value
    return low_ok and high_ok


def grade_for_items(
    *, scheme: Sequence[GradeStandard], items: Iterable[Measured], passed: bool
) -> GradeStandard | None:
    """The best-ranked grade of `scheme` (criteria prefetched) that the items meet in full."""
    if not passed:
        return None
    by_name = {match_key(item.name): item for item in items}
    for grade in sorted(scheme, key=lambda g: g.rank):
        criteria = list(grade.criteria.all())
        # A grade without criteria would be met by anything; schemes are saved with at least
        # one per grade, and an empty one is skipped rather than handed out.
        if criteria and all(criterion_met(c, by_name) for c in criteria):
            return grade
    return None


def scheme_of(product: GIProduct | int) -> list[GradeStandard]:
    product_id = product if isinstance(product, int) else product.pk
    return list(
        GradeStandard.objects.filter(product_id=product_id)
        .order_by("rank")
        .prefetch_related("criteria")
    )


# --- The scheme --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionData:
    item_name: str
    unit: str
    min_value: Decimal | None
    max_value: Decimal | None


@dataclass(frozen=True)
class GradeData:
    name: str
    rank: int
    criteria: tuple[CriterionData, ...]
    id: int | None = None


def _criterion(raw: Mapping[str, Any], grade_name: str) -> CriterionData:
    item_name = _text(raw.get("item_name"), f"等级“{grade_name}”的指标名称", 100, required=True)
    where = f"等级“{grade_name}”的指标“{item_name}”"
    low = decimal_value(raw.get("min_value"), f"{where}的下限", required=False)
    high = decimal_value(raw.get("max_value"), f"{where}的上限", required=False)
    if low is None and high is None:
        raise ProductionError("criterion_without_bound", f"{where}至少需要下限或上限之一。")
    if low is not None and high is not None and low > high:
        raise ProductionError("criterion_bounds_reversed", f"{where}的下限不能大于上限。")
    unit = _text(raw.get("unit"), f"{where}的单位", 20, required=False)
    return CriterionData(item_name=item_name, unit=unit, min_value=low, max_value=high)


def _rank(raw: Any, name: str) -> int:
    try:
        rank = int(str(raw).strip()) if not isinstance(raw, bool) else None
    except (TypeError, ValueError):
        rank = None
    if rank is None or not 1 <= rank <= MAX_RANK:
        raise ProductionError(
            "invalid_grading_scheme", f"等级“{name}”的排序应为 1 到 {MAX_RANK} 的整数。"
        )
    return rank


def _grade_id(raw: Any) -> int | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().isdigit():
        return int(raw)
    raise ProductionError("unknown_grade", "等级编号应为整数。")


def parse_scheme(grades: Iterable[Mapping[str, Any]]) -> list[GradeData]:
    """Validate a whole scheme: unique names and ranks, at least one criterion per grade, at
    least one bound per criterion, min ≤ max, no criterion named twice in a grade."""
    parsed: list[GradeData] = []
    for raw in grades:
        name = _text(raw.get("name"), "等级名称", 20, required=True)
        rank = _rank(raw.get("rank"), name)
        criteria = [_criterion(c, name) for c in raw.get("criteria") or ()]
        if not criteria:
            raise ProductionError("grade_without_criteria", f"等级“{name}”至少需要一项分级指标。")
        if len(criteria) > MAX_CRITERIA:
            raise ProductionError(
                "invalid_grading_scheme", f"等级“{name}”的指标不能超过 {MAX_CRITERIA} 项。"
            )
        keys = [match_key(c.item_name) for c in criteria]
        if len(set(keys)) != len(keys):
            raise ProductionError("duplicate_criterion", f"等级“{name}”中有重复的指标。")
        parsed.append(
            GradeData(name=name, rank=rank, criteria=tuple(criteria), id=_grade_id(raw.get("id")))
        )
    if len(parsed) > MAX_GRADES:
        raise ProductionError("invalid_grading_scheme", f"等级不能超过 {MAX_GRADES} 个。")
    ranks = [g.rank for g in parsed]
    if len(set(ranks)) != len(ranks):
        raise ProductionError("duplicate_grade_rank", "各等级的排序不能重复。")
    names = [match_key(g.name) for g in parsed]
    if len(set(names)) != len(names):
        raise ProductionError("duplicate_grade_name", "各等级的名称不能重复。")
    return sorted(parsed, key=lambda g: g.rank)


def scheme_snapshot(scheme: Iterable[GradeStandard]) -> list[dict[str, Any]]:
    """The scheme as JSON-safe data for the audit log and the API."""
    return [
        {
            "name": grade.name,
            "rank": grade.rank,
            "criteria": [
                {
                    "item_name": c.item_name,
                    "unit": c.unit,
                    "min_value": None if c.min_value is None else str(c.min_value),
                    "max_value": None if c.max_value is None else str(c.max_value),
                }
                for c in sorted(grade.criteria.all(), key=lambda c: c.item_name)
            ],
        }
        for grade in sorted(scheme, key=lambda g: g.rank)
    ]


def _lock_product(actor: User | None, product: GIProduct) -> GIProduct:
    # Locking the product serialises two editors replacing its scheme at the same time.
    rows = GIProduct.objects.select_for_update()
    if actor is not None:
        rows = rows.filter(pk__in=GIProduct.objects.restrict(actor).values("pk"))
    locked = rows.filter(pk=product.pk).first()
    if locked is None:
        raise NotFoundError("未找到该产品。")
    if actor is not None and not can_edit_grading(actor, locked):
        raise ForbiddenError("只有省级管理员和产品所在县的县级管理员可以修改分等分级方案。")
    return locked


def _match_rows(
    wanted: Sequence[GradeData], existing: Sequence[GradeStandard]
) -> dict[int, GradeData]:
    """Which existing grade each wanted one continues: the grade with its id; else the one of
    the same name (a re-ranked grade keeps its identity); else, for a renamed grade, the one
    at its rank whose old name is no longer wanted. The rest are new."""
    by_id = {g.pk: g for g in existing}
    by_name = {match_key(g.name): g for g in existing}
    by_rank = {g.rank: g for g in existing}
    wanted_names = {match_key(w.name) for w in wanted}
    claimed: dict[int, GradeData] = {}
    left: list[GradeData] = []
    for w in wanted:
        if w.id is not None:
            row = by_id.get(w.id)
            if row is None or row.pk in claimed:
                raise ProductionError("unknown_grade", f"等级编号 {w.id} 不属于该产品的方案。")
            claimed[row.pk] = w
    for w in wanted:
        if w.id is None:
            row = by_name.get(match_key(w.name))
            if row is not None and row.pk not in claimed:
                claimed[row.pk] = w
            else:
                left.append(w)
    for w in left:
        row = by_rank.get(w.rank)
        if row is not None and row.pk not in claimed and match_key(row.name) not in wanted_names:
            claimed[row.pk] = w
    return claimed


def _refuse_removing_used(removed: Sequence[GradeStandard]) -> None:
    used = (
        TestReport.objects.filter(grade__in=removed)
        .values("grade__name")
        .annotate(n=Count("pk"))
        .order_by("grade__name")
    )
    if used:
        names = "、".join(f"“{row['grade__name']}”（{row['n']} 份报告）" for row in used)
        raise ProductionError(
            "grade_in_use",
            f"等级{names}已评定给检测报告，不能删除。可保留该等级并修改名称或指标；"
            "已评定的报告在重新评定等级之前保留原等级。",
            status=409,
        )


@transaction.atomic
def grading_scheme_replace(
    *, actor: User | None, product: GIProduct, grades: Iterable[Mapping[str, Any]]
) -> list[GradeStandard]:
    """Replace the product's whole scheme. `grades`: {"name", "rank", "criteria": [{"item_name",
    "unit", "min_value", "max_value"}], optional "id"}. Existing reports keep their grades."""
    wanted = parse_scheme(grades)
    product = _lock_product(actor, product)
    existing = list(
        GradeStandard.objects.select_for_update()
        .filter(product=product)
        .order_by("rank")
        .prefetch_related("criteria")
    )
    before = scheme_snapshot(existing)
    claimed = _match_rows(wanted, existing)
    removed = [g for g in existing if g.pk not in claimed]
    _refuse_removing_used(removed)
    GradeStandard.objects.filter(pk__in=[g.pk for g in removed]).delete()
    kept = [g for g in existing if g.pk in claimed]
    # Names and ranks are unique per product: park the kept grades on values no wanted grade
    # can have (a leading space never survives the input's trimming; ranks stop at MAX_RANK),
    # so renames and swaps never meet an old value midway.
    for i, grade in enumerate(kept):
        grade.name, grade.rank = f" {grade.pk}"[:20], MAX_RANK + 1 + i
        grade.save(update_fields=["name", "rank"])
    GradeCriterion.objects.filter(grade__in=kept).delete()
    rows: list[tuple[GradeStandard, GradeData]] = []
    for grade in kept:
        data = claimed[grade.pk]
        grade.name, grade.rank = data.name, data.rank
        grade.save(update_fields=["name", "rank"])
        rows.append((grade, data))
    continued = set(claimed.values())
    for data in wanted:
        if data not in continued:
            grade = GradeStandard.objects.create(product=product, name=data.name, rank=data.rank)
            rows.append((grade, data))
    GradeCriterion.objects.bulk_create(
        GradeCriterion(
            grade=grade,
            item_name=c.item_name,
            unit=c.unit,
            min_value=c.min_value,
            max_value=c.max_value,
        )
        for grade, data in rows
        for c in data.criteria
    )
    scheme = scheme_of(product)
    after = scheme_snapshot(scheme)
    if after != before:
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=product,
            changes=snapshot_diff({"grading_scheme": before}, {"grading_scheme": after}),
            detail="修改分等分级方案（已有检测报告的等级不自动重评）",
        )
    return scheme


# --- Regrading ---------------------------------------------------------------------------------


def _grade_label(grade: GradeStandard | None) -> str:
    return grade.name if grade is not None else "无等级"


def _regrade_locked(report: TestReport, scheme: Sequence[GradeStandard]) -> GradeStandard | None:
    """Set the report's grade under `scheme`; returns the previous grade."""
    previous = report.grade
    grade = grade_for_items(
        scheme=scheme, items=report.items.all(), passed=report.result != TestResult.FAIL
    )
    if (grade.pk if grade else None) != report.grade_id:
        report.grade = grade
        report.save(update_fields=["grade"])
    return previous


@transaction.atomic
def test_report_regrade(*, report: TestReport, actor: User | None) -> TestReport:
    """Grade one report again under its product's current scheme (audited even when the grade
    stays the same: the check itself is on record)."""
    rows = TestReport.objects.select_for_update()
    if actor is not None:
        rows = rows.filter(pk__in=TestReport.objects.restrict(actor).values("pk"))
    locked = rows.filter(pk=report.pk).first()
    if locked is None:
        raise NotFoundError("未找到该检测报告。")
    if actor is not None and not can_regrade_report(actor, locked):
        raise ForbiddenError("只有出具报告的检测机构和该产品分级方案的管理者可以重新评定等级。")
    previous = _regrade_locked(locked, scheme_of(locked.product_id))
    if (previous.pk if previous else None) != locked.grade_id:
        ledger.append(locked)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=locked,
        changes=snapshot_diff(
            {"grade": previous.pk if previous else None},
            {"grade": locked.grade_id},
        ),
        detail=f"重新评定等级：{_grade_label(previous)} → {_grade_label(locked.grade)}",
    )
    return locked


@dataclass(frozen=True)
class RegradeSummary:
    checked: int
    changed: int


@transaction.atomic
def product_reports_regrade(*, product: GIProduct, actor: User | None) -> RegradeSummary:
    """Grade again, under the current scheme, every report on the product that the actor can
    see. Each changed report gets its own audit row, the whole run one on the product."""
    product = _lock_product(actor, product)
    scheme = scheme_of(product)
    # of=("self",): the grade is an outer join, which PostgreSQL will not lock.
    rows = TestReport.objects.select_for_update(of=("self",)).filter(product=product)
    if actor is not None:
        rows = rows.filter(pk__in=TestReport.objects.restrict(actor).values("pk"))
    checked = 0
    changed: list[int] = []
    for report in rows.order_by("pk").select_related("grade").prefetch_related("items"):
        checked += 1
        previous = _regrade_locked(report, scheme)
        if (previous.pk if previous else None) != report.grade_id:
            changed.append(report.pk)
            audit_record(
                actor=actor,
                action=AuditAction.UPDATE,
                obj=report,
                changes=snapshot_diff(
                    {"grade": previous.pk if previous else None}, {"grade": report.grade_id}
                ),
                detail=f"批量重新评定等级：{_grade_label(previous)} → {_grade_label(report.grade)}",
            )
    # One read and one insert for all the regraded reports, not a round trip each.
    ledger.append_many(TestReport, changed)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=product,
        detail=f"批量重新评定检测报告等级：检查 {checked} 份，等级变化 {len(changed)} 份",
    )
    return RegradeSummary(checked=checked, changed=len(changed))
