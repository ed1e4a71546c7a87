"""What the brand pages share: the permission check, list filters, the Excel export."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.forms import Form
from django.http import HttpRequest, QueryDict
from django.http.response import HttpResponseBase

from dibiao.brand.exports import ExportSpec
from dibiao.core.audit import audit_record
from dibiao.core.choices import AuditAction
from dibiao.core.errors import DomainError
from dibiao.core.excel import xlsx_response
from dibiao.core.params import parse_id

MIN_YEAR, MAX_YEAR = 2000, 2100


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def year_param(raw: str | None) -> int | None:
    """A year filter; one no record can have is dropped (the date lookup cannot build a year
    outside 1–9999)."""
    text = (raw or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) != 4:
        return None
    year = int(text)
    return year if MIN_YEAR <= year <= MAX_YEAR else None


def list_filters(params: QueryDict, *, choices: dict[str, list[str]]) -> dict[str, Any]:
    """The selector's filters from a page's query string: q, product, year, and each of
    `choices` (level, status) when it is one of its values."""
    filters: dict[str, Any] = {
        "q": params.get("q", "").strip()[:100],
        "product_id": parse_id(params.get("product")),
        "year": year_param(params.get("year")),
    }
    for name, values in choices.items():
        value = params.get(name, "")
        filters[name] = value if value in values else ""
    return filters


def is_filtered(params: QueryDict) -> bool:
    return any(params.get(name) for name in ("q", "product", "year", "level", "status"))


def export(
    request: HttpRequest, rows: QuerySet[Any], spec: ExportSpec, *, object_type: str
) -> HttpResponseBase:
    """The list as .xlsx, audited with its count and conditions."""
    audit_record(
        actor=request.user,
        action=AuditAction.EXPORT,
        object_type=object_type,
        detail=f"导出{spec.sheet_title} {rows.count()} 条；条件：{request.GET.urlencode() or '无'}",
    )
    if spec.prefetch:
        rows = rows.prefetch_related(*spec.prefetch)
    return xlsx_response(
        filename=spec.filename,
        sheet_title=spec.sheet_title,
        headers=spec.headers,
        # In chunks: a province-wide export must not hold every row at once.
        rows=(spec.row(r) for r in rows.iterator(chunk_size=2000)),
    )


def add_error(form: Form, exc: DomainError) -> None:
    form.add_error(None, exc.message)
