"""Forms of the label-use authorization pages. They parse; the services decide."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet

from dibiao.producers.models import Producer
from dibiao.producers.services.authorizations import MAX_LABELS, SCOPE_MAX_LENGTH, production_years
from dibiao.registry.models import GIProduct


def _textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "cols": 60})


class ApplicationForm(forms.Form):
    producer = forms.ModelChoiceField(label="申请主体", queryset=Producer.objects.none())
    product = forms.ModelChoiceField(label="地理标志产品", queryset=GIProduct.objects.none())
    year = forms.TypedChoiceField(label="生产年度", coerce=int)
    qualifications = forms.CharField(
        label="主体资质情况",
        max_length=5000,
        widget=_textarea(),
        help_text="营业执照/登记情况、生产规模、基地、质量管理体系与认证等。",
    )
    production_plan = forms.CharField(
        label="生产计划",
        max_length=5000,
        widget=_textarea(),
        help_text="本年度生产面积（规模）、预计产量、上市时间。",
    )
    quality_measures = forms.CharField(
        label="质量控制措施",
        max_length=5000,
        widget=_textarea(),
        help_text="按质量控制技术规范组织生产，投入品管理、生产记录、检验检测等。",
    )
    requested_quantity = forms.IntegerField(
        label="申请标志数量（枚）",
        min_value=1,
        max_value=MAX_LABELS,
        widget=forms.NumberInput(attrs={"min": 1, "max": MAX_LABELS, "step": 1}),
    )
    scope = forms.CharField(
        label="使用范围",
        max_length=SCOPE_MAX_LENGTH,
        help_text="产品规格、包装形式，例如：5 kg 礼盒装、散装箱贴。",
        widget=forms.TextInput(attrs={"size": 60}),
    )
    commitment = forms.BooleanField(
        label="书面承诺",
        required=False,  # the service refuses it unticked, with its own message
        help_text="本主体承诺：按照地理标志产品质量控制技术规范组织生产，只在授权范围内、授权数量内使用地理标志，"
        "不转让、不许可他人使用，接受农业农村部门和证书持有人的监督检查。",
    )

    def __init__(
        self,
        *args: Any,
        producers: QuerySet[Producer],
        products: QuerySet[GIProduct],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["producer"]).queryset = producers
        cast(forms.ModelChoiceField, self.fields["product"]).queryset = products
        if len(producers) == 1:
            self.fields["producer"].initial = producers[0].pk
        years = production_years()
        cast(forms.TypedChoiceField, self.fields["year"]).choices = [
            (year, f"{year} 年") for year in years
        ]
        self.fields["year"].initial = years[0]

    def clean_commitment(self) -> bool:
        if not self.cleaned_data.get("commitment"):
            raise forms.ValidationError("请阅读并勾选书面承诺后再提交申请。")
        return True


class HolderReviewForm(forms.Form):
    approve = forms.TypedChoiceField(
        label="审核结论",
        choices=[("1", "同意，报县级审核"), ("0", "驳回")],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label="意见", required=False, max_length=5000, widget=_textarea(2), help_text="驳回时必填。"
    )


class CountyReviewForm(forms.Form):
    approve = forms.TypedChoiceField(
        label="审核结论",
        choices=[("1", "批准，签订授权使用协议"), ("0", "驳回")],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    authorized_quantity = forms.IntegerField(
        label="授权标志数量（枚）",
        required=False,
        min_value=1,
        max_value=MAX_LABELS,
        help_text="留空即按申请数量。",
    )
    scope = forms.CharField(
        label="使用范围",
        required=False,
        max_length=SCOPE_MAX_LENGTH,
        help_text="留空即按申请的使用范围。",
        widget=forms.TextInput(attrs={"size": 40}),
    )
    comment = forms.CharField(
        label="意见", required=False, max_length=5000, widget=_textarea(2), help_text="驳回时必填。"
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label="理由", max_length=5000, widget=_textarea(2))


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(label="说明", required=False, max_length=5000, widget=_textarea(2))
