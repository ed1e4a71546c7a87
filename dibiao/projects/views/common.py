"""Helpers shared by the protection program's pages: role checks, redirects, the ledger
export layout."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from dibiao.accounts.choices import DIVISION_ROLES
from dibiao.accounts.http import AuthedRequest
from dibiao.accounts.permissions import has_role
from dibiao.core.audit import audit_record
from dibiao.core.choices import AuditAction
from dibiao.core.excel import xlsx_response
from dibiao.projects.models import Allocation, Program
from dibiao.projects.selectors import LedgerRow

LEDGER_HEADERS = [
    "年度",
    "产品",
    "实施地区",
    "凭证号",
    "支付日期",
    "类型",
    "收款单位",
    "合同编号",
    "实施内容",
    "摘要",
    "金额（元）",
    "占用（元）",
    "退回（元）",
    "余额（元）",
    "状态",
    "冲销的凭证号",
    "记账人",
    "记账时间",
    "审核人",
    "审核时间",
    "审核意见",
]


def _government(request: HttpRequest) -> None:
    """The program pages are the government's: province, city, county and county government."""
    if not has_role(request.user, *DIVISION_ROLES):
        raise PermissionDenied


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _back(request: HttpRequest, default: str) -> HttpResponseBase:
    """Back to the page the form was on (`next`, same site only), else to `default`."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


def _quarter_ends(year: int) -> list[dt.date]:
    return [dt.date(year, month, day) for month, day in ((3, 31), (6, 30), (9, 30), (12, 31))]


def _local(value: dt.datetime | None) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}" if value else ""


def _ledger_row(row: LedgerRow) -> list[object]:
    e = row.entry
    return [
        e.allocation.program.year,
        e.allocation.product.name,
        e.allocation.division.name,
        e.voucher_number,
        e.paid_on,
        e.get_kind_display(),
        e.payee,
        e.contract.number if e.contract else "",
        e.get_area_display(),
        e.description,
        e.amount,
        row.outflow,
        row.inflow,
        row.balance,
        e.get_status_display(),
        e.reverses.voucher_number if e.reverses else "",
        str(e.recorded_by),
        _local(e.recorded_at),
        str(e.reviewed_by or ""),
        _local(e.reviewed_at),
        e.review_note,
    ]


def _ledger_export(
    request: AuthedRequest, *, obj: Program | Allocation, count: int, rows: Iterable[LedgerRow]
) -> HttpResponseBase:
    audit_record(
        actor=request.user,
        action=AuditAction.EXPORT,
        obj=obj,
        detail=f"导出资金台账 {count} 条（数据范围内）",
    )
    return xlsx_response(
        filename=f"资金台账-{obj}",
        sheet_title="资金台账",
        headers=LEDGER_HEADERS,
        rows=(_ledger_row(row) for row in rows),
    )
