"""Exports of a batch's trace: the EPCIS 2.0 document, the NY/T 4712-2025 national-platform
document, and its submission through the configured national-platform client. Every export and
submission is audited (action `export`, the batch as object)."""

from __future__ import annotations

import logging
from typing import Any

from dibiao.accounts.models import User
from dibiao.core.audit import audit_record
from dibiao.core.choices import AuditAction
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.trace.epcis import batch_epcis_document, epcis_errors
from dibiao.trace.errors import TraceError
from dibiao.trace.models import Batch
from dibiao.trace.national import SubmissionResult, batch_national_document, national_client
from dibiao.trace.permissions.certificates import can_export_trace, can_submit_national

logger = logging.getLogger(__name__)


def _visible(actor: User, batch: Batch) -> None:
    if not Batch.objects.restrict(actor).filter(pk=batch.pk).exists():
        raise NotFoundError("未找到该批次。")
    if not can_export_trace(actor):
        raise ForbiddenError("只有政府部门和生产经营主体可以导出追溯数据。")


def batch_epcis_export(*, actor: User, batch: Batch, origin: str) -> dict[str, Any]:
    """The batch's EPCIS document, checked against GS1's schema before it leaves."""
    _visible(actor, batch)
    document = batch_epcis_document(batch, origin=origin)
    errors = epcis_errors(document)
    if errors:
        # Our mapping is wrong for some data: never hand out an invalid document.
        logger.error("EPCIS export of batch %s is invalid: %s", batch.pk, errors[:5])
        raise TraceError(
            "epcis_invalid", "生成的 EPCIS 文档未通过 GS1 模式校验，请联系系统管理员。", status=500
        )
    audit_record(
        actor=actor,
        action=AuditAction.EXPORT,
        obj=batch,
        detail=f"导出 EPCIS 2.0 追溯文档（{len(document['epcisBody']['eventList'])} 个事件）",
    )
    return document


def batch_national_export(*, actor: User, batch: Batch) -> dict[str, Any]:
    _visible(actor, batch)
    document = batch_national_document(batch)
    audit_record(
        actor=actor,
        action=AuditAction.EXPORT,
        obj=batch,
        detail=f"导出国家追溯平台数据（NY/T 4712-2025，{len(document['stages'])} 个环节）",
    )
    return document


def batch_national_submit(*, actor: User | None, batch: Batch) -> SubmissionResult:
    """Send the batch's national-platform document through the configured client. Not one
    transaction with the audit row: a real client talks to a remote platform, which a
    database rollback cannot take back, so the outcome is recorded whatever it is."""
    if actor is not None:
        _visible(actor, batch)
        if not can_submit_national(actor, batch.producer):
            raise ForbiddenError(
                "只有该经营主体、其所在县的农业农村部门或省级管理员可以报送国家追溯平台。"
            )
    document = batch_national_document(batch)
    try:
        result = national_client().submit(document)
    except Exception as exc:  # a client's failure of any kind is a failed submission
        logger.exception("national platform submission of batch %s failed", batch.pk)
        audit_record(
            actor=actor,
            action=AuditAction.EXPORT,
            obj=batch,
            detail=f"报送国家追溯平台失败：{type(exc).__name__}",
        )
        raise TraceError(
            "national_submit_failed", "报送国家追溯平台失败，请稍后重试。", status=502
        ) from exc
    outcome = "已接收" if result.accepted else "未接收"
    audit_record(
        actor=actor,
        action=AuditAction.EXPORT,
        obj=batch,
        detail=f"报送国家追溯平台：{outcome}；{result.reference}；{result.message}",
    )
    return result
