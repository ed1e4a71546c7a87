"""Pagination of server-rendered lists, shared by every list page."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

PAGE_SIZE = 20


def paginate(
    request: HttpRequest, qs: QuerySet[Any], *, per_page: int = PAGE_SIZE
) -> dict[str, Any]:
    """The page of `qs` the request asks for (bad or too-large numbers give the last valid page),
    and the query string without `page` for the page links."""
    page: Page[Any] = Paginator(qs, per_page).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    encoded = params.urlencode()
    return {
        "page_obj": page,
        "object_list": page.object_list,
        "query_without_page": f"{encoded}&" if encoded else "",
    }
