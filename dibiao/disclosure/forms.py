from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet

from dibiao.core.models import Division
from dibiao.disclosure.models import Notice, Objection
from dibiao.disclosure.services import ANSWER_MAX_LENGTH, REASON_MAX_LENGTH, SETTLEMENT_MAX_LENGTH
from dibiao.registry.models import GIProduct


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class NoticeForm(forms.ModelForm[Notice]):
    division = forms.ModelChoiceField(
        label="发布区划", queryset=Division.objects.none(), empty_label=None
    )

    class Meta:
        model = Notice
        fields = ["kind", "title", "body", "product", "start_date", "end_date"]
        widgets = {
            "body": forms.Textarea(attrs={"rows": 14}),
            "start_date": DateInput(),
            "end_date": DateInput(),
        }
        help_texts = {
            "start_date": "发布时须为今天或之后的日期。",
            "end_date": "公示期含开始和结束两天。",
        }

    def __init__(
        self,
        *args: Any,
        divisions: list[Division] | None,
        products: QuerySet[GIProduct],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if divisions is None:  # editing: the division is fixed at creation
            del self.fields["division"]
        else:
            division_field = cast(forms.ModelChoiceField, self.fields["division"])
            division_field.queryset = Division.objects.filter(pk__in=[d.pk for d in divisions])
            self.order_fields(["division"])
        product_field = cast(forms.ModelChoiceField, self.fields["product"])
        product_field.queryset = products
        product_field.empty_label = "（不关联产品）"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "公示结束日期不能早于开始日期。")
        return data


class NoticeWithdrawForm(forms.Form):
    reason = forms.CharField(
        label="撤回原因", max_length=REASON_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )


class NoticeSettleForm(forms.Form):
    settlement = forms.CharField(
        label="异议处理结果",
        max_length=SETTLEMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="将在公示页面公开，例如“公示期内共收到异议 2 条，经核实均不成立，公示结果不变。”",
    )


class ObjectionAnswerForm(forms.Form):
    answer = forms.CharField(
        label="答复", max_length=ANSWER_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )


class ObjectionForm(forms.ModelForm[Objection]):
    """The public's objection. The model's validators (run by the ModelForm) give the
    messages for the contact format and the 10–2000 characters; the service checks again."""

    class Meta:
        model = Objection
        fields = ["name", "contact", "text"]
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "name"}),
            "contact": forms.TextInput(attrs={"autocomplete": "off"}),
            "text": forms.Textarea(attrs={"rows": 6, "maxlength": 2000}),
        }
        help_texts = {"text": "请写明异议事项和理由，10～2000 字。"}
        error_messages = {
            "name": {"required": "请填写姓名或单位名称。"},
            "contact": {"required": "请填写联系方式。"},
            "text": {"required": "请填写异议内容。"},
        }
