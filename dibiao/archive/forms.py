from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from dibiao.archive.choices import ArchiveCategory
from dibiao.core.uploads import max_upload_bytes, size_text

# The upload form shown on other records' pages (the `archive_attachments` tag) is prefixed,
# so that its fields cannot collide with the page's own form fields and ids.
ATTACH_PREFIX = "archive"


class ArchiveUploadForm(forms.Form):
    category = forms.ChoiceField(label="类别", choices=ArchiveCategory.choices)
    document_date = forms.DateField(
        label="文件日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    description = forms.CharField(
        label="说明", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    # Empty files reach the service, which refuses them with its own coded message.
    file = forms.FileField(label="文件", allow_empty_file=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["document_date"].initial = timezone.localdate()
        self.fields["file"].help_text = (
            f"PDF、Word、Excel 或图片（JPEG/PNG/WebP），不超过 {size_text(max_upload_bytes())}；"
            "类型按文件内容识别。照片类只收图片。"
        )


class ArchiveWithdrawForm(forms.Form):
    reason = forms.CharField(label="撤回原因", max_length=500)
