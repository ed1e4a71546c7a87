"""Writes to the work archive (工作档案): attach and withdraw, each atomic, scoped and audited.
Nothing here deletes a document: a wrong upload is withdrawn and kept."""

from __future__ import annotations

import datetime as dt

from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.utils import timezone

from dibiao.accounts.models import Organization, User
from dibiao.archive.choices import ArchiveCategory
from dibiao.archive.errors import ArchiveError
from dibiao.archive.models import ArchiveDocument
from dibiao.archive.permissions import can_attach_archive, can_file_under
from dibiao.archive.targets import target_type_for
from dibiao.core.audit import audit_record, model_snapshot
from dibiao.core.choices import AuditAction
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.core.models import Division
from dibiao.core.uploads import DOCUMENT_KINDS, IMAGE_KINDS, check_upload

DESCRIPTION_MAX = 500


def _check_filing(
    *,
    actor: User,
    target: models.Model,
    division: Division,
    organization: Organization | None,
) -> None:
    target_type = target_type_for(target)
    # Another scope's target is a 404 before any question of rights.
    if not target_type.visible_to(actor).filter(pk=target.pk).exists():
        raise NotFoundError("未找到该对象。")
    if not can_attach_archive(actor):
        raise ForbiddenError("您的角色不能上传工作档案。")
    if division.pk not in {d.pk for d in target_type.divisions_of(target)}:
        raise ArchiveError("division_mismatch", f"{division.name}不是该对象所在的行政区划。")
    if organization is not None and organization != target_type.organization_of(target):
        raise ArchiveError("organization_mismatch", "所属主体与该对象不符。")
    if not can_file_under(actor, division=division, organization=organization):
        raise ArchiveError(
            "division_out_of_scope", f"{division.name}不在您的管辖范围内，不能在此归档。"
        )


@transaction.atomic
def archive_attach(
    *,
    actor: User,
    target: models.Model,
    division: Division,
    organization: Organization | None = None,
    category: str,
    document_date: dt.date,
    description: str,
    upload: UploadedFile,
) -> ArchiveDocument:
    """File `upload` in `target`'s archive under `division` (and `organization`, for a
    producer's own item): `targets.filing_for` gives the caller both."""
    _check_filing(actor=actor, target=target, division=division, organization=organization)
    if category not in ArchiveCategory.values:
        raise ArchiveError("invalid_category", "请选择档案类别。")
    if document_date > timezone.localdate():
        raise ArchiveError("invalid_date", "文件日期不能晚于今天。")
    description = description.strip()
    if len(description) > DESCRIPTION_MAX:
        raise ArchiveError("description_too_long", f"说明不能超过 {DESCRIPTION_MAX} 字。")
    allowed = IMAGE_KINDS if category == ArchiveCategory.PHOTO else DOCUMENT_KINDS
    checked = check_upload(upload, allowed=allowed)

    document = ArchiveDocument(
        content_type=ContentType.objects.get_for_model(target),
        object_id=target.pk,
        division=division,
        organization=organization,
        category=category,
        document_date=document_date,
        description=description,
        original_name=checked.original_name,
        size=checked.size,
        kind=checked.kind.code,
        sha256=checked.sha256,
        uploaded_by=actor,
    )
    # `archive_upload_to` names the stored file (random, with the detected extension).
    document.file.save(checked.original_name, upload, save=False)
    stored = document.file.name
    try:
        document.save()
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=document,
            changes={"after": model_snapshot(document)},
        )
    except Exception:
        # The row is rolled back; do not leave its file behind.
        if stored:
            document.file.storage.delete(stored)
        raise
    return document


@transaction.atomic
def archive_withdraw(*, actor: User, document: ArchiveDocument, reason: str) -> ArchiveDocument:
    """Hide a wrong upload from the archive's lists and ZIP; the row and the file are kept."""
    if not ArchiveDocument.objects.restrict(actor).filter(pk=document.pk).exists():
        raise NotFoundError("未找到该档案文件。")
    if not can_file_under(actor, division=document.division, organization=document.organization):
        raise ForbiddenError("您不能撤回这份档案文件。")
    document = ArchiveDocument.objects.select_for_update().get(pk=document.pk)
    if document.withdrawn_at is not None:
        raise ArchiveError("already_withdrawn", "该文件已经撤回。", status=409)
    reason = reason.strip()
    if not reason:
        raise ArchiveError("reason_required", "请填写撤回原因。")
    document.withdrawn_at = timezone.now()
    document.withdrawn_by = actor
    document.withdraw_reason = reason[:DESCRIPTION_MAX]
    document.save(update_fields=["withdrawn_at", "withdrawn_by", "withdraw_reason"])
    audit_record(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=document,
        changes={"before": {"withdrawn": False}, "after": {"withdrawn": True}},
        detail=document.withdraw_reason,
    )
    return document
