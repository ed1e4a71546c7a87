from __future__ import annotations

from typing import Any, ClassVar, NoReturn

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

from dibiao.core.choices import AuditAction, BoundarySource, DivisionLevel

division_code_validator = RegexValidator(r"^\d{6}$", "行政区划代码应为 6 位数字。")


class Division(models.Model):
    """An administrative division (GB/T 2260 code): province, city or county.

    `path` is the chain of codes from the province down ("140000/140100/140121"): the loader
    keeps it, and it orders and labels divisions. Scoping matches parent links instead
    (accounts/scoping.py).
    """

    code = models.CharField(
        "区划代码", max_length=6, unique=True, validators=[division_code_validator]
    )
    name = models.CharField("名称", max_length=50)
    level = models.CharField("级别", max_length=10, choices=DivisionLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField("路径", max_length=80, db_index=True, editable=False)

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class DivisionBoundary(models.Model):
    """A division's boundary: a WGS-84 Polygon or MultiPolygon as compact GeoJSON, with its box
    and its geodesic area.

    A table of its own rather than columns on Division: a boundary is 5–100 KB of text, and
    divisions are read on nearly every request (scoping, labels, select_related) where none of
    that text is wanted; a division without a boundary is simply one without a row. `source`
    tells the loader which rows it may refresh: a boundary an administrator uploaded is kept by a
    reload unless the reload is told to replace it.
    """

    division = models.OneToOneField(
        Division, verbose_name="行政区划", on_delete=models.CASCADE, related_name="boundary"
    )
    geojson = models.TextField("边界（GeoJSON）")
    sha256 = models.CharField("SHA-256", max_length=64, editable=False)
    source = models.CharField("来源", max_length=20, choices=BoundarySource.choices)
    source_note = models.CharField("来源说明", max_length=200, blank=True)
    area_hectares = models.DecimalField(
        "面积（公顷）", max_digits=14, decimal_places=4, editable=False
    )
    min_longitude = models.DecimalField(max_digits=9, decimal_places=6, editable=False)
    max_longitude = models.DecimalField(max_digits=9, decimal_places=6, editable=False)
    min_latitude = models.DecimalField(max_digits=8, decimal_places=6, editable=False)
    max_latitude = models.DecimalField(max_digits=8, decimal_places=6, editable=False)
    # Grows by one on every write: the boundaries' version for the in-process look-up index.
    revision = models.PositiveIntegerField("版本", default=1, editable=False)
    updated_at = models.DateTimeField("更新时间", default=timezone.now)

    class Meta:
        verbose_name = "行政区划边界"
        verbose_name_plural = "行政区划边界"
        ordering = ["division__code"]

    def __str__(self) -> str:
        return f"{self.division}边界"


class AuditLogQuerySet(models.QuerySet["AuditLog"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise PermissionError("审计日志不可修改。")

    def delete(self) -> NoReturn:
        raise PermissionError("审计日志不可删除。")


class AuditLog(models.Model):
    """One audited event. Append-only: the model refuses updates and deletes, and a database
    trigger (migration 0002) refuses them from any other client too."""

    at = models.DateTimeField("时间", default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="用户",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    username = models.CharField("用户名", max_length=150, blank=True)
    role = models.CharField("角色", max_length=200, blank=True)
    ip = models.GenericIPAddressField("IP", null=True, blank=True)
    action = models.CharField("操作", max_length=32, choices=AuditAction.choices, db_index=True)
    object_type = models.CharField("对象类型", max_length=100, blank=True, db_index=True)
    object_id = models.CharField("对象ID", max_length=64, blank=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    changes = models.JSONField("变更内容", default=dict, blank=True)
    detail = models.CharField("说明", max_length=500, blank=True)

    objects: ClassVar[AuditLogQuerySet] = AuditLogQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "审计日志"
        verbose_name_plural = "审计日志"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username} {self.get_action_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("审计日志不可修改。")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise PermissionError("审计日志不可删除。")


class IdempotencyRecord(models.Model):
    """The first answer to a write request sent with an `Idempotency-Key` header.

    The row is inserted in the same transaction as the write it guards: a concurrent request
    with the same key waits on the unique index until that transaction ends, then finds the
    stored answer and returns it instead of acting a second time.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="用户", on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField("幂等键", max_length=100)
    fingerprint = models.CharField("请求指纹", max_length=64)
    status_code = models.PositiveSmallIntegerField("状态码")
    response = models.JSONField("响应", default=dict, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField("时间", default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "幂等记录"
        verbose_name_plural = "幂等记录"
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_unique_key")
        ]

    def __str__(self) -> str:
        return self.key
