from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from dibiao.accounts.models import Organization
from dibiao.accounts.scoping import ScopedQuerySet
from dibiao.archive.choices import ArchiveCategory
from dibiao.core.models import Division
from dibiao.core.uploads import (
    KIND_CHOICES,
    KINDS,
    FileKind,
    download_name,
    random_stored_name,
    size_text,
)


def archive_upload_to(instance: ArchiveDocument, filename: str) -> str:
    # The user's file name is ignored: it is kept in `original_name` and used only for the
    # download. The stored name is random and carries the extension of the detected kind.
    return random_stored_name(prefix="archive", extension=KINDS[instance.kind].extension)


class ArchiveDocument(models.Model):
    """A document or photo in the work archive (工作档案), attached to any registered target
    (a GI product now; programs, applications, contracts, expenditures later).

    Append-only in spirit: nothing deletes a row through the application. A wrong upload is
    withdrawn (撤回) with a reason: hidden from the lists and the ZIP, but kept and audited.
    """

    content_type = models.ForeignKey(
        ContentType, verbose_name="对象类型", on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.PositiveBigIntegerField("对象编号")
    target = GenericForeignKey("content_type", "object_id")
    division = models.ForeignKey(
        Division, verbose_name="所属区划", on_delete=models.PROTECT, related_name="+"
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name="所属主体",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="生产经营主体自己上传的材料归属该主体，主体可见。",
    )
    category = models.CharField("类别", max_length=20, choices=ArchiveCategory.choices)
    document_date = models.DateField("文件日期")
    description = models.CharField("说明", max_length=500, blank=True)
    original_name = models.CharField("原文件名", max_length=200)
    file = models.FileField("文件", upload_to=archive_upload_to, max_length=200)
    size = models.PositiveBigIntegerField("大小（字节）")
    kind = models.CharField("文件类型", max_length=10, choices=KIND_CHOICES)
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField("上传时间", default=timezone.now)
    withdrawn_at = models.DateTimeField("撤回时间", null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="撤回人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    withdraw_reason = models.CharField("撤回原因", max_length=500, blank=True)

    objects: ClassVar[ScopedQuerySet[ArchiveDocument]] = ScopedQuerySet.as_manager()  # type: ignore[assignment]
    scope_division_lookup: ClassVar[str] = "division"
    scope_organization_lookup: ClassVar[str] = "organization"

    class Meta:
        verbose_name = "工作档案文件"
        verbose_name_plural = "工作档案文件"
        ordering = ["-document_date", "-uploaded_at", "-id"]
        indexes = [
            # A target's archive (the product page, the ZIP) and the scoped list by division.
            models.Index(
                fields=["content_type", "object_id", "document_date"],
                name="archive_target_date_idx",
            ),
            models.Index(fields=["division", "document_date"], name="archive_division_date_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(withdrawn_at__isnull=True, withdraw_reason="")
                | (models.Q(withdrawn_at__isnull=False) & ~models.Q(withdraw_reason="")),
                name="archive_withdrawn_has_reason",
                violation_error_message="撤回须同时记录时间和原因。",
            ),
        ]

    def __str__(self) -> str:
        return self.original_name

    @property
    def file_kind(self) -> FileKind:
        return KINDS[self.kind]

    @property
    def download_name(self) -> str:
        return download_name(self.original_name, self.file_kind)

    @property
    def size_display(self) -> str:
        return size_text(self.size)

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def target_archive_url(self) -> str:
        """The page of the target's archive, if its type has one."""
        from dibiao.archive.targets import target_type_for

        target: Any = self.target
        if target is None:
            return ""
        archive_url = target_type_for(target).archive_url
        return archive_url(target) if archive_url is not None else ""

    @property
    def target_type(self) -> str:
        """`registry.giproduct`: the API's name for the kind of target."""
        content_type: Any = self.content_type
        return f"{content_type.app_label}.{content_type.model}"
