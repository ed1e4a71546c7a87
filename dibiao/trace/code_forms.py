"""Forms of the label-code pages (issuance, binding, voiding, label files). They parse; the
services decide (and re-check everything a form checks)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet

from dibiao.producers.models import LabelAuthorization
from dibiao.trace import codes
from dibiao.trace.choices import LabelFormat
from dibiao.trace.models import Batch
from dibiao.trace.services.codes import MAX_ISSUANCE_COUNT, REASON_MAX_LENGTH

_NUMBER = {"style": "width:10rem"}


class AuthorizationChoice(forms.ModelChoiceField[LabelAuthorization]):
    def label_from_instance(self, obj: LabelAuthorization) -> str:
        remaining = max(getattr(obj, "remaining", 0) or 0, 0)
        return (
            f"{obj.number} · {obj.producer.name} · {obj.product.name} · {obj.year} 年度"
            f"（剩余 {remaining:,} 枚）"
        )


class IssuanceForm(forms.Form):
    authorization = AuthorizationChoice(
        label="标志使用授权", queryset=LabelAuthorization.objects.none(), empty_label="请选择"
    )
    count = forms.IntegerField(
        label="发放数量（枚）",
        min_value=1,
        max_value=MAX_ISSUANCE_COUNT,
        widget=forms.NumberInput(attrs=_NUMBER),
        help_text=f"一次最多 {MAX_ISSUANCE_COUNT:,} 枚，累计不超过授权数量。",
    )

    def __init__(self, *args: Any, authorizations: QuerySet[LabelAuthorization], **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField[Any], self.fields["authorization"]).queryset = authorizations


class RangeForm(forms.Form):
    first_serial = forms.IntegerField(
        label="起始序号",
        min_value=1,
        max_value=codes.MAX_SERIAL,
        widget=forms.NumberInput(attrs=_NUMBER),
    )
    last_serial = forms.IntegerField(
        label="结束序号",
        min_value=1,
        max_value=codes.MAX_SERIAL,
        widget=forms.NumberInput(attrs=_NUMBER),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("first_serial"), data.get("last_serial")
        if first is not None and last is not None and first > last:
            raise forms.ValidationError("起始序号不能大于结束序号。")
        return data


class BatchChoice(forms.ModelChoiceField[Batch]):
    def label_from_instance(self, obj: Batch) -> str:
        return f"{obj.number} · 采收 {obj.harvest_date:%Y-%m-%d} · {obj.quantity.normalize():f} {obj.unit}"


class BindForm(RangeForm):
    batch = BatchChoice(label="绑定到批次", queryset=Batch.objects.none(), empty_label="请选择")

    def __init__(self, *args: Any, batches: QuerySet[Batch], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField[Any], self.fields["batch"]).queryset = batches


class VoidForm(RangeForm):
    reason = forms.CharField(
        label="作废原因", max_length=REASON_MAX_LENGTH, help_text="如：标签印刷错误、破损、遗失。"
    )


class LabelJobForm(RangeForm):
    format = forms.ChoiceField(label="文件格式", choices=LabelFormat.choices)
