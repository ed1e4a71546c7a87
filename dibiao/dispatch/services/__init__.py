"""Every write of the dispatch app: keyword-only, atomic, locked, audited, coded errors."""

from dibiao.dispatch.services.reports import (
    ProgressInput,
    report_return,
    report_save,
    report_submit,
)
from dibiao.dispatch.services.supervision import (
    inspection_record,
    notice_close,
    notice_issue,
    notice_rectify,
    notice_return,
)

__all__ = [
    "ProgressInput",
    "inspection_record",
    "notice_close",
    "notice_issue",
    "notice_rectify",
    "notice_return",
    "report_return",
    "report_save",
    "report_submit",
]
