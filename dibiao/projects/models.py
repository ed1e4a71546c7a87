"""The protection program and its money: allocations, contracts and the fund ledger.

Totals that must never exceed their limit (allocated ≤ budget, contracted ≤ allocation,
committed ≤ contract and ≤ allocation) are kept as columns updated in the same transaction as
the rows they sum, under row locks, and guarded by CHECK constraints: the services refuse
with a clear message, and the database refuses whatever slips past them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar, NoReturn

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from dibiao.accounts.models import Organization
from dibiao.accounts.scoping import ScopedQuerySet
from dibiao.core.models import Division
from dibiao.projects.choices import (
    ContractStatus,
    EntryKind,
    EntryStatus,
    ImplementationArea,
    ProgramStatus,
    TargetPeriod,
)
from dibiao.registry.models import GIProduct

ZERO = Decimal("0.00")


class Program(models.Model):
    """An annual protection program of a province (年度保护工程)."""

    province = models.ForeignKey(
        Division, verbose_name="省份", on_delete=models.PROTECT, related_name="programs"
    )
    year = models.PositiveSmallIntegerField(
        "年度", validators=[MinValueValidator(2019), MaxValueValidator(2100)]
    )
    name = models.CharField("名称", max_length=200)
    total_budget = models.DecimalField(
        "总预算（元）",
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    allocated_total = models.DecimalField(
        "已分配（元）", max_digits=14, decimal_places=2, default=ZERO, editable=False
    )
    status = models.CharField(
        "状态", max_length=20, choices=ProgramStatus.choices, default=ProgramStatus.DRAFT
    )
    monthly_dispatch_day = models.PositiveSmallIntegerField(
        "月度调度报送日",
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text="每月该日前报送上月进展。",
    )
    annual_summary_deadline = models.DateField("年度总结截止日期")
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="创建人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "保护工程"
        verbose_name_plural = "保护工程"
        ordering = ["-year", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["province", "year"],
                name="program_one_per_province_year",
                violation_error_message="该省该年度已有保护工程。",
            ),
            models.CheckConstraint(
                condition=Q(allocated_total__lte=F("total_budget")),
                name="program_allocated_within_budget",
            ),
            models.CheckConstraint(
                condition=Q(allocated_total__gte=0), name="program_allocated_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def unallocated(self) -> Decimal:
        return self.total_budget - self.allocated_total


class ProgramTarget(models.Model):
    """A per-product target of the program's implementation content (section 三)."""

    program = models.ForeignKey(
        Program, verbose_name="保护工程", on_delete=models.CASCADE, related_name="targets"
    )
    code = models.CharField("代码", max_length=40)
    name = models.CharField("指标", max_length=100)
    area = models.CharField("实施内容", max_length=20, choices=ImplementationArea.choices)
    value = models.DecimalField("目标值", max_digits=10, decimal_places=2)
    unit = models.CharField("单位", max_length=10)
    period = models.CharField("周期", max_length=10, choices=TargetPeriod.choices)

    class Meta:
        verbose_name = "工程指标"
        verbose_name_plural = "工程指标"
        ordering = ["program", "id"]
        constraints = [
            models.UniqueConstraint(fields=["program", "code"], name="program_target_unique_code")
        ]

    def __str__(self) -> str:
        return f"{self.name} ≥ {self.value}{self.unit}"


class Allocation(models.Model):
    """Funds of a program allocated to one GI product, implemented by a county (or city)."""

    program = models.ForeignKey(
        Program, verbose_name="保护工程", on_delete=models.PROTECT, related_name="allocations"
    )
    product = models.ForeignKey(
        GIProduct, verbose_name="产品", on_delete=models.PROTECT, related_name="allocations"
    )
    division = models.ForeignKey(
        Division,
        verbose_name="实施地区",
        on_delete=models.PROTECT,
        related_name="allocations",
        help_text="实施主体（县农业农村局）所在的县；跨县产品为市。",
    )
    amount = models.DecimalField(
        "补助资金（元）",
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    contracted_total = models.DecimalField(
        "已签合同（元）", max_digits=14, decimal_places=2, default=ZERO, editable=False
    )
    committed_total = models.DecimalField(
        "已支出（元）", max_digits=14, decimal_places=2, default=ZERO, editable=False
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="资金专管员",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="responsible_allocations",
    )
    allocated_at = models.DateTimeField("分配时间", default=timezone.now)
    disbursed_on = models.DateField("资金下达日期", null=True, blank=True)

    objects: ClassVar[ScopedQuerySet[Allocation]] = ScopedQuerySet.as_manager()  # type: ignore[assignment]
    scope_division_lookup: ClassVar[str] = "division"

    class Meta:
        verbose_name = "资金分配"
        verbose_name_plural = "资金分配"
        ordering = ["program", "product__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "product"],
                name="allocation_one_per_product",
                violation_error_message="该产品在本工程中已有资金分配。",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive"),
            models.CheckConstraint(
                condition=Q(contracted_total__lte=F("amount")),
                name="allocation_contracts_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(committed_total__lte=F("amount")),
                name="allocation_spending_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(committed_total__gte=0), name="allocation_spending_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program.year} {self.product.name}"

    @property
    def balance(self) -> Decimal:
        return self.amount - self.committed_total

    @property
    def execution_rate(self) -> Decimal:
        return (
            (self.committed_total / self.amount * 100).quantize(Decimal("0.1"))
            if self.amount
            else ZERO
        )


class Contract(models.Model):
    """A contract of the implementing county bureau with an undertaking unit (合同管理)."""

    allocation = models.ForeignKey(
        Allocation, verbose_name="资金分配", on_delete=models.PROTECT, related_name="contracts"
    )
    number = models.CharField("合同编号", max_length=60)
    title = models.CharField("合同名称", max_length=200)
    party_a = models.ForeignKey(
        Organization,
        verbose_name="甲方",
        on_delete=models.PROTECT,
        related_name="contracts_as_party_a",
    )
    party_b = models.ForeignKey(
        Organization,
        verbose_name="乙方（承担单位）",
        on_delete=models.PROTECT,
        related_name="contracts_as_party_b",
    )
    amount = models.DecimalField(
        "合同金额（元）",
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    committed_total = models.DecimalField(
        "已支出（元）", max_digits=14, decimal_places=2, default=ZERO, editable=False
    )
    area = models.CharField("实施内容", max_length=20, choices=ImplementationArea.choices)
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期")
    signed_on = models.DateField("签订日期")
    status = models.CharField(
        "状态", max_length=20, choices=ContractStatus.choices, default=ContractStatus.ACTIVE
    )
    created_at = models.DateTimeField("登记时间", default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects: ClassVar[ScopedQuerySet[Contract]] = ScopedQuerySet.as_manager()  # type: ignore[assignment]
    scope_division_lookup: ClassVar[str] = "allocation__division"
    scope_organization_lookup: ClassVar[str] = "party_b"

    class Meta:
        verbose_name = "合同"
        verbose_name_plural = "合同"
        ordering = ["allocation", "signed_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["allocation", "number"],
                name="contract_unique_number",
                violation_error_message="该合同编号已登记。",
            ),
            # A terminated contract keeps only what it spent, which may be nothing.
            models.CheckConstraint(
                condition=Q(amount__gt=0)
                | Q(
                    status__in=[ContractStatus.TERMINATED, ContractStatus.COMPLETED], amount__gte=0
                ),
                name="contract_amount_positive",
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="contract_period_order",
                violation_error_message="结束日期不能早于开始日期。",
            ),
            models.CheckConstraint(
                condition=Q(committed_total__lte=F("amount")),
                name="contract_spending_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(committed_total__gte=0), name="contract_spending_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def balance(self) -> Decimal:
        return self.amount - self.committed_total


class Deliverable(models.Model):
    contract = models.ForeignKey(
        Contract, verbose_name="合同", on_delete=models.CASCADE, related_name="deliverables"
    )
    description = models.CharField("交付内容", max_length=300)
    due_date = models.DateField("到期日")
    delivered_on = models.DateField("完成日期", null=True, blank=True)

    class Meta:
        verbose_name = "合同交付物"
        verbose_name_plural = "合同交付物"
        ordering = ["due_date", "id"]

    def __str__(self) -> str:
        return self.description


class FundEntryQuerySet(ScopedQuerySet["FundEntry"]):
    def delete(self) -> NoReturn:
        raise PermissionError("资金台账只能追加冲销分录，不能删除。")


class FundEntry(models.Model):
    """One entry of a program's dedicated fund ledger (专账核算).

    Append-only: an entry is never edited or deleted; a correction is a reversal entry that
    points at the entry it cancels. A payment commits funds when recorded (so two requests
    cannot both spend the last yuan) and releases them if rejected; a reversal releases funds
    when approved. One user records, another approves (four eyes).
    """

    allocation = models.ForeignKey(
        Allocation, verbose_name="资金分配", on_delete=models.PROTECT, related_name="entries"
    )
    contract = models.ForeignKey(
        Contract,
        verbose_name="合同",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
    )
    kind = models.CharField(
        "类型", max_length=10, choices=EntryKind.choices, default=EntryKind.PAYMENT
    )
    reverses = models.ForeignKey(
        "self",
        verbose_name="冲销的分录",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
    )
    voucher_number = models.CharField("凭证号", max_length=60)
    paid_on = models.DateField("支付日期")
    payee = models.CharField("收款单位", max_length=200)
    amount = models.DecimalField("金额（元）", max_digits=14, decimal_places=2)
    area = models.CharField("实施内容", max_length=20, choices=ImplementationArea.choices)
    description = models.CharField("摘要", max_length=300, blank=True)
    status = models.CharField(
        "状态", max_length=10, choices=EntryStatus.choices, default=EntryStatus.PENDING
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="记账人", on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("记账时间", default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审核人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    review_note = models.CharField("审核意见", max_length=300, blank=True)

    objects: ClassVar[FundEntryQuerySet] = FundEntryQuerySet.as_manager()  # type: ignore[assignment]
    scope_division_lookup: ClassVar[str] = "allocation__division"

    class Meta:
        verbose_name = "资金台账分录"
        verbose_name_plural = "资金台账"
        ordering = ["allocation", "paid_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="fund_entry_amount_positive"),
            models.CheckConstraint(
                condition=Q(reviewed_by__isnull=True) | ~Q(reviewed_by=F("recorded_by")),
                name="fund_entry_four_eyes",
                violation_error_message="记账人和审核人不能是同一人。",
            ),
            models.UniqueConstraint(
                fields=["reverses"],
                condition=Q(reverses__isnull=False) & ~Q(status=EntryStatus.REJECTED),
                name="fund_entry_one_live_reversal",
                violation_error_message="该分录已有冲销分录。",
            ),
            models.CheckConstraint(
                condition=(Q(kind=EntryKind.REVERSAL) & Q(reverses__isnull=False))
                | (Q(kind=EntryKind.PAYMENT) & Q(reverses__isnull=True)),
                name="fund_entry_reversal_points_at_entry",
            ),
        ]
        indexes = [models.Index(fields=["allocation", "paid_on"])]

    def __str__(self) -> str:
        return f"{self.voucher_number} {self.get_kind_display()} {self.amount}"

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise PermissionError("资金台账只能追加冲销分录，不能删除。")
