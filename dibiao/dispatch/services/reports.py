"""Writes of progress dispatch: a county files its report for a period, submits it, and the
city or the province returns it for correction.

| from | to | who | service |
|---|---|---|---|
| — / draft / returned | draft | the implementing body | `report_save` |
| draft / returned | submitted | the implementing body | `report_submit` (late ones flagged) |
| submitted | returned | city or province administrator over it, with a reason | `report_return` |

Each service is one transaction that locks the report row, checks the actor's right and the
state, writes the audit row, and raises a coded error otherwise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from dibiao.accounts.models import User
from dibiao.core.audit import audit_record, model_snapshot, snapshot_diff
from dibiao.core.choices import AuditAction
from dibiao.core.errors import NotFoundError
from dibiao.dispatch.choices import ReportKind, ReportStatus
from dibiao.dispatch.errors import DispatchError
from dibiao.dispatch.models import DispatchProgressLine, DispatchReport
from dibiao.dispatch.periods import Period
from dibiao.dispatch.permissions import is_implementer, supervises
from dibiao.dispatch.selectors import allocation_period, allocation_spent_until, period_of_program
from dibiao.dispatch.services.common import require, require_implementing
from dibiao.projects.models import Allocation, ProgramTarget

REPORT_FIELDS = ("summary", "problems", "next_steps")
# Changed on every save or by the ledger; the audit diff would show them as edits.
_NOT_AUDITED = frozenset({"updated_at", "funds_read_at"})
_FILER_ONLY = "只有实施地区的县级管理员（实施主体）可以填报和报送进展报告。"


@dataclass(frozen=True)
class ProgressInput:
    """Progress on one implementation target (a `ProgramTarget` of the report's program)."""

    target_id: int
    progress: str = ""
    achieved: Decimal | None = None


def _allocation_for(actor: User, allocation: Allocation) -> Allocation:
    found = (
        Allocation.objects.restrict(actor)
        .select_related("program", "product", "division")
        .filter(pk=allocation.pk)
        .first()
    )
    if found is None:
        raise NotFoundError("未找到该资金分配。")
    return found


def _lock(actor: User, report: DispatchReport) -> DispatchReport:
    if not DispatchReport.objects.restrict(actor).filter(pk=report.pk).exists():
        raise NotFoundError("未找到该报告。")
    # Lock the report row only (`of`): the joined allocation and program rows are the fund
    # ledger's to lock, in its own order.
    return (
        DispatchReport.objects.select_for_update(of=("self",))
        .select_related("allocation__program", "allocation__product", "allocation__division")
        .get(pk=report.pk)
    )


def _snapshot(report: DispatchReport) -> dict[str, Any]:
    data = model_snapshot(report, exclude=_NOT_AUDITED)
    data["lines"] = [
        [line.target_id, line.progress, str(line.achieved) if line.achieved is not None else ""]
        for line in DispatchProgressLine.objects.filter(report=report).order_by("target_id")
    ]
    return data


def _period(allocation: Allocation, kind: str, start: dt.date) -> Period:
    if kind not in ReportKind.values:
        raise DispatchError("invalid_kind", "报告类型应为月报、季度小结或年度总结。")
    period = allocation_period(allocation, kind, start)
    if period is None:
        raise DispatchError(
            "invalid_period",
            f"“{allocation.product.name}”没有{start:%Y-%m-%d}开始的{ReportKind(kind).label}"
            "报告期：报告期应为工程年度内、自资金分配当月起的月、季度或年度的第一天。",
        )
    return period


def _lock_or_create(
    actor: User, allocation: Allocation, period: Period
) -> tuple[DispatchReport, bool]:
    key = {"allocation": allocation, "kind": period.kind, "period_start": period.start}
    report = DispatchReport.objects.select_for_update().filter(**key).first()
    if report is not None:
        return report, False
    try:
        with transaction.atomic():
            return DispatchReport.objects.create(**key, due_date=period.due, created_by=actor), True
    except IntegrityError:
        # Another request created it a moment ago (the unique constraint): edit that one.
        return DispatchReport.objects.select_for_update().get(**key), False


def _replace_lines(
    report: DispatchReport, allocation: Allocation, lines: Sequence[ProgressInput]
) -> None:
    ids = [line.target_id for line in lines]
    if len(set(ids)) != len(ids):
        raise DispatchError("invalid_target", "同一实施任务只能填写一次。")
    targets = set(
        ProgramTarget.objects.filter(program=allocation.program, pk__in=ids).values_list(
            "pk", flat=True
        )
    )
    if set(ids) - targets:
        raise DispatchError("invalid_target", "实施任务不属于该保护工程。")
    kept: list[DispatchProgressLine] = []
    for line in lines:
        if line.achieved is not None and line.achieved < 0:
            raise DispatchError("invalid_achieved", "累计完成值不能为负数。")
        if line.progress.strip() or line.achieved is not None:
            kept.append(
                DispatchProgressLine(
                    report=report,
                    target_id=line.target_id,
                    progress=line.progress.strip(),
                    achieved=line.achieved,
                )
            )
    DispatchProgressLine.objects.filter(report=report).delete()
    DispatchProgressLine.objects.bulk_create(kept)


def _refresh_funds(report: DispatchReport, allocation: Allocation, period: Period) -> None:
    report.funds_spent_to_date = allocation_spent_until(allocation=allocation, until=period.end)
    report.funds_read_at = timezone.now()


@transaction.atomic
def report_save(
    *,
    actor: User,
    allocation: Allocation,
    kind: str,
    period_start: dt.date,
    data: Mapping[str, str] | None = None,
    lines: Sequence[ProgressInput] | None = None,
) -> DispatchReport:
    """Create or edit the allocation's report for a period (draft, or a returned one).
    `data` holds the text fields to set; `lines`, when given, replaces the progress lines (a
    line with neither progress nor a value is dropped). The funds spent are read again from the
    ledger: approved spending up to the period's end."""
    allocation = _allocation_for(actor, allocation)
    require(is_implementer(actor, allocation.division), _FILER_ONLY)
    require_implementing(allocation.program)
    period = _period(allocation, kind, period_start)
    if not period.is_open(timezone.localdate()):
        raise DispatchError(
            "period_not_started", f"{period.label}尚未开始，不能提前填报{period.kind_label}。"
        )
    report, created = _lock_or_create(actor, allocation, period)
    if report.status == ReportStatus.SUBMITTED:
        raise DispatchError(
            "report_submitted", "该报告已报送，不能再修改；如需更正，请上级退回。", status=409
        )
    before = {} if created else _snapshot(report)
    for name in REPORT_FIELDS:
        if data is not None and name in data:
            setattr(report, name, (data[name] or "").strip())
    report.due_date = period.due
    _refresh_funds(report, allocation, period)
    report.updated_at = timezone.now()
    report.save()
    if lines is not None:
        _replace_lines(report, allocation, lines)
    after = _snapshot(report)
    changes = {"after": after} if created else snapshot_diff(before, after)
    if created or changes["after"]:
        audit_record(
            actor=actor,
            action=AuditAction.CREATE if created else AuditAction.UPDATE,
            obj=report,
            changes=changes,
        )
    return report


def _require_content(report: DispatchReport) -> None:
    has_summary = bool(report.summary.strip())
    if report.kind == ReportKind.MONTHLY:
        if not has_summary and not report.lines.exists():
            raise DispatchError(
                "report_incomplete", "请至少填写一项实施任务的进展或工作进展概述后再报送。"
            )
    elif not has_summary:
        raise DispatchError(
            "report_incomplete", f"请填写{report.get_kind_display()}的工作进展（小结）后再报送。"
        )


def _submission_time(submitted_at: dt.datetime | None, period: Period) -> dt.datetime:
    """Now, or the given time of a historical submission: aware, not in the future, not before
    the period began."""
    now = timezone.now()
    if submitted_at is None:
        return now
    if timezone.is_naive(submitted_at):
        raise DispatchError("invalid_submitted_at", "报送时间须带时区。")
    if submitted_at > now:
        raise DispatchError("submitted_at_in_future", "报送时间不能晚于当前时间。")
    if timezone.localdate(submitted_at) < period.start:
        raise DispatchError(
            "submitted_at_before_period",
            f"报送时间不能早于报告期开始（{period.start:%Y-%m-%d}）。",
        )
    return submitted_at


@transaction.atomic
def report_submit(
    *, actor: User, report: DispatchReport, submitted_at: dt.datetime | None = None
) -> DispatchReport:
    """Submit a draft or a corrected report. A submission after the due date is accepted and
    flagged `submitted_late`; the funds figure is read again at this moment.

    `submitted_at` records a submission made before the platform held it (data loading and
    migration only: no page or API passes it): the report counts as submitted then, on time or
    late by that date. The audit row keeps the real time of the call and names the given one."""
    report = _lock(actor, report)
    allocation = report.allocation
    require(is_implementer(actor, allocation.division), _FILER_ONLY)
    require_implementing(allocation.program)
    if report.status == ReportStatus.SUBMITTED:
        raise DispatchError("already_submitted", "该报告已报送。", status=409)
    _require_content(report)
    # The calendar may have moved since the draft was saved: the due date is the program's now.
    period = allocation_period(allocation, report.kind, report.period_start) or period_of_program(
        allocation.program, report.kind, report.period_start
    )
    at = _submission_time(submitted_at, period)
    before = report.status
    report.due_date = period.due
    report.submitted_late = timezone.localdate(at) > period.due
    _refresh_funds(report, allocation, period)
    report.status = ReportStatus.SUBMITTED
    report.submitted_at = at
    report.submitted_by = actor
    report.updated_at = timezone.now() if submitted_at is not None else at
    report.save()
    after: dict[str, Any] = {
        "status": report.status,
        "submitted_late": report.submitted_late,
        "funds_spent_to_date": str(report.funds_spent_to_date),
    }
    notes = ["迟报"] if report.submitted_late else []
    if submitted_at is not None:
        after["submitted_at"] = at.isoformat()
        notes.append(f"补录报送时间 {timezone.localtime(at):%Y-%m-%d %H:%M}")
    audit_record(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=report,
        detail="；".join(notes),
        changes={"before": {"status": before}, "after": after},
    )
    return report


@transaction.atomic
def report_return(*, actor: User, report: DispatchReport, reason: str) -> DispatchReport:
    """Send a submitted report back for correction (city or province, with the reason)."""
    report = _lock(actor, report)
    allocation = report.allocation
    require(supervises(actor, allocation.division), "只有上级市级或省级管理员可以退回进展报告。")
    require_implementing(allocation.program)
    if report.status != ReportStatus.SUBMITTED:
        raise DispatchError(
            "not_submitted",
            f"只能退回已报送的报告（当前为“{report.get_status_display()}”）。",
            status=409,
        )
    if report.submitted_by_id == actor.pk:
        raise DispatchError(
            "own_report", "不能退回自己报送的报告，请由另一位管理员办理。", status=403
        )
    if not reason.strip():
        raise DispatchError("reason_required", "请填写退回原因。")
    report.status = ReportStatus.RETURNED
    report.returned_at = timezone.now()
    report.returned_by = actor
    report.return_reason = reason.strip()[:500]
    report.save()
    audit_record(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=report,
        detail=report.return_reason,
        changes={
            "before": {"status": ReportStatus.SUBMITTED},
            "after": {"status": ReportStatus.RETURNED},
        },
    )
    return report
