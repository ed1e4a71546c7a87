"""Forms of the brand pages. They parse; the services decide."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet

from dibiao.brand.choices import EventKind, EventLevel, MediaLevel, StoryStatus
from dibiao.brand.models import MAX_VIDEO_SECONDS
from dibiao.core.models import Division
from dibiao.registry.models import GIProduct


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def _blank(choices: list[tuple[str, str]], label: str = "请选择") -> list[tuple[str, str]]:
    return [("", label), *choices]


class _ProductForm(forms.Form):
    product = forms.ModelChoiceField(
        label="产品",
        queryset=GIProduct.objects.none(),
        empty_label="请选择产品",
        error_messages={"invalid_choice": "请选择您可以登记的产品。"},
    )

    def __init__(self, *args: Any, products: QuerySet[GIProduct], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["product"]).queryset = products
        if len(products) == 1 and not self.is_bound and "product" not in self.initial:
            self.fields["product"].initial = products[0].pk


class ReportForm(_ProductForm):
    outlet = forms.CharField(label="媒体名称", max_length=100, help_text="如 人民日报、山西日报")
    level = forms.ChoiceField(label="级别", choices=_blank(MediaLevel.choices))
    published_on = forms.DateField(label="发布日期", widget=DateInput())
    title = forms.CharField(label="标题", max_length=200)
    link = forms.URLField(
        label="链接",
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text="网络报道的网址；报刊、电视报道可留空，并在下方上传剪报或截图。",
    )
    notes = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={"rows": 3}))


class VideoForm(_ProductForm):
    title = forms.CharField(label="片名", max_length=200)
    minutes = forms.IntegerField(label="时长（分）", min_value=0, max_value=MAX_VIDEO_SECONDS // 60)
    seconds = forms.IntegerField(label="时长（秒）", min_value=0, max_value=59, initial=0)
    published_on = forms.DateField(label="发布日期", widget=DateInput())
    platforms = forms.CharField(
        label="发布平台", max_length=300, help_text="如 学习强国、央视频、抖音，多个用顿号分隔"
    )
    links = forms.CharField(
        label="链接",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="每行一个网址（http 或 https）",
    )
    notes = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        minutes, seconds = data.get("minutes"), data.get("seconds")
        if minutes is not None and seconds is not None:
            if minutes * 60 + seconds < 1:
                self.add_error("minutes", "请填写时长。")
            data["duration_seconds"] = minutes * 60 + seconds
        return data

    def to_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("minutes", None)
        data.pop("seconds", None)
        return data

    @staticmethod
    def initial_for(video: Any) -> dict[str, Any]:
        minutes, seconds = divmod(video.duration_seconds, 60)
        return {
            "product": video.product_id,
            "title": video.title,
            "minutes": minutes,
            "seconds": seconds,
            "published_on": video.published_on,
            "platforms": video.platforms,
            "links": video.links,
            "notes": video.notes,
        }


class DivisionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        # Counties under their city's name: two provinces' 城区 are told apart.
        parent = obj.parent.name if obj.level == "county" and obj.parent else ""
        return f"{parent}{obj.name}"


class ExhibitionForm(forms.Form):
    kind = forms.ChoiceField(label="类型", choices=EventKind.choices)
    name = forms.CharField(label="名称", max_length=200)
    level = forms.ChoiceField(label="级别", choices=_blank(EventLevel.choices))
    start_on = forms.DateField(label="开始日期", widget=DateInput())
    end_on = forms.DateField(label="结束日期", widget=DateInput())
    place = forms.CharField(label="举办地点", max_length=200, help_text="如 北京·全国农业展览馆")
    division = DivisionChoiceField(
        label="举办地（省内）",
        queryset=Division.objects.none(),
        required=False,
        empty_label="省外或不选",
    )
    products = forms.ModelMultipleChoiceField(
        label="参展产品",
        queryset=GIProduct.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "请至少选择一个参展产品。"},
    )
    deals_count = forms.IntegerField(label="签约项目（个）", min_value=0, initial=0)
    deals_amount = forms.DecimalField(
        label="签约金额（万元）", min_value=0, max_digits=12, decimal_places=2, initial=0
    )
    notes = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(
        self,
        *args: Any,
        products: QuerySet[GIProduct],
        divisions: QuerySet[Division],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelMultipleChoiceField, self.fields["products"]).queryset = products
        cast(forms.ModelChoiceField, self.fields["division"]).queryset = divisions

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_on"), data.get("end_on")
        if start and end and end < start:
            self.add_error("end_on", "结束日期不能早于开始日期。")
        return data

    def to_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("products", None)
        return data


class StoryForm(_ProductForm):
    title = forms.CharField(label="标题", max_length=200)
    body = forms.CharField(
        label="正文",
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text=(
            "可直接输入文字（空行分段），也可使用段落、小标题、加粗、列表和链接；"
            "其他格式、脚本和图片代码保存时会被去除，图片请在保存后上传。"
        ),
    )


class StoryImageForm(forms.Form):
    image = forms.FileField(label="图片", help_text="JPEG、PNG 或 WebP")
    caption = forms.CharField(label="说明", max_length=200, required=False)


class StoryStatusForm(forms.Form):
    status = forms.ChoiceField(choices=StoryStatus.choices)
