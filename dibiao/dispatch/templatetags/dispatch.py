"""Display helpers of the dispatch pages."""

from __future__ import annotations

from typing import Any

from django import template

from dibiao.core.models import Division
from dibiao.dispatch.choices import NoticeStatus, ReportStatus, SubmissionState
from dibiao.dispatch.selectors.table import division_label

register = template.Library()

_STATE_CLASS = {
    SubmissionState.ON_TIME: "ok",
    SubmissionState.LATE: "warn",
    SubmissionState.MISSING: "bad",
    SubmissionState.RETURNED: "bad",
    SubmissionState.PENDING: "",
}
_STATUS_CLASS = {
    ReportStatus.DRAFT: "",
    ReportStatus.SUBMITTED: "ok",
    ReportStatus.RETURNED: "bad",
    NoticeStatus.OPEN: "warn",
    NoticeStatus.RECTIFIED: "",
    NoticeStatus.CLOSED: "ok",
}
# What a matrix cell shows: short enough for twelve months in a row.
_MARK = {
    SubmissionState.ON_TIME: "✓",
    SubmissionState.LATE: "迟报",
    SubmissionState.MISSING: "✗",
    SubmissionState.RETURNED: "退回",
    SubmissionState.PENDING: "·",
}


@register.filter
def place(division: Division | None) -> str:
    return division_label(division) if division is not None else ""


@register.filter
def state_class(state: Any) -> str:
    return _STATE_CLASS.get(state, "")


@register.filter
def status_class(status: Any) -> str:
    return _STATUS_CLASS.get(status, "")


@register.filter
def state_mark(state: Any) -> str:
    return _MARK.get(state, "")


@register.filter
def state_label(state: Any) -> str:
    return str(SubmissionState(state).label) if state in SubmissionState.values else ""
