"""Forms of the protection program pages. They parse; the services decide."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.db.models import QuerySet

from dibiao.accounts.models import Organization, User
from dibiao.core.models import Division
from dibiao.projects.choices import ContractStatus, ImplementationArea, ProgramStatus
from dibiao.projects.models import Contract
from dibiao.registry.models import GIProduct


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def _money(label: str, **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0.01"}),
        **kwargs,
    )


def _set_queryset(form: forms.Form, name: str, queryset: QuerySet[Any]) -> None:
    cast(forms.ModelChoiceField, form.fields[name]).queryset = queryset


# --- Programs ------------------------------------------------------------------------------


class ProgramEditForm(forms.Form):
    name = forms.CharField(label="名称", max_length=200, widget=forms.TextInput(attrs={"size": 40}))
    total_budget = _money("总预算（元）")
    monthly_dispatch_day = forms.IntegerField(
        label="月度调度报送日",
        min_value=1,
        max_value=28,
        initial=5,
        help_text="每月该日前报送上月进展（1–28 日）。",
    )
    annual_summary_deadline = forms.DateField(label="年度总结截止日期", widget=DateInput())


class ProgramCreateForm(ProgramEditForm):
    province = forms.ModelChoiceField(label="省份", queryset=Division.objects.none())
    year = forms.IntegerField(label="年度", min_value=2019, max_value=2100)

    field_order = [
        "province",
        "year",
        "name",
        "total_budget",
        "monthly_dispatch_day",
        "annual_summary_deadline",
    ]

    def __init__(self, *args: Any, provinces: QuerySet[Division], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self, "province", provinces)
        if len(provinces) == 1:
            self.fields["province"].initial = provinces[0].pk


class ProgramTransitionForm(forms.Form):
    status = forms.ChoiceField(choices=ProgramStatus.choices)


# --- Allocations ---------------------------------------------------------------------------


class AllocationCreateForm(forms.Form):
    product = forms.ModelChoiceField(
        label="地理标志产品",
        queryset=GIProduct.objects.none(),
        help_text="仅列出本省已登记、尚未在本工程中分配资金的产品；实施地区按产品所在县（跨县产品为市）确定。",
    )
    amount = _money("补助资金（元）")

    def __init__(self, *args: Any, products: QuerySet[GIProduct], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self, "product", products)


class AllocationAmountForm(forms.Form):
    amount = _money("补助资金（元）")


class DisbursementForm(forms.Form):
    disbursed_on = forms.DateField(label="资金下达日期", widget=DateInput())


class ResponsibleForm(forms.Form):
    responsible = forms.ModelChoiceField(
        label="资金专管员",
        queryset=User.objects.none(),
        help_text="实施地区农业农村部门的在职人员。",
    )

    def __init__(self, *args: Any, candidates: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self, "responsible", candidates)


# --- Contracts -----------------------------------------------------------------------------


class ContractForm(forms.Form):
    number = forms.CharField(label="合同编号", max_length=60)
    title = forms.CharField(
        label="合同名称", max_length=200, widget=forms.TextInput(attrs={"size": 36})
    )
    party_b = forms.ModelChoiceField(
        label="乙方（承担单位）",
        queryset=Organization.objects.none(),
        help_text="甲方为实施地区的县农业农村局。",
    )
    amount = _money("合同金额（元）")
    area = forms.ChoiceField(label="实施内容", choices=ImplementationArea.choices)
    signed_on = forms.DateField(label="签订日期", widget=DateInput())
    start_date = forms.DateField(label="开始日期", widget=DateInput())
    end_date = forms.DateField(label="结束日期", widget=DateInput())

    def __init__(self, *args: Any, parties: QuerySet[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self, "party_b", parties)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "结束日期不能早于开始日期。")
        return data


class DeliverableForm(forms.Form):
    description = forms.CharField(
        label="交付内容",
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"size": 50}),
    )
    due_date = forms.DateField(label="到期日", required=False, widget=DateInput())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("description", "").strip() and not data.get("due_date"):
            self.add_error("due_date", "请填写到期日。")
        return data


DeliverableFormSet = forms.formset_factory(DeliverableForm, extra=3, max_num=50)


def deliverables_of(formset: Any) -> list[tuple[str, Any]]:
    return [
        (row["description"], row["due_date"])
        for row in formset.cleaned_data
        if row and row.get("description", "").strip()
    ]


class ContractStatusForm(forms.Form):
    status = forms.ChoiceField(
        label="新状态",
        choices=[
            (ContractStatus.COMPLETED.value, ContractStatus.COMPLETED.label),
            (ContractStatus.TERMINATED.value, ContractStatus.TERMINATED.label),
        ],
        help_text="终止后，合同未支出的部分退回资金分配。",
    )
    reason = forms.CharField(label="原因", max_length=300)


# --- Fund ledger ---------------------------------------------------------------------------


class EntryForm(forms.Form):
    contract = forms.ModelChoiceField(
        label="合同",
        queryset=Contract.objects.none(),
        required=False,
        empty_label="（不对应合同，直接列支资金分配）",
    )
    voucher_number = forms.CharField(label="凭证号", max_length=60)
    paid_on = forms.DateField(label="支付日期", widget=DateInput())
    payee = forms.CharField(label="收款单位", max_length=200)
    amount = _money("金额（元）")
    area = forms.ChoiceField(label="实施内容", choices=ImplementationArea.choices)
    description = forms.CharField(label="摘要", max_length=300, required=False)

    def __init__(self, *args: Any, contracts: QuerySet[Contract], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self, "contract", contracts)


class EntryReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "通过"), ("reject", "退回")])
    note = forms.CharField(label="审核意见", max_length=300, required=False)


class EntryReverseForm(forms.Form):
    reason = forms.CharField(label="冲销原因", max_length=300)


def form_errors(form: forms.BaseForm) -> str:
    """A form's errors as one line for a flash message."""
    return "；".join(
        f"{form.fields[name].label}：{e}"
        if name in form.fields and form.fields[name].label
        else str(e)
        for name, errors in form.errors.items()
        for e in errors
    )
