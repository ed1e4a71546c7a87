from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone

from dibiao.evaluation.choices import ItemMethod, ScoringRule
from dibiao.evaluation.indicators import CATALOGUE
from dibiao.evaluation.rules import FUNDS_DEFAULTS
from dibiao.evaluation.services import ItemInput


class DateInput(forms.DateInput):
    input_type = "date"


def parse_as_of(raw: str | None, program_year: int) -> dt.date:
    """The cut-off date of a page (`?as_of=`): a valid date from the program's year to today,
    else today."""
    today = timezone.localdate()
    try:
        day = dt.date.fromisoformat((raw or "").strip())
    except ValueError:
        return today
    return day if dt.date(program_year, 1, 1) <= day <= today else today


class SchemeForm(forms.Form):
    name = forms.CharField(label="方案名称", max_length=100)
    notes = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ItemForm(forms.Form):
    name = forms.CharField(label="考评内容", max_length=100, required=False)
    points = forms.DecimalField(
        label="分值", max_digits=5, decimal_places=2, min_value=Decimal("0.01"), required=False
    )
    method = forms.ChoiceField(label="评分方式", choices=ItemMethod.choices, required=False)
    rule = forms.ChoiceField(
        label="计分规则", choices=[("", "—（评价人评分）"), *ScoringRule.choices], required=False
    )
    indicators = forms.MultipleChoiceField(
        label="指标",
        choices=[(i.code, i.name) for i in CATALOGUE],
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    guidance = forms.CharField(
        label="评分标准", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def to_input(self) -> ItemInput | None:
        """None for a blank row (the formset's spare rows)."""
        data: dict[str, Any] = self.cleaned_data
        if not data.get("name"):
            return None
        rule = data.get("rule") or ""
        return ItemInput(
            name=data["name"],
            points=data.get("points") or Decimal(0),
            method=data.get("method") or ItemMethod.MANUAL,
            rule=rule,
            indicators=tuple(data.get("indicators") or ()),
            params=dict(FUNDS_DEFAULTS) if rule == ScoringRule.FUNDS else {},
            guidance=data.get("guidance") or "",
        )


ItemFormSet = forms.formset_factory(ItemForm, extra=3, max_num=30)


class RoundForm(forms.Form):
    name = forms.CharField(label="考评名称", max_length=200)
    as_of = forms.DateField(
        label="指标取数截止日期",
        widget=DateInput(),
        help_text="各项指标按截至该日的记录计算；公布后不再变化。",
    )


class ScoreForm(forms.Form):
    points = forms.DecimalField(label="得分", max_digits=6, decimal_places=2, min_value=0)
    comment = forms.CharField(label="评分理由", widget=forms.Textarea(attrs={"rows": 2}))


class AppealForm(forms.Form):
    reason = forms.CharField(label="申诉理由", widget=forms.Textarea(attrs={"rows": 3}))


class DecisionForm(forms.Form):
    accept = forms.TypedChoiceField(
        label="处理结果",
        choices=[("1", "采纳（调整得分）"), ("0", "驳回")],
        coerce=lambda v: v == "1",
    )
    points = forms.DecimalField(
        label="调整后得分", max_digits=6, decimal_places=2, min_value=0, required=False
    )
    decision = forms.CharField(label="处理意见", widget=forms.Textarea(attrs={"rows": 2}))
