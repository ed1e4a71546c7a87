"""Forms of the batch and trace-event pages. They parse; the services decide (and re-check
everything a form checks)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils import timezone

from dibiao.accounts.models import User
from dibiao.producers.models import Producer
from dibiao.production.models import ProductionLog, TestReport
from dibiao.trace.choices import BatchStatus, TraceStage
from dibiao.trace.models import Batch
from dibiao.trace.selectors import batches as selectors
from dibiao.trace.services.events import InputLine, OutputLine

# How many directory entries the destination list shows at once; the search box finds others.
DESTINATION_OPTIONS = 50


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def _quantity(label: str, *, required: bool = True) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=14,
        decimal_places=3,
        min_value=Decimal("0.001"),
        required=required,
        widget=forms.NumberInput(attrs={"step": "any", "style": "width:8rem"}),
    )


def _model_field(form: forms.Form, name: str) -> forms.ModelChoiceField[Any]:
    return cast(forms.ModelChoiceField[Any], form.fields[name])


def _id(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and 0 < int(text) <= selectors.MAX_ID else None


# --- Filters -------------------------------------------------------------------------------------


class BatchFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=60)
    product = forms.IntegerField(required=False, min_value=1, max_value=selectors.MAX_ID)
    status = forms.ChoiceField(required=False, choices=[("", "全部"), *BatchStatus.choices])
    producer = forms.IntegerField(required=False, min_value=1, max_value=selectors.MAX_ID)
    date_from = forms.DateField(required=False)
    date_to = forms.DateField(required=False)

    def filters(self) -> selectors.BatchFilters:
        """The valid filters; an invalid one is ignored (the page still lists)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return selectors.BatchFilters(
            q=data.get("q") or "",
            product=data.get("product"),
            status=data.get("status") or "",
            producer=data.get("producer"),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


class EventFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=60)
    stage = forms.ChoiceField(required=False, choices=[("", "全部"), *TraceStage.choices])
    batch = forms.IntegerField(required=False, min_value=1, max_value=selectors.MAX_ID)
    date_from = forms.DateField(required=False)
    date_to = forms.DateField(required=False)

    def filters(self) -> selectors.EventFilters:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return selectors.EventFilters(
            q=data.get("q") or "",
            stage=data.get("stage") or "",
            batch=data.get("batch"),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


# --- Batches -------------------------------------------------------------------------------------


class BoundedMultipleChoiceField(forms.ModelMultipleChoiceField[Any]):
    """A multiple choice of rows by id that refuses an id beyond a database integer before it
    reaches a query (an `__in` lookup with one would be a 500, not a form error)."""

    def clean(self, value: Any) -> Any:
        for pk in value if isinstance(value, list | tuple) else [value]:
            text = str(pk).strip()
            if text.isascii() and text.isdigit() and int(text) > selectors.MAX_ID:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": text[:20]},
                )
        return super().clean(value)


class HarvestLogField(BoundedMultipleChoiceField):
    def label_from_instance(self, obj: ProductionLog) -> str:
        amount = f"{obj.quantity.normalize():f} {obj.unit}" if obj.quantity is not None else ""
        return (
            f"{obj.day:%Y-%m-%d} · {obj.base.producer.name} · {obj.product.name} · "
            f"{obj.base.name} · {amount}"
        )


class BatchCreateForm(forms.Form):
    harvest_logs = HarvestLogField(
        label="采收记录",
        queryset=ProductionLog.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="选择同一主体、同一产品、同一单位的已完成采收记录；每条记录只能组入一个批次。",
    )
    quantity = _quantity("批次数量", required=False)
    gtin = forms.CharField(
        label="GTIN（商品条码）",
        max_length=20,
        required=False,
        help_text="8、12、13 或 14 位数字，系统校验校验位；没有可留空。",
    )
    notes = forms.CharField(
        label="备注", required=False, widget=forms.Textarea(attrs={"rows": 2, "cols": 60})
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _model_field(self, "harvest_logs").queryset = selectors.harvest_log_choices(user=user)
        self.fields[
            "quantity"
        ].help_text = "留空则为所选采收记录的数量合计；可以少于合计，不能多于。"


class BatchEditForm(forms.Form):
    gtin = forms.CharField(label="GTIN（商品条码）", max_length=20, required=False)
    notes = forms.CharField(
        label="备注", required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 60})
    )


class ReportField(BoundedMultipleChoiceField):
    def label_from_instance(self, obj: TestReport) -> str:
        grade = f" · {obj.grade.name}" if obj.grade else ""
        return (
            f"{obj.report_number} · 样品 {obj.sample_code} · {obj.tested_on:%Y-%m-%d} · "
            f"{obj.get_result_display()}{grade}"
        )


class BatchReportsForm(forms.Form):
    reports = ReportField(
        label="选择检测报告",
        queryset=TestReport.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    codes = forms.CharField(
        label="或按样品编号、批次号查找",
        required=False,
        max_length=500,
        help_text="多个编号用逗号或空格分隔。",
    )

    def __init__(self, *args: Any, batch: Batch, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _model_field(self, "reports").queryset = selectors.batch_report_choices(batch=batch)

    def code_list(self) -> list[str]:
        raw = self.cleaned_data.get("codes") or ""
        return [c for c in raw.replace("，", ",").replace(",", " ").split() if c]


class BatchRecallForm(forms.Form):
    reason = forms.CharField(
        label="召回原因",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text="召回会同时召回由本批次加工、分装、销售形成的全部下游批次。",
    )


# --- Events --------------------------------------------------------------------------------------


class ProducerField(forms.ModelChoiceField[Producer]):
    def label_from_instance(self, obj: Producer) -> str:
        return obj.name


class DestinationField(forms.ModelChoiceField[Producer]):
    def label_from_instance(self, obj: Producer) -> str:
        return f"{obj.name}（{obj.division.name}）"


class BatchChoiceField(forms.ModelChoiceField[Batch]):
    def label_from_instance(self, obj: Batch) -> str:
        left = getattr(obj, "remaining", obj.quantity)
        return f"{obj.number} · {obj.product.name} · {obj.producer.name} · 剩余 {left.normalize():f} {obj.unit}"


class EventForm(forms.Form):
    producer = ProducerField(label="记录主体", queryset=Producer.objects.none())
    stage = forms.ChoiceField(label="环节", choices=TraceStage.choices)
    occurred_at = forms.DateTimeField(
        label="时间",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    destination = DestinationField(
        label="去向主体（名录内）",
        queryset=Producer.objects.none(),
        required=False,
        help_text="收货方在主体名录中时选择：产出批次归其所有，其账号可查看本事件和所收批次的追溯。",
    )
    destination_name = forms.CharField(
        label="去向方名称",
        max_length=100,
        required=False,
        help_text="名录外的收货方（如超市、批发市场）。",
    )
    source_name = forms.CharField(label="来源方", max_length=100, required=False)
    place = forms.CharField(label="地点", max_length=200, required=False)
    notes = forms.CharField(
        label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2, "cols": 60})
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        producers = selectors.event_producer_choices(user=user)
        _model_field(self, "producer").queryset = producers
        if len(producers[:2]) == 1:
            self.fields["producer"].initial = producers[0].pk
        destinations = selectors.destination_choices()
        field = _model_field(self, "destination")
        field.queryset = destinations
        # Only a page of the directory is listed; the search box (htmx) fetches others and the
        # chosen one is always kept, while the queryset still validates any active entry.
        chosen = _id(self.data.get("destination")) if self.is_bound else None
        shown = list(destinations[:DESTINATION_OPTIONS])
        if chosen is not None and all(p.pk != chosen for p in shown):
            shown = list(destinations.filter(pk=chosen)) + shown
        field.widget.choices = [("", "（名录外或无）")] + [
            (p.pk, field.label_from_instance(p)) for p in shown
        ]
        if not self.is_bound:
            self.fields["occurred_at"].initial = timezone.localtime().replace(
                second=0, microsecond=0
            )

    def clean_occurred_at(self) -> dt.datetime:
        value: dt.datetime = self.cleaned_data["occurred_at"]
        return timezone.make_aware(value) if timezone.is_naive(value) else value


class InputRowForm(forms.Form):
    batch = BatchChoiceField(label="投入批次", queryset=Batch.objects.none(), required=False)
    quantity = _quantity("数量", required=False)

    def __init__(self, *args: Any, batches: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if batches is not None:
            _model_field(self, "batch").queryset = batches

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("batch") is not None and data.get("quantity") is None:
            self.add_error("quantity", "请填写投入数量。")
        if data.get("batch") is None and data.get("quantity") is not None:
            self.add_error("batch", "请选择投入批次。")
        return data


class OutputRowForm(forms.Form):
    quantity = _quantity("数量", required=False)
    unit = forms.CharField(
        label="单位",
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"style": "width:6rem", "placeholder": "同投入"}),
    )


InputFormSet = forms.formset_factory(InputRowForm, extra=3, max_num=50, validate_max=True)
OutputFormSet = forms.formset_factory(OutputRowForm, extra=3, max_num=50, validate_max=True)


def input_lines(formset: Any) -> list[InputLine]:
    return [
        InputLine(row.cleaned_data["batch"], row.cleaned_data["quantity"])
        for row in formset.forms
        if row.cleaned_data.get("batch") is not None
    ]


def output_lines(formset: Any) -> list[OutputLine]:
    return [
        OutputLine(row.cleaned_data["quantity"], row.cleaned_data.get("unit") or "")
        for row in formset.forms
        if row.cleaned_data.get("quantity") is not None
    ]
