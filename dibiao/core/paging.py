"""Pagination shared by list pages and the API."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

PAGE_SIZE = 20


class DeferredJoinPaginator(Paginator):
    """Reads a page in two steps: the page's primary keys first, then those rows.

    A deep page (OFFSET in the thousands) of a query with joins and prefetches otherwise makes
    the database carry every skipped row through the joins; the key-only query walks the
    ordering index alone, and the joins run for the page's rows only. Lists that are not
    querysets are paged as usual.
    """

    def page(self, number: Any) -> Page[Any]:
        if not isinstance(self.object_list, QuerySet):
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        keys = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        rows = {row.pk: row for row in self.object_list.filter(pk__in=keys).order_by()}
        return Page([rows[key] for key in keys if key in rows], number, self)


def paginate(
    request: HttpRequest, qs: QuerySet[Any], *, per_page: int = PAGE_SIZE
) -> dict[str, Any]:
    """The page of `qs` the request asks for (bad or too-large numbers give the last valid page),
    and the query string without `page` for the page links."""
    page: Page[Any] = DeferredJoinPaginator(qs, per_page).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    encoded = params.urlencode()
    return {
        "page_obj": page,
        "object_list": page.object_list,
        "query_without_page": f"{encoded}&" if encoded else "",
    }
