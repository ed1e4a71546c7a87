from __future__ import annotations

from typing import Any, cast

from django import forms

from dibiao.registry.choices import DocumentKind, ProductStatus
from dibiao.registry.models import GIProduct


class ProductForm(forms.ModelForm[GIProduct]):
    class Meta:
        model = GIProduct
        fields = [
            "name",
            "category",
            "subcategory",
            "certificate_number",
            "qc_spec_number",
            "registration_year",
            "announcement",
            "certificate_holder",
            "divisions",
            "protected_area",
            "protected_area_boundary",
            "min_longitude",
            "max_longitude",
            "min_latitude",
            "max_latitude",
            "quality_characteristics",
            "story",
            "notes",
            "sources",
        ]
        widgets = {
            "divisions": forms.SelectMultiple(attrs={"size": 8}),
            "protected_area": forms.Textarea(attrs={"rows": 3}),
            "protected_area_boundary": forms.Textarea(
                attrs={"rows": 4, "placeholder": '{"type": "Polygon", "coordinates": [...]}'}
            ),
            "quality_characteristics": forms.Textarea(attrs={"rows": 3}),
            "story": forms.Textarea(attrs={"rows": 6}),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "sources": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, divisions: Any, holders: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        division_field = cast(forms.ModelMultipleChoiceField, self.fields["divisions"])
        holder_field = cast(forms.ModelChoiceField, self.fields["certificate_holder"])
        division_field.queryset = divisions
        division_field.required = True
        division_field.error_messages["required"] = "请至少选择一个所在行政区划。"
        holder_field.queryset = holders


class ProductStatusForm(forms.Form):
    status = forms.ChoiceField(label="新状态", choices=ProductStatus.choices)
    reason = forms.CharField(label="原因", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(
        self, *args: Any, allowed: list[ProductStatus] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if allowed is not None:
            # Offer only the transitions the service would accept from the current status.
            cast(forms.ChoiceField, self.fields["status"]).choices = [
                (s.value, s.label) for s in allowed
            ]


class ProductDocumentForm(forms.Form):
    title = forms.CharField(label="标题", max_length=200)
    kind = forms.ChoiceField(label="类型", choices=DocumentKind.choices)
    file = forms.FileField(label="文件", help_text="PDF、Word、Excel 或图片，不超过 20 MB。")


class ProductImageForm(forms.Form):
    caption = forms.CharField(label="说明", max_length=200, required=False)
    image = forms.FileField(label="图片", help_text="JPEG、PNG 或 WebP，不超过 20 MB。")


# --- Production regulations (生产技术规程) ------------------------------------------------------


class RegulationForm(forms.Form):
    title = forms.CharField(label="规程名称", max_length=200)
    code = forms.CharField(
        label="标准编号", max_length=60, required=False, help_text="如 DB14/T 1234-2020"
    )
    version = forms.CharField(label="版本", max_length=20, help_text="如 2024 版、V2")
    effective_on = forms.DateField(
        label="实施日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    summary = forms.CharField(
        label="主要内容", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    file = forms.FileField(label="规程文件（PDF）", help_text="只接受 PDF，不超过 20 MB。")
