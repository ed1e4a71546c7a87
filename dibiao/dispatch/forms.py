"""Forms of the dispatch pages. Choices offered are the user's scope; the services check again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from dibiao.core.models import Division
from dibiao.dispatch.models import DispatchReport, InspectionVisit
from dibiao.dispatch.selectors.table import division_label
from dibiao.dispatch.services import ProgressInput
from dibiao.projects.models import ProgramTarget

_TEXT = {"rows": 4}


def _plain(value: Decimal | None) -> str:
    """260.00 as 260, 12.50 as 12.5: how a person writes the value they entered."""
    if value is None:
        return ""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class ReportForm(forms.Form):
    """The report's text, and one progress field and one value field per program target."""

    summary = forms.CharField(
        label="工作进展（小结）",
        required=False,
        widget=forms.Textarea(attrs=_TEXT),
        help_text="月报可只填写各项任务进展；季度小结和年度总结须填写。",
    )
    problems = forms.CharField(
        label="存在问题", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    next_steps = forms.CharField(
        label="下步打算", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(
        self,
        data: Any = None,
        *,
        targets: Iterable[ProgramTarget],
        report: DispatchReport | None = None,
    ) -> None:
        initial: dict[str, Any] = {}
        if report is not None:
            initial = {
                "summary": report.summary,
                "problems": report.problems,
                "next_steps": report.next_steps,
            }
            for line in report.lines.all():
                initial[f"progress_{line.target_id}"] = line.progress
                initial[f"achieved_{line.target_id}"] = _plain(line.achieved)
        super().__init__(data, initial=initial)
        self.targets = list(targets)
        for target in self.targets:
            self.fields[f"progress_{target.pk}"] = forms.CharField(
                label=f"{target.name}进展",
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2, "aria-label": f"{target.name}进展"}),
            )
            self.fields[f"achieved_{target.pk}"] = forms.DecimalField(
                label=f"累计完成（{target.unit}）",
                required=False,
                min_value=Decimal(0),
                max_digits=12,
                decimal_places=2,
                widget=forms.NumberInput(attrs={"aria-label": f"{target.name}累计完成"}),
            )

    def text_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("summary", "problems", "next_steps")]

    def target_rows(self) -> list[tuple[ProgramTarget, forms.BoundField, forms.BoundField]]:
        return [(t, self[f"progress_{t.pk}"], self[f"achieved_{t.pk}"]) for t in self.targets]

    def data_fields(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in ("summary", "problems", "next_steps")}

    def lines(self) -> list[ProgressInput]:
        return [
            ProgressInput(
                target_id=t.pk,
                progress=self.cleaned_data[f"progress_{t.pk}"],
                achieved=self.cleaned_data[f"achieved_{t.pk}"],
            )
            for t in self.targets
        ]


class ReasonForm(forms.Form):
    reason = forms.CharField(label="退回原因", max_length=500)


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")  # the only format <input type=date> takes


class DivisionChoiceField(forms.ModelChoiceField[Division]):
    def label_from_instance(self, obj: Division) -> str:
        return division_label(obj)


class InspectionChoiceField(forms.ModelChoiceField[InspectionVisit]):
    def label_from_instance(self, obj: InspectionVisit) -> str:
        return f"{obj.visited_on:%Y-%m-%d} {division_label(obj.division)}（{obj.inspectors}）"


class InspectionForm(forms.Form):
    division = DivisionChoiceField(label="被检查地区", queryset=Division.objects.none())
    visited_on = forms.DateField(label="检查日期", widget=_DateInput)
    inspectors = forms.CharField(label="检查人员", max_length=300)
    findings = forms.CharField(label="发现的问题", widget=forms.Textarea(attrs=_TEXT))
    recommendations = forms.CharField(
        label="整改建议", required=False, widget=forms.Textarea(attrs=_TEXT)
    )

    def __init__(self, data: Any = None, *, divisions: QuerySet[Division]) -> None:
        super().__init__(data, initial={"visited_on": timezone.localdate()})
        cast(DivisionChoiceField, self.fields["division"]).queryset = divisions


class NoticeForm(forms.Form):
    division = DivisionChoiceField(label="被通报地区", queryset=Division.objects.none())
    inspection = InspectionChoiceField(
        label="依据的督导检查", queryset=InspectionVisit.objects.none(), required=False
    )
    title = forms.CharField(label="标题", max_length=200)
    issues = forms.CharField(label="通报的问题", widget=forms.Textarea(attrs=_TEXT))
    issued_on = forms.DateField(label="通报日期", widget=_DateInput)
    rectify_by = forms.DateField(label="整改期限", widget=_DateInput)

    def __init__(
        self,
        data: Any = None,
        *,
        divisions: QuerySet[Division],
        inspections: QuerySet[InspectionVisit],
    ) -> None:
        today = timezone.localdate()
        super().__init__(
            data, initial={"issued_on": today, "rectify_by": today + dt.timedelta(days=30)}
        )
        cast(DivisionChoiceField, self.fields["division"]).queryset = divisions
        cast(InspectionChoiceField, self.fields["inspection"]).queryset = inspections


class RectifyForm(forms.Form):
    report = forms.CharField(label="整改情况报告", widget=forms.Textarea(attrs=_TEXT))


class NoticeCloseForm(forms.Form):
    note = forms.CharField(label="验收意见", max_length=500, required=False)


class NoticeReturnForm(forms.Form):
    reason = forms.CharField(label="退回原因", max_length=500)
    rectify_by = forms.DateField(
        label="新的整改期限", required=False, widget=_DateInput, help_text="不填则沿用原期限。"
    )
