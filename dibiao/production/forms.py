"""Forms of the production log, training and restriction-list pages. They parse; the services
decide. (Test reports and grading have their own forms in report_forms.py.)"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from dibiao.core.models import Division
from dibiao.producers.models import Producer, ProductionBase
from dibiao.production.choices import InputCategory, LogKind, LogStatus, RestrictionKind
from dibiao.production.selectors import MAX_ID
from dibiao.production.services.logs import INPUT_FIELDS, log_missing_fields
from dibiao.registry.models import GIProduct


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def _set_queryset(form: forms.Form, name: str, queryset: QuerySet[Any]) -> None:
    cast(forms.ModelChoiceField, form.fields[name]).queryset = queryset


def _blank_choice(choices: list[tuple[str, str]], label: str = "请选择") -> list[tuple[str, str]]:
    return [("", label), *choices]


class BaseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name}（{obj.producer.name} · {obj.product.name}）"


# --- Production logs -------------------------------------------------------------------------


class LogForm(forms.Form):
    base = BaseChoiceField(
        label="基地",
        queryset=ProductionBase.objects.none(),
        empty_label="请选择基地",
        error_messages={"required": "请选择基地。", "invalid_choice": "请选择您的基地。"},
    )
    kind = forms.ChoiceField(
        label="日志类型",
        choices=_blank_choice(LogKind.choices),
        error_messages={"required": "请选择日志类型。"},
    )
    occurred_at = forms.DateTimeField(
        label="时间",
        widget=DateTimeInput(),
        error_messages={"required": "请填写时间。", "invalid": "请填写有效的日期和时间。"},
    )
    status = forms.ChoiceField(label="状态", choices=LogStatus.choices, initial=LogStatus.DONE)
    product = forms.ModelChoiceField(
        label="产品",
        queryset=GIProduct.objects.none(),
        required=False,
        empty_label="基地的产品",
        help_text="默认为基地的产品。",
    )
    title = forms.CharField(
        label="事项", max_length=100, required=False, help_text="留空时按日志类型自动填写。"
    )
    operator = forms.CharField(
        label="操作人", max_length=50, error_messages={"required": "请填写操作人。"}
    )
    quantity = forms.DecimalField(
        label="数量",
        max_digits=14,
        decimal_places=3,
        min_value=Decimal(0),
        required=False,
        widget=forms.NumberInput(attrs={"step": "any", "min": "0", "inputmode": "decimal"}),
    )
    unit = forms.CharField(label="单位", max_length=20, required=False)
    input_category = forms.ChoiceField(
        label="投入品类别", choices=_blank_choice(InputCategory.choices), required=False
    )
    input_name = forms.CharField(label="投入品名称", max_length=100, required=False)
    registration_number = forms.CharField(
        label="登记证号",
        max_length=50,
        required=False,
        help_text="农药登记证号如 PD20080001；兽药填批准文号。",
    )
    active_ingredient = forms.CharField(
        label="有效成分", max_length=200, required=False, help_text="多种成分用“+”分隔。"
    )
    dose = forms.CharField(
        label="用量", max_length=50, required=False, help_text="如“30 毫升/亩”。"
    )
    applied_area_mu = forms.DecimalField(
        label="施用面积（亩）",
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
    )
    safety_interval_days = forms.IntegerField(
        label="安全间隔期（天）",
        min_value=0,
        max_value=365,
        required=False,
        help_text="按标签填写；兽药填休药期。",
        widget=forms.NumberInput(attrs={"min": "0", "max": "365", "inputmode": "numeric"}),
    )
    notes = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(
        self,
        *args: Any,
        bases: QuerySet[ProductionBase],
        products: QuerySet[GIProduct] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self, "base", bases)
        if products is None:
            del self.fields["product"]
        else:
            _set_queryset(self, "product", products)
        if not self.is_bound and "occurred_at" not in self.initial:
            self.initial["occurred_at"] = timezone.localtime().replace(second=0, microsecond=0)
        # The input fields are shown only for an input log (plain JS on the page).
        for name in INPUT_FIELDS:
            self.fields[name].widget.attrs["data-input-field"] = "1"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name, message in log_missing_fields(data).items():
            if name not in self.errors:
                self.add_error(name, message)
        return data

    def log_data(self) -> dict[str, Any]:
        """The cleaned values as the services take them (without the base)."""
        data = {k: v for k, v in self.cleaned_data.items() if k != "base"}
        return data

    def input_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in INPUT_FIELDS]

    def common_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in INPUT_FIELDS]


class LogFilterForm(forms.Form):
    base = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    product = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    kind = forms.ChoiceField(required=False, choices=_blank_choice(LogKind.choices, "全部"))
    status = forms.ChoiceField(required=False, choices=_blank_choice(LogStatus.choices, "全部"))
    date_from = forms.DateField(required=False, widget=DateInput())
    date_to = forms.DateField(required=False, widget=DateInput())
    q = forms.CharField(required=False, max_length=100)


class LogCompleteForm(forms.Form):
    occurred_at = forms.DateTimeField(
        label="实际完成时间",
        required=False,
        widget=DateTimeInput(),
        help_text="留空时沿用计划时间（计划时间尚未到时记为现在）。",
    )


# --- Restriction lists -----------------------------------------------------------------------


class SubstanceSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=100)
    kind = forms.ChoiceField(required=False, choices=_blank_choice(RestrictionKind.choices, "全部"))
    restriction_list = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)


# --- Training --------------------------------------------------------------------------------


class TrainingForm(forms.Form):
    product = forms.ModelChoiceField(
        label="产品", queryset=GIProduct.objects.none(), empty_label="请选择产品"
    )
    division = forms.ModelChoiceField(
        label="举办地（县）", queryset=Division.objects.none(), empty_label="请选择县"
    )
    held_on = forms.DateField(label="培训日期", widget=DateInput())
    place = forms.CharField(label="培训地点", max_length=200)
    topic = forms.CharField(label="培训主题", max_length=200)
    trainer = forms.CharField(label="授课人", max_length=100)
    attendee_count = forms.IntegerField(
        label="参训人数",
        min_value=1,
        max_value=100000,
        help_text="登记了参训人员名单时，不得少于名单人数。",
    )
    notes = forms.CharField(
        label="内容摘要", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(
        self,
        *args: Any,
        products: QuerySet[GIProduct],
        divisions: QuerySet[Division],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self, "product", products)
        _set_queryset(self, "division", divisions)
        if len(divisions) == 1 and not self.is_bound:
            self.fields["division"].initial = divisions[0].pk


class AttendeeForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=50)
    phone = forms.CharField(
        label="电话",
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
    producer = forms.ModelChoiceField(
        label="所属主体", queryset=Producer.objects.none(), required=False, empty_label="—"
    )

    def __init__(self, *args: Any, producers: QuerySet[Producer], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self, "producer", producers)

    def clean_phone(self) -> str:
        from dibiao.production.services.training import normalise_attendee_phone

        value: str = self.cleaned_data.get("phone", "")
        try:
            normalise_attendee_phone(value)
        except ValueError:
            raise forms.ValidationError("请填写 11 位手机号或带区号的固定电话。") from None
        return value


AttendeeFormSet = forms.formset_factory(AttendeeForm, extra=3, max_num=200, validate_max=True)


class AttendeeImportForm(forms.Form):
    file = forms.FileField(
        label="参训人员名单（Excel）",
        help_text="第一行为表头：姓名、电话；导入后替换现有名单。",
    )
