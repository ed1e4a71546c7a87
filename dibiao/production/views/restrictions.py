"""The national lists of banned and restricted inputs (禁限用投入品名录): one page, open to
every signed-in user, with each list's source and date and a searchable substance table."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import path

from dibiao.accounts.http import AuthedRequest
from dibiao.core.paging import paginate
from dibiao.production import selectors
from dibiao.production.choices import RestrictionKind
from dibiao.production.forms import SubstanceSearchForm
from dibiao.production.services.restrictions import list_date_text
from dibiao.registry.choices import ProductCategory

CATEGORY_LABELS = dict(ProductCategory.choices)


@login_required
def restriction_list(request: AuthedRequest) -> HttpResponseBase:
    form = SubstanceSearchForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    substances = selectors.substance_list(
        q=(data.get("q") or "").strip(),
        kind=data.get("kind") or "",
        restriction_list=data.get("restriction_list"),
    )
    lists = [(item, list_date_text(item)) for item in selectors.restriction_list_list()]
    page = paginate(request, substances, per_page=50)
    rows = [
        (
            substance,
            [
                CATEGORY_LABELS.get(code, code)
                for code in substance.forbidden_categories.split(",")
                if code
            ],
        )
        for substance in page["object_list"]
    ]
    context = {
        "lists": lists,
        "rows": rows,
        "params": request.GET,
        "kinds": RestrictionKind.choices,
        **page,
    }
    return render(request, "production/restriction_list.html", context)


urlpatterns = [path("restrictions/", restriction_list, name="restriction-list")]
