"""Helpers shared by the producers pages (directory, bases, farmers)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse

from dibiao.accounts.choices import OrganizationKind, Role
from dibiao.accounts.models import Organization
from dibiao.accounts.permissions import has_role, is_business_user, role_places
from dibiao.accounts.scoping import scope_for
from dibiao.core.choices import DivisionLevel
from dibiao.core.excel import XLSX_CONTENT_TYPE
from dibiao.core.models import Division
from dibiao.core.params import parse_id
from dibiao.producers.models import Producer

YES = frozenset({"1", "yes", "true", "是"})
NO = frozenset({"0", "no", "false", "否"})
# Ids are bigints: more digits than this cannot be one, and would overflow SQLite's integers.


def staff(request: HttpRequest) -> None:
    """The directory pages are for every business role; which rows: scoping."""
    if not is_business_user(request.user):
        raise PermissionDenied


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def int_param(request: HttpRequest, name: str) -> int | None:
    """A whole-number filter, or None for anything else. `isdigit` alone also accepts digits
    that `int` refuses (superscripts such as "²"), hence the ASCII check."""
    return parse_id(request.GET.get(name))


def flag_param(request: HttpRequest, name: str) -> bool | None:
    raw = request.GET.get(name, "").strip().lower()
    return True if raw in YES else False if raw in NO else None


def county_choices(user: Any, *, also: Division | None = None) -> QuerySet[Division]:
    """Counties the user may register an entry in: a county bureau's own, the province's
    counties; `also` (an entry's current county) stays a choice."""
    ids = {d for role, d in role_places(user) if role == Role.COUNTY_ADMIN}
    if has_role(user, Role.PROVINCE_ADMIN):
        ids |= scope_for(user).division_ids
    condition = Q(pk__in=ids, level=DivisionLevel.COUNTY)
    if also is not None:
        condition |= Q(pk=also.pk)
    return Division.objects.filter(condition).order_by("code")


def organization_choices(user: Any, producer: Producer | None) -> QuerySet[Organization]:
    """Producer organizations in scope that no other entry is linked to."""
    current = Q(pk=producer.organization_id) if producer and producer.organization_id else Q()
    free = Q(
        pk__in=Organization.objects.restrict(user).values("pk"),
        kind=OrganizationKind.PRODUCER,
        producer__isnull=True,
    )
    return Organization.objects.filter(free | current if current else free).order_by("name")


def xlsx_download(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
