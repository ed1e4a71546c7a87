"""The verifiable ledger's tables (issue 6; formats in docs/ledger.md).

`LedgerLeaf` is both the queue and the log: a service inserts the leaf in the same transaction
as its record, with no index; the sequencer (`services.integrate`) gives queued leaves the next
indexes in queue order and writes the subtree hashes they complete into `LedgerNode`. Leaves and
nodes are never updated after that, nor deleted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from dibiao.ledger.merkle import ALGORITHMS


class Algorithm(models.TextChoices):
    SHA256 = "sha256", "SHA-256"
    SM3 = "sm3", "SM3"


if set(Algorithm.values) != set(ALGORITHMS):  # pragma: no cover - a programming error
    raise RuntimeError("Algorithm choices must list merkle.ALGORITHMS")


class LedgerState(models.Model):
    """The one row that says how the log was created and how many leaves it holds. Its row lock
    serializes the sequencer and checkpoint publication."""

    origin = models.CharField("日志标识", max_length=200)
    algorithm = models.CharField("哈希算法", max_length=10, choices=Algorithm.choices)
    size = models.BigIntegerField("树大小", default=0)
    created_at = models.DateTimeField("创建时间", default=timezone.now)

    class Meta:
        verbose_name = "账本状态"
        verbose_name_plural = "账本状态"

    def __str__(self) -> str:
        return f"{self.origin} ({self.algorithm}, {self.size})"


class LedgerLeaf(models.Model):
    """One leaf: the canonical bytes of one version of a record (or of one event)."""

    leaf_index = models.BigIntegerField("叶序号", null=True, blank=True, unique=True)
    record_type = models.CharField("记录类型", max_length=60)
    record_id = models.BigIntegerField("记录 id")
    data = models.BinaryField("叶数据")
    leaf_hash = models.BinaryField("叶哈希", max_length=32)
    queued_at = models.DateTimeField("写入时间", default=timezone.now)

    class Meta:
        verbose_name = "账本叶"
        verbose_name_plural = "账本叶"
        indexes = [
            models.Index(fields=["record_type", "record_id"]),
            # The sequencer's queue: the leaves still without an index, in queue order.
            models.Index(
                fields=["id"], name="ledger_leaf_queue", condition=models.Q(leaf_index=None)
            ),
        ]

    def __str__(self) -> str:
        where = "待记入" if self.leaf_index is None else f"#{self.leaf_index}"
        return f"{where} {self.record_type}:{self.record_id}"


class LedgerNode(models.Model):
    """The hash of a complete subtree of level ≥ 1, keyed by tlog's stored-hash index (the
    leaves' own hashes, level 0, live on `LedgerLeaf`)."""

    key = models.BigIntegerField(primary_key=True)
    hash = models.BinaryField(max_length=32)

    class Meta:
        verbose_name = "子树哈希"
        verbose_name_plural = "子树哈希"

    def __str__(self) -> str:
        return str(self.key)


class LedgerCheckpoint(models.Model):
    """A signed tree head, published only once proven consistent with the one before."""

    size = models.BigIntegerField("树大小", db_index=True)
    root_hash = models.BinaryField("根哈希", max_length=32)
    timestamp = models.DateTimeField("时间")
    note = models.TextField("签名检查点")

    class Meta:
        verbose_name = "检查点"
        verbose_name_plural = "检查点"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.size} @ {self.timestamp:%Y-%m-%d %H:%M}"


class LedgerAlert(models.Model):
    """A failed audit or an inconsistent checkpoint, for the security administrator."""

    created_at = models.DateTimeField("时间", default=timezone.now)
    source = models.CharField("来源", max_length=40)
    summary = models.CharField("摘要", max_length=300)
    findings = models.JSONField("发现", default=list)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="确认人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField("确认时间", null=True, blank=True)

    class Meta:
        verbose_name = "账本告警"
        verbose_name_plural = "账本告警"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.summary


class AuditRunSource(models.TextChoices):
    CONSOLE = "console", "安全控制台"
    COMMAND = "command", "命令行（ledger_verify）"


class LedgerAuditRun(models.Model):
    """One run of the audit (`audit.run`), for the console's history: requested there and run
    by the task worker, or run by `manage.py ledger_verify`. A row without `finished_at` is
    queued or running; one with `error` died before it could judge the ledger."""

    source = models.CharField("来源", max_length=20, choices=AuditRunSource.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="发起人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField("发起时间", default=timezone.now)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    ok = models.BooleanField("账本与数据库一致", null=True, blank=True)
    size = models.BigIntegerField("树大小", default=0)
    leaves_checked = models.BigIntegerField("核对叶数", default=0)
    checkpoints_checked = models.IntegerField("核对检查点数", default=0)
    witnessed_checked = models.IntegerField("核对见证检查点数", default=0)
    findings_count = models.IntegerField("发现数", default=0)
    findings = models.JSONField("发现", default=list)
    error = models.TextField("运行错误", blank=True)

    class Meta:
        verbose_name = "账本核验记录"
        verbose_name_plural = "账本核验记录"
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"账本核验 #{self.pk}（{self.status_label}）"

    @property
    def status_label(self) -> str:
        if self.error:
            return "运行失败"
        if self.finished_at is None:
            return "排队中" if self.started_at is None else "运行中"
        return "一致" if self.ok else f"发现 {self.findings_count} 处不一致"
