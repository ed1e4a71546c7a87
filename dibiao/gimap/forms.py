"""The boundary upload form (an administrator replaces a division's boundary)."""

from __future__ import annotations

from django import forms

MAX_BOUNDARY_BYTES = 20 * 1024 * 1024


class BoundaryUploadForm(forms.Form):
    file = forms.FileField(
        label="边界文件（GeoJSON）",
        help_text="WGS-84 经纬度的 Polygon / MultiPolygon，可为 Feature 或只含一个要素的 FeatureCollection。",
    )
    note = forms.CharField(
        label="来源说明",
        max_length=200,
        required=False,
        help_text="例如：县自然资源局提供的正式界线",
    )

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BOUNDARY_BYTES:
            raise forms.ValidationError("文件超过 20 MB。")
        try:
            return str(upload.read().decode("utf-8-sig"))
        except UnicodeDecodeError:
            raise forms.ValidationError("文件不是 UTF-8 编码的 GeoJSON 文本。") from None
