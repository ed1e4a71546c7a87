"""Page forms. They parse; the services decide (and say why in Chinese)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.db.models import QuerySet

from dibiao.accounts.models import User
from dibiao.applications.models import Application, ApplicationTarget, ReviewCriterion
from dibiao.applications.scoring import CriterionSpec
from dibiao.applications.services import BudgetLineInput, ScoreInput
from dibiao.projects.choices import ImplementationArea
from dibiao.projects.models import ProgramTarget
from dibiao.registry.models import GIProduct


def amount_field(label: str, **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, max_digits=14, decimal_places=2, min_value=Decimal(0), **kwargs
    )


class ApplicationForm(forms.Form):
    product = forms.ModelChoiceField(label="申报产品", queryset=GIProduct.objects.none())
    plan = forms.CharField(
        label="实施方案",
        widget=forms.Textarea(attrs={"rows": 8}),
        required=False,
        help_text="建设内容、实施地点、进度安排、预期成效。提交前须填写。",
    )
    requested_amount = amount_field("申请补助资金（元）", help_text="须等于下方预算明细合计。")

    def __init__(
        self, *args: Any, products: QuerySet[GIProduct] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if products is None:  # editing: the product is fixed once the application exists
            del self.fields["product"]
        else:
            cast(forms.ModelChoiceField, self.fields["product"]).queryset = products


class BudgetLineForm(forms.Form):
    area = forms.ChoiceField(
        label="实施内容", choices=[("", "—"), *ImplementationArea.choices], required=False
    )
    description = forms.CharField(label="建设内容", max_length=300, required=False)
    amount = amount_field("金额（元）", required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        given = [data.get("area"), data.get("description"), data.get("amount")]
        if any(v not in (None, "") for v in given) and not all(v not in (None, "") for v in given):
            raise forms.ValidationError("请完整填写实施内容、建设内容和金额，或清空整行。")
        return data

    def line(self) -> BudgetLineInput | None:
        data = self.cleaned_data
        if not data.get("description"):
            return None
        return BudgetLineInput(data["area"], data["description"], data["amount"])


BudgetLineFormSet = forms.formset_factory(BudgetLineForm, extra=3, max_num=50)


def budget_lines_from(formset: Any) -> list[BudgetLineInput]:
    return [line for form in formset.forms if (line := form.line()) is not None]


def _plain(value: Decimal) -> str:
    """500.00 → "500", 10.50 → "10.5" (never the "5E+2" that normalize() gives)."""
    return f"{value.normalize():f}"


class TargetsForm(forms.Form):
    """One field per program target; the county may raise a value, never lower it."""

    def __init__(
        self,
        *args: Any,
        templates: list[ProgramTarget],
        current: list[ApplicationTarget] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        values = {t.code: t.value for t in current or []}
        for template in templates:
            minimum = template.value.normalize()
            self.fields[template.code] = forms.DecimalField(
                label=f"{template.name}（{template.unit}，{template.get_period_display()}）",
                max_digits=10,
                decimal_places=2,
                min_value=template.value,
                initial=_plain(values.get(template.code, template.value)),
                help_text=f"工程要求不低于 {minimum:f}{template.unit}",
                error_messages={"min_value": f"不能低于工程要求的 {minimum:f}{template.unit}。"},
            )


class StepForm(forms.Form):
    comment = forms.CharField(
        label="意见", required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        label="确定结果",
        choices=[("selected", "入选"), ("not_selected", "未入选")],
        widget=forms.RadioSelect,
    )
    amount = amount_field(
        "补助资金（元）", required=False, help_text="入选时填写，不超过申请金额。"
    )
    comment = forms.CharField(
        label="意见", required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class SchemeForm(forms.Form):
    name = forms.CharField(label="方案名称", max_length=100)
    trimmed = forms.BooleanField(
        label="去掉一个最高分和一个最低分（有效评分不少于 5 份时）", required=False
    )


class CriterionForm(forms.Form):
    name = forms.CharField(label="评审内容", max_length=100, required=False)
    weight = forms.DecimalField(label="权重", max_digits=5, decimal_places=2, required=False)
    max_points = forms.DecimalField(label="满分", max_digits=6, decimal_places=2, required=False)

    def spec(self) -> CriterionSpec | None:
        data = self.cleaned_data
        if not data.get("name"):
            return None
        return CriterionSpec(
            data["name"], data.get("weight") or Decimal(0), data.get("max_points") or Decimal(0)
        )


CriterionFormSet = forms.formset_factory(CriterionForm, extra=2, max_num=20)


class ReviewOpenForm(forms.Form):
    applications = forms.ModelMultipleChoiceField(
        label="申报", queryset=Application.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    experts = forms.ModelMultipleChoiceField(
        label="评审专家", queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(
        self,
        *args: Any,
        applications: QuerySet[Application],
        experts: QuerySet[User],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelMultipleChoiceField, self.fields["applications"]).queryset = applications
        cast(forms.ModelMultipleChoiceField, self.fields["experts"]).queryset = experts


class ScoreForm(forms.Form):
    """Points and an optional note per criterion, and the overall opinion."""

    def __init__(self, *args: Any, criteria: list[ReviewCriterion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for criterion in criteria:
            top = criterion.max_points.normalize()
            self.fields[f"points_{criterion.pk}"] = forms.DecimalField(
                label=f"{criterion.name}（满分 {top:f}，权重 {criterion.weight.normalize():f}）",
                max_digits=6,
                decimal_places=2,
                min_value=Decimal(0),
                max_value=criterion.max_points,
            )
            self.fields[f"comment_{criterion.pk}"] = forms.CharField(
                label="说明", max_length=500, required=False
            )
        self.fields["opinion"] = forms.CharField(
            label="总体评审意见", required=False, widget=forms.Textarea(attrs={"rows": 3})
        )

    def rows(self) -> list[tuple[ReviewCriterion, Any, Any]]:
        return [(c, self[f"points_{c.pk}"], self[f"comment_{c.pk}"]) for c in self.criteria]

    def scores(self) -> list[ScoreInput]:
        data = self.cleaned_data
        return [
            ScoreInput(c.pk, data[f"points_{c.pk}"], data.get(f"comment_{c.pk}", ""))
            for c in self.criteria
        ]


class RecuseForm(forms.Form):
    reason = forms.CharField(label="回避原因", max_length=300)
