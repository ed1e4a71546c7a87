"""Pages of grading schemes (分等分级): the products, a product's scheme (read-only to all who
may see the product, editable by the province and the product's county bureaus) and the
bulk regrade of its reports."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from dibiao.accounts.http import AuthedRequest
from dibiao.accounts.permissions import is_business_user
from dibiao.core.errors import DomainError
from dibiao.core.paging import paginate
from dibiao.production import selectors
from dibiao.production.models import GradeStandard, TestReport
from dibiao.production.permissions import can_edit_any_grading, can_edit_grading
from dibiao.production.report_forms import CriterionFormSet, criterion_initial, scheme_of_rows
from dibiao.production.services import grading
from dibiao.production.views.test_reports import limits_text
from dibiao.registry.models import GIProduct


def _staff(request: HttpRequest) -> None:
    if not is_business_user(request.user):
        raise PermissionDenied


def _editor(request: AuthedRequest, product: GIProduct) -> None:
    if not can_edit_grading(request.user, product):
        raise PermissionDenied


@login_required
def grade_product_list(request: AuthedRequest) -> HttpResponseBase:
    _staff(request)
    q = request.GET.get("q", "")
    products = selectors.grading_product_list_for_user(user=request.user, q=q)
    context = {
        "q": q,
        "can_edit": can_edit_any_grading(request.user),
        **paginate(request, products),
    }
    return render(request, "production/grade_product_list.html", context)


def _scheme_rows(scheme: list[GradeStandard], counts: dict[int | None, int]) -> list[Any]:
    return [
        {
            "grade": grade,
            "reports": counts.get(grade.pk, 0),
            "criteria": [
                {"criterion": c, "bounds": limits_text(c.min_value, c.max_value)}
                for c in grade.criteria.all()
            ],
        }
        for grade in scheme
    ]


@login_required
def grade_scheme(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _staff(request)
    product = selectors.grading_product_get_for_user(user=request.user, pk=pk)
    visible = TestReport.objects.restrict(request.user).filter(product=product)
    counts = dict(visible.values_list("grade").annotate(n=Count("pk")).order_by())
    context = {
        "product": product,
        "rows": _scheme_rows(selectors.grading_scheme(product=product), counts),
        "ungraded": counts.get(None, 0),
        "report_count": sum(counts.values()),
        "can_edit": can_edit_grading(request.user, product),
    }
    return render(request, "production/grade_scheme.html", context)


@login_required
def grade_scheme_edit(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _staff(request)
    product = selectors.grading_product_get_for_user(user=request.user, pk=pk)
    _editor(request, product)
    initial = criterion_initial(selectors.grading_scheme(product=product))
    formset = CriterionFormSet(request.POST or None, prefix="rows", initial=initial)
    error = ""
    if request.method == "POST" and formset.is_valid():
        try:
            grading.grading_scheme_replace(
                actor=request.user, product=product, grades=scheme_of_rows(formset)
            )
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(
                request, "分级方案已保存。已有检测报告的等级不会自动改变，需要时请重新评定。"
            )
            return redirect("production:grade-scheme", pk=product.pk)
    context = {"product": product, "formset": formset, "error": error}
    return render(request, "production/grade_scheme_form.html", context)


@require_POST
@login_required
def grade_regrade(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _staff(request)
    product = selectors.grading_product_get_for_user(user=request.user, pk=pk)
    _editor(request, product)
    try:
        summary = grading.product_reports_regrade(product=product, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"已按现行方案重新评定 {summary.checked} 份检测报告，其中 {summary.changed} 份等级有变化。",
        )
    return redirect("production:grade-scheme", pk=pk)


urlpatterns = [
    path("grading/", grade_product_list, name="grade-product-list"),
    path("grading/<int:pk>/", grade_scheme, name="grade-scheme"),
    path("grading/<int:pk>/edit/", grade_scheme_edit, name="grade-scheme-edit"),
    path("grading/<int:pk>/regrade/", grade_regrade, name="grade-regrade"),
]
