"""Forms of the counterfeit-alert pages: closing an alert, the province's thresholds."""

from __future__ import annotations

from typing import Any

from django import forms

from dibiao.trace.services.alerts import NOTE_MAX_LENGTH


class AlertCloseForm(forms.Form):
    note = forms.CharField(
        label="处理说明",
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="核查情况与处理结果，如“已现场核查，系经销商展示样品反复扫码”。",
        error_messages={"required": "请填写处理说明。"},
    )


class TraceSettingsForm(forms.Form):
    max_scans_per_code = forms.IntegerField(
        label="单码查询次数上限",
        min_value=2,
        max_value=1_000_000,
        help_text="同一个码被查询超过此次数即预警（正常商品一般只被查询几次）。",
    )
    max_networks_per_code = forms.IntegerField(
        label="单码查询网络数上限",
        min_value=2,
        max_value=1_000_000,
        help_text="同一个码在超过此数量的不同网络中被查询即预警。",
    )
    max_speed_kmh = forms.IntegerField(
        label="两次查询间最大合理速度（公里/小时）",
        min_value=50,
        max_value=100_000,
        help_text="一小时内两次带位置的查询，推算速度超过此值即预警（位置只保留到约 10 公里）。",
    )
    max_mac_failures_per_hour = forms.IntegerField(
        label="同一网络每小时伪造码上限",
        min_value=1,
        max_value=1_000_000,
        help_text="同一网络一小时内查询校验失败的码超过此次数，向省级预警。",
    )
    scans_per_minute = forms.IntegerField(
        label="同一客户端网络每分钟查询上限",
        min_value=5,
        max_value=1_000_000,
        help_text="超过后返回“请稍后再试”（防止批量探测）。",
    )

    def __init__(self, *args: Any, readonly: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if readonly:
            for field in self.fields.values():
                field.disabled = True
