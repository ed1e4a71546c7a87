"""Forms of the test report and grading pages. They parse; the services decide (and re-check
everything a form checks)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.db.models import Q
from django.utils import timezone

from dibiao.accounts.models import Organization, User
from dibiao.producers.models import Producer, ProductionBase
from dibiao.production import selectors
from dibiao.production.choices import TestItemCategory, TestKind, TestResult
from dibiao.production.models import GradeStandard, TestReport
from dibiao.registry.choices import ProductStatus
from dibiao.registry.models import GIProduct

# How many producers the producer list shows at once; the search box finds the others.
PRODUCER_OPTIONS = 50


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def _number(label: str, *, required: bool = False) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=14,
        decimal_places=4,
        required=required,
        widget=forms.NumberInput(attrs={"step": "any", "style": "width:7rem"}),
    )


def _model_field(form: forms.Form, name: str) -> forms.ModelChoiceField[Any]:
    return cast(forms.ModelChoiceField[Any], form.fields[name])


def _int(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and int(text) <= selectors.MAX_ID else None


def producer_label(producer: Producer) -> str:
    return f"{producer.name}（{producer.division.name}）"


# --- Reports ---------------------------------------------------------------------------------


class ProducerChoiceField(forms.ModelChoiceField[Producer]):
    def label_from_instance(self, obj: Producer) -> str:
        return producer_label(obj)


class ReportForm(forms.Form):
    lab = forms.ModelChoiceField(label="检测机构", queryset=Organization.objects.none())
    kind = forms.ChoiceField(label="报告类型", choices=TestKind.choices)
    report_number = forms.CharField(label="报告编号", max_length=60)
    product = forms.ModelChoiceField(label="产品", queryset=GIProduct.objects.none())
    producer = ProducerChoiceField(
        label="受检主体",
        queryset=Producer.objects.none(),
        help_text="可在上方搜索框中按名称或统一社会信用代码查找本省的生产经营主体。",
    )
    base = forms.ModelChoiceField(
        label="基地",
        queryset=ProductionBase.objects.none(),
        required=False,
        empty_label="（不指定基地）",
        help_text="须为该主体该产品的基地；先选择产品和受检主体。",
    )
    sample_code = forms.CharField(label="样品编号", max_length=60)
    batch_code = forms.CharField(
        label="批次号", max_length=60, required=False, help_text="已知时填写"
    )
    sampled_on = forms.DateField(label="抽样日期", widget=DateInput())
    tested_on = forms.DateField(label="检测日期", widget=DateInput())
    file = forms.FileField(
        label="报告文件（PDF）",
        required=False,
        help_text="仅限 PDF，按文件内容识别。更正时不选择文件则保留原文件。",
        widget=forms.FileInput(attrs={"accept": "application/pdf,.pdf"}),
    )
    notes = forms.CharField(
        label="备注", required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 60})
    )

    def __init__(self, *args: Any, user: User, report: TestReport | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.user = user
        if report is not None:
            del self.fields["lab"]  # a report stays with the lab that made it
        else:
            labs = selectors.report_lab_choices(user=user)
            _model_field(self, "lab").queryset = labs
            if len(labs) == 1:
                self.fields["lab"].initial = labs[0].pk
        current_product = report.product_id if report else None
        _model_field(self, "product").queryset = selectors.sample_product_choices(user=user).filter(
            Q(status=ProductStatus.REGISTERED) | Q(pk=current_product)
        )
        producers = selectors.sample_producer_choices(user=user)
        producer_field = _model_field(self, "producer")
        producer_field.queryset = producers
        chosen_producer = self._chosen("producer", report.producer_id if report else None)
        chosen_product = self._chosen("product", current_product)
        # Only a page of producers is listed (a province has thousands); the chosen one is
        # always among them, and the queryset still validates any producer of the choices.
        shown = list(producers[:PRODUCER_OPTIONS])
        if chosen_producer is not None and all(p.pk != chosen_producer for p in shown):
            shown = list(producers.filter(pk=chosen_producer)) + shown
        producer_field.widget.choices = [("", "---------")] + [
            (p.pk, producer_label(p)) for p in shown
        ]
        _model_field(self, "base").queryset = selectors.sample_base_choices(
            user=user, producer_id=chosen_producer, product_id=chosen_product
        )

    def _chosen(self, name: str, default: int | None) -> int | None:
        if self.is_bound:
            return _int(self.data.get(name))
        initial = self.initial.get(name, default)
        return initial.pk if hasattr(initial, "pk") else _int(initial)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        sampled, tested = data.get("sampled_on"), data.get("tested_on")
        if sampled and tested and tested < sampled:
            self.add_error("tested_on", "检测日期不能早于抽样日期。")
        if tested and tested > timezone.localdate():
            self.add_error("tested_on", "检测日期不能晚于今天。")
        return data


class ItemForm(forms.Form):
    name = forms.CharField(label="检测项目", max_length=100, required=False)
    category = forms.ChoiceField(
        label="指标类别", choices=TestItemCategory.choices, initial=TestItemCategory.SAFETY
    )
    value = _number("检测值")
    unit = forms.CharField(
        label="单位", max_length=20, required=False, widget=forms.TextInput(attrs={"size": 8})
    )
    limit_min = _number("限量下限")
    limit_max = _number("限量上限")
    method = forms.CharField(label="检测方法", max_length=100, required=False)

    FILLED = ("name", "value", "unit", "limit_min", "limit_max", "method")

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not any(data.get(name) not in (None, "") for name in self.FILLED)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.is_blank():
            return data
        if not (data.get("name") or "").strip():
            self.add_error("name", "请填写检测项目。")
        if data.get("value") is None and "value" not in self.errors:
            self.add_error("value", "请填写检测值。")
        low, high = data.get("limit_min"), data.get("limit_max")
        if low is not None and high is not None and low > high:
            self.add_error("limit_max", "上限不能小于下限。")
        return data


class BaseItemFormSet(forms.BaseFormSet[Any]):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        if not items_of(self):
            raise forms.ValidationError("请至少填写一个检测项目。")


ItemFormSet = forms.formset_factory(
    ItemForm, formset=BaseItemFormSet, extra=3, max_num=200, validate_max=True
)


def items_of(formset: Any) -> list[dict[str, Any]]:
    """The filled rows of an item formset, as the service takes them."""
    return [
        {key: form.cleaned_data.get(key) for key in ("category", *ItemForm.FILLED)}
        for form in formset.forms
        if hasattr(form, "cleaned_data") and not form.is_blank()
    ]


def item_initial(report: TestReport) -> list[dict[str, Any]]:
    return [
        {
            "name": i.name,
            "category": i.category,
            "value": i.value,
            "unit": i.unit,
            "limit_min": i.limit_min,
            "limit_max": i.limit_max,
            "method": i.method,
        }
        for i in report.items.all()
    ]


class ReportFilterForm(forms.Form):
    """The list's filters (GET). An invalid value is dropped, never an error page."""

    q = forms.CharField(required=False, max_length=60)
    product = forms.IntegerField(required=False, min_value=1, max_value=selectors.MAX_ID)
    producer = forms.IntegerField(required=False, min_value=1, max_value=selectors.MAX_ID)
    result = forms.ChoiceField(required=False, choices=[("", "全部"), *TestResult.choices])
    kind = forms.ChoiceField(required=False, choices=[("", "全部"), *TestKind.choices])
    grade = forms.CharField(required=False, max_length=20)
    date_from = forms.DateField(required=False, widget=DateInput())
    date_to = forms.DateField(required=False, widget=DateInput())

    def filters(self) -> selectors.ReportFilters:
        self.is_valid()
        data = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        return selectors.ReportFilters(**data)


# --- Grading schemes ----------------------------------------------------------------------------


class CriterionRowForm(forms.Form):
    """One criterion of one grade: a scheme is edited as a table of such rows."""

    grade_name = forms.CharField(
        label="等级", max_length=20, required=False, widget=forms.TextInput(attrs={"size": 6})
    )
    rank = forms.IntegerField(
        label="排序",
        min_value=1,
        max_value=999,
        required=False,
        widget=forms.NumberInput(attrs={"style": "width:4.5rem"}),
    )
    item_name = forms.CharField(label="指标", max_length=100, required=False)
    unit = forms.CharField(
        label="单位", max_length=20, required=False, widget=forms.TextInput(attrs={"size": 8})
    )
    min_value = _number("下限")
    max_value = _number("上限")

    FILLED = ("grade_name", "rank", "item_name", "unit", "min_value", "max_value")

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not any(data.get(name) not in (None, "") for name in self.FILLED)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.is_blank():
            return data
        for name, message in (
            ("grade_name", "请填写等级。"),
            ("rank", "请填写排序（1 为最高等级）。"),
            ("item_name", "请填写指标。"),
        ):
            if data.get(name) in (None, "") and name not in self.errors:
                self.add_error(name, message)
        low, high = data.get("min_value"), data.get("max_value")
        if low is None and high is None and not self.errors:
            self.add_error("min_value", "下限和上限至少填写一项。")
        if low is not None and high is not None and low > high:
            self.add_error("max_value", "上限不能小于下限。")
        return data


class BaseCriterionFormSet(forms.BaseFormSet[Any]):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        ranks: dict[str, int] = {}
        for form in self.forms:
            if form.is_blank():
                continue
            name = " ".join(form.cleaned_data["grade_name"].split())
            rank = form.cleaned_data["rank"]
            if ranks.setdefault(name, rank) != rank:
                raise forms.ValidationError(f"等级“{name}”的各行排序不一致。")


CriterionFormSet = forms.formset_factory(
    CriterionRowForm, formset=BaseCriterionFormSet, extra=3, max_num=500, validate_max=True
)


def scheme_of_rows(formset: Any) -> list[dict[str, Any]]:
    """Group the filled rows into grades, as `grading_scheme_replace` takes them."""
    grades: dict[str, dict[str, Any]] = {}
    for form in formset.forms:
        if not hasattr(form, "cleaned_data") or form.is_blank():
            continue
        row = form.cleaned_data
        name = " ".join(row["grade_name"].split())
        grade = grades.setdefault(name, {"name": name, "rank": row["rank"], "criteria": []})
        grade["criteria"].append(
            {
                "item_name": row["item_name"],
                "unit": row.get("unit") or "",
                "min_value": row.get("min_value"),
                "max_value": row.get("max_value"),
            }
        )
    return list(grades.values())


def criterion_initial(scheme: Iterable[GradeStandard]) -> list[dict[str, Any]]:
    return [
        {
            "grade_name": grade.name,
            "rank": grade.rank,
            "item_name": c.item_name,
            "unit": c.unit,
            "min_value": c.min_value,
            "max_value": c.max_value,
        }
        for grade in scheme
        for c in grade.criteria.all()
    ]
