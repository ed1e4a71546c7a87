"""Forms of the 承诺达标合格证 pages: the issue form of one batch and the void form."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from dibiao.production.models import TestReport
from dibiao.trace.choices import CertificateBasis
from dibiao.trace.models import Batch, TraceEvent
from dibiao.trace.selectors import certificates as selectors
from dibiao.trace.services.certificates import MAX_CONTACT, MAX_REASON, contact_warning


class ShipmentChoiceField(forms.ModelChoiceField[TraceEvent]):
    def label_from_instance(self, obj: TraceEvent) -> str:
        to = obj.destination.name if obj.destination is not None else obj.destination_name
        return f"{obj.get_stage_display()} {obj.occurred_at:%Y-%m-%d}" + (f" → {to}" if to else "")


class ReportChoiceField(forms.ModelChoiceField[TestReport]):
    def label_from_instance(self, obj: TestReport) -> str:
        return f"{obj.report_number}（{obj.lab.name}，{obj.tested_on:%Y-%m-%d}，合格）"


class CertificateIssueForm(forms.Form):
    shipment = ShipmentChoiceField(
        label="出货事件",
        queryset=TraceEvent.objects.none(),
        required=False,
        empty_label="按批次开具（不指定出货）",
        help_text="按某次销售或运输开具时选择；数量不超过该次出货的数量。",
    )
    quantity = forms.DecimalField(
        label="产品数量",
        max_digits=14,
        decimal_places=3,
        min_value=Decimal("0.001"),
        help_text="不超过该批次尚未开具合格证的数量。",
    )
    basis = forms.ChoiceField(
        label="承诺依据", choices=CertificateBasis.choices, widget=forms.RadioSelect
    )
    test_report = ReportChoiceField(
        label="检测报告",
        queryset=TestReport.objects.none(),
        required=False,
        empty_label="（不关联）",
        help_text="以自行检测或委托检测为依据时必选：该批次或本主体同一产品的合格报告。",
    )
    contact = forms.CharField(
        label="联系方式",
        max_length=MAX_CONTACT,
        help_text="印在合格证上并公开展示，请填写单位电话或经营专用号码。",
    )
    confirm_public_contact = forms.BooleanField(
        label="我确认该联系方式可以公开印在合格证上", required=False
    )

    def __init__(self, *args: Any, batch: Batch, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.batch = batch
        self.fields["shipment"].queryset = selectors.certificate_shipment_choices(  # type: ignore[attr-defined]
            batch=batch
        ).select_related("destination")
        self.fields["test_report"].queryset = selectors.certificate_report_choices(batch=batch)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        contact = data.get("contact") or ""
        warning = contact_warning(contact)
        if warning and not data.get("confirm_public_contact"):
            self.add_error("contact", f"{warning}如确认可以公开，请勾选下方的确认框。")
        if data.get("basis") in {
            CertificateBasis.SELF_TESTED,
            CertificateBasis.COMMISSIONED_TEST,
        } and not data.get("test_report"):
            self.add_error("test_report", "以自行检测或委托检测为依据时，请选择合格的检测报告。")
        return data


class CertificateVoidForm(forms.Form):
    reason = forms.CharField(
        label="作废原因",
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="作废后合格证保留备查，公开页面显示“已作废”。",
    )


class CertificateFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=60)
    status = forms.CharField(required=False, max_length=20)
    batch = forms.IntegerField(required=False, min_value=1, max_value=selectors.MAX_ID)

    def values(self) -> tuple[str, str, int | None]:
        if not self.is_valid():
            return "", "", None
        return (
            self.cleaned_data["q"].strip(),
            self.cleaned_data["status"],
            self.cleaned_data["batch"],
        )
