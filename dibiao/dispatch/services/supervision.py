"""Writes of supervision (督导检查): inspection visits, notices of criticism (通报) and their
rectification (限期改正).

| from | to | who | service |
|---|---|---|---|
| — | visit recorded | city or province administrator over the division | `inspection_record` |
| — | `open` 整改中 | city or province administrator over the division | `notice_issue` |
| `open` | `rectified` 已整改（待验收） | the implementing body, with its rectification report | `notice_rectify` |
| `rectified` | `closed` 已销号 | the issuing level (or above), not the one who rectified | `notice_close` |
| `rectified` | `open` | the issuing level (or above), with a reason, maybe a new deadline | `notice_return` |

"Overdue" is not a state: an open notice is overdue once today is past `rectify_by`.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from dibiao.accounts.models import User
from dibiao.core.audit import audit_record, model_snapshot
from dibiao.core.choices import AuditAction
from dibiao.core.errors import NotFoundError
from dibiao.core.models import Division
from dibiao.dispatch.choices import NoticeStatus
from dibiao.dispatch.errors import DispatchError
from dibiao.dispatch.models import CriticismNotice, InspectionVisit
from dibiao.dispatch.permissions import (
    can_supervise,
    can_verify_notice,
    is_implementer,
    supervisor_division,
)
from dibiao.dispatch.selectors import (
    dispatch_program_for_user,
    implementing_divisions_for_user,
)
from dibiao.dispatch.services.common import clean, require, require_under_way
from dibiao.projects.models import Program

_SUPERVISORS_ONLY = "只有市级或省级管理员可以开展督导检查和通报。"


def _check_target(actor: User, program: Program, division: Division) -> Program:
    """The program as the actor sees it, and a division implementing it within the actor's
    scope (another scope's program is a 404; a division outside is a 400)."""
    require(can_supervise(actor), _SUPERVISORS_ONLY)
    program = dispatch_program_for_user(user=actor, pk=program.pk)
    require_under_way(program)
    if (
        not implementing_divisions_for_user(user=actor, program=program)
        .filter(pk=division.pk)
        .exists()
    ):
        raise DispatchError(
            "division_out_of_scope", "请选择您管辖范围内承担该保护工程项目的实施地区。"
        )
    return program


def _not_in_future(day: dt.date, label: str) -> None:
    if day > timezone.localdate():
        raise DispatchError("date_in_future", f"{label}不能晚于今天。")


@transaction.atomic
def inspection_record(
    *,
    actor: User,
    program: Program,
    division: Division,
    visited_on: dt.date,
    inspectors: str,
    findings: str,
    recommendations: str = "",
) -> InspectionVisit:
    program = _check_target(actor, program, division)
    _not_in_future(visited_on, "检查日期")
    visit = InspectionVisit(
        program=program,
        division=division,
        visited_on=visited_on,
        inspectors=inspectors.strip(),
        findings=findings.strip(),
        recommendations=recommendations.strip(),
        recorded_by=actor,
    )
    clean(visit, "invalid_inspection")
    visit.save()
    audit_record(
        actor=actor, action=AuditAction.CREATE, obj=visit, changes={"after": model_snapshot(visit)}
    )
    return visit


@transaction.atomic
def notice_issue(
    *,
    actor: User,
    program: Program,
    division: Division,
    title: str,
    issues: str,
    issued_on: dt.date,
    rectify_by: dt.date,
    inspection: InspectionVisit | None = None,
) -> CriticismNotice:
    """对管理不规范、实施效果不好的县要予以通报并限期改正."""
    program = _check_target(actor, program, division)
    _not_in_future(issued_on, "通报日期")
    if rectify_by < issued_on:
        raise DispatchError("invalid_deadline", "整改期限不能早于通报日期。")
    if inspection is not None and (
        inspection.program_id != program.pk or inspection.division_id != division.pk
    ):
        raise DispatchError("inspection_mismatch", "所依据的督导检查应为同一工程、同一地区的检查。")
    issuer = supervisor_division(actor, division)
    if issuer is None:  # `_check_target` found the division in a supervising scope
        raise NotFoundError("未找到该实施地区。")
    notice = CriticismNotice(
        program=program,
        division=division,
        inspection=inspection,
        title=title.strip(),
        issues=issues.strip(),
        issued_on=issued_on,
        rectify_by=rectify_by,
        issuer_division=issuer,
        issued_by=actor,
    )
    clean(notice, "invalid_notice")
    notice.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=notice,
        changes={"after": model_snapshot(notice)},
    )
    return notice


def _lock(actor: User, notice: CriticismNotice) -> CriticismNotice:
    if not CriticismNotice.objects.restrict(actor).filter(pk=notice.pk).exists():
        raise NotFoundError("未找到该通报。")
    return (
        CriticismNotice.objects.select_for_update(of=("self",))
        .select_related("division", "program")
        .get(pk=notice.pk)
    )


def _invalid_transition(notice: CriticismNotice, action: str) -> DispatchError:
    return DispatchError(
        "invalid_transition",
        f"通报当前为“{notice.get_status_display()}”，不能{action}。",
        status=409,
    )


def _transition(
    actor: User,
    notice: CriticismNotice,
    before: dict[str, str],
    detail: str = "",
) -> CriticismNotice:
    """Save and audit: `before` holds the changed fields' old values."""
    notice.save()
    after = {name: str(getattr(notice, name)) for name in before}
    audit_record(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=notice,
        detail=detail,
        changes={"before": before, "after": after},
    )
    return notice


@transaction.atomic
def notice_rectify(*, actor: User, notice: CriticismNotice, report: str) -> CriticismNotice:
    """The criticised division reports what it has put right (整改情况报告)."""
    notice = _lock(actor, notice)
    require(
        is_implementer(actor, notice.division),
        "只有被通报地区的县级管理员（实施主体）可以报送整改情况。",
    )
    if notice.status != NoticeStatus.OPEN:
        raise _invalid_transition(notice, "报送整改情况")
    if not report.strip():
        raise DispatchError("report_required", "请填写整改情况报告。")
    before = {"status": notice.status}
    notice.status = NoticeStatus.RECTIFIED
    notice.rectification_report = report.strip()
    notice.rectified_on = timezone.localdate()
    notice.rectified_by = actor
    detail = "逾期整改" if notice.rectified_late else ""
    return _transition(actor, notice, before, detail)


def _require_issuer(actor: User, notice: CriticismNotice) -> None:
    require(can_verify_notice(actor, notice), "只有发出通报的单位（或其上级）可以验收整改。")
    if notice.rectified_by_id == actor.pk:
        raise DispatchError(
            "own_rectification", "不能验收自己报送的整改情况，请由另一位管理员办理。", status=403
        )


@transaction.atomic
def notice_close(*, actor: User, notice: CriticismNotice, note: str = "") -> CriticismNotice:
    """The issuing level accepts the rectification: the notice is closed (销号)."""
    notice = _lock(actor, notice)
    _require_issuer(actor, notice)
    if notice.status != NoticeStatus.RECTIFIED:
        raise _invalid_transition(notice, "验收销号")
    before = {"status": notice.status}
    notice.status = NoticeStatus.CLOSED
    notice.closed_on = timezone.localdate()
    notice.closed_by = actor
    notice.review_note = note.strip()[:500]
    return _transition(actor, notice, before, notice.review_note)


@transaction.atomic
def notice_return(
    *,
    actor: User,
    notice: CriticismNotice,
    reason: str,
    rectify_by: dt.date | None = None,
) -> CriticismNotice:
    """The rectification is not accepted: the notice is open again, optionally with a new
    deadline (without one, a passed deadline makes it overdue at once)."""
    notice = _lock(actor, notice)
    _require_issuer(actor, notice)
    if notice.status != NoticeStatus.RECTIFIED:
        raise _invalid_transition(notice, "退回整改")
    if not reason.strip():
        raise DispatchError("reason_required", "请填写退回原因。")
    if rectify_by is not None and rectify_by < notice.issued_on:
        raise DispatchError("invalid_deadline", "整改期限不能早于通报日期。")
    before = {"status": notice.status}
    if rectify_by is not None and rectify_by != notice.rectify_by:
        before["rectify_by"] = str(notice.rectify_by)
        notice.rectify_by = rectify_by
    notice.status = NoticeStatus.OPEN
    notice.review_note = reason.strip()[:500]
    return _transition(actor, notice, before, notice.review_note)
