from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from dibiao.accounts import permissions as perms
from dibiao.accounts.http import AuthedRequest
from dibiao.accounts.models import Organization
from dibiao.accounts.selectors import division_list_for_user
from dibiao.core.audit import audit_record
from dibiao.core.choices import AuditAction
from dibiao.core.errors import DomainError
from dibiao.core.excel import xlsx_response
from dibiao.core.models import Division
from dibiao.core.paging import paginate
from dibiao.core.uploads import file_response, open_stored
from dibiao.registry import selectors, services
from dibiao.registry.choices import ProductCategory, ProductStatus
from dibiao.registry.forms import (
    ProductDocumentForm,
    ProductForm,
    ProductImageForm,
    ProductStatusForm,
    RegulationForm,
)
from dibiao.registry.models import GIProduct, TechnicalRegulation
from dibiao.registry.permissions import can_publish_regulation

EXPORT_HEADERS = [
    "产品名称",
    "品类",
    "细分类别",
    "所在区划",
    "登记证书编号",
    "质量控制技术规范编号",
    "登记年份",
    "登记公告",
    "证书持有人",
    "地域保护范围",
    "品质特色",
    "状态",
]


def _export_row(p: GIProduct) -> list[object]:
    return [
        p.name,
        p.get_category_display(),
        p.subcategory,
        "、".join(d.name for d in p.divisions.all()),
        p.certificate_number,
        p.qc_spec_number,
        p.registration_year,
        p.announcement,
        str(p.certificate_holder or ""),
        p.protected_area,
        p.quality_characteristics,
        p.get_status_display(),
    ]


def _staff(request: HttpRequest) -> None:
    if not perms.is_business_user(request.user):
        raise PermissionDenied


def _get(request: HttpRequest, pk: int) -> GIProduct:
    # Another scope's product raises NotFoundError, which DomainErrorMiddleware makes a 404.
    return selectors.product_get_for_user(user=request.user, pk=pk)


@login_required
def product_list(request: AuthedRequest) -> HttpResponseBase:
    _staff(request)
    params = request.GET
    products = selectors.product_list_for_user(
        user=request.user,
        q=params.get("q", "").strip(),
        category=params.get("category", ""),
        status=params.get("status", ""),
        division=params.get("division", ""),
    )
    context = {
        "params": params,
        "categories": ProductCategory.choices,
        "statuses": ProductStatus.choices,
        "divisions": division_list_for_user(user=request.user),
        "can_edit": perms.can_edit_products(request.user),
        **paginate(request, products),
    }
    return render(request, "registry/product_list.html", context)


@login_required
def product_export(request: AuthedRequest) -> HttpResponseBase:
    _staff(request)
    params = request.GET
    products = selectors.product_list_for_user(
        user=request.user,
        q=params.get("q", "").strip(),
        category=params.get("category", ""),
        status=params.get("status", ""),
        division=params.get("division", ""),
    )
    audit_record(
        actor=request.user,
        action=AuditAction.EXPORT,
        object_type="registry.giproduct",
        detail=f"导出地理标志产品 {products.count()} 条；条件：{params.urlencode() or '无'}",
    )
    return xlsx_response(
        filename="地理标志产品",
        sheet_title="地理标志产品",
        headers=EXPORT_HEADERS,
        rows=(_export_row(p) for p in products),
    )


@login_required
def product_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _staff(request)
    product = _get(request, pk)
    can_edit = perms.can_edit_products(request.user)
    context = {
        "product": product,
        "can_edit": can_edit,
        "documents": product.documents.all(),
        "images": product.images.all(),
        "status_form": ProductStatusForm(allowed=services.product_next_statuses(product)),
        "document_form": ProductDocumentForm(),
        "image_form": ProductImageForm(),
        **_regulation_context(request, product),
    }
    return render(request, "registry/product_detail.html", context)


def _product_form(request: HttpRequest, product: GIProduct | None) -> ProductForm:
    # A shared product's holder may sit in another county: it stays a choice, or saving the
    # form would silently clear it.
    holder_id = product.certificate_holder_id if product else None
    current_holder = Q(pk=holder_id) if holder_id else Q(pk__in=[])
    return ProductForm(
        request.POST or None,
        instance=product,
        divisions=Division.objects.filter(
            pk__in=division_list_for_user(user=request.user).values("pk")
        ),
        holders=Organization.objects.filter(
            Q(pk__in=Organization.objects.restrict(request.user).values("pk")) | current_holder
        ).order_by("name"),
    )


@login_required
def product_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponseBase:
    if not perms.can_edit_products(request.user):
        raise PermissionDenied
    product = _get(request, pk) if pk else None
    form = _product_form(request, product)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "divisions"}
        try:
            saved = services.product_save(
                actor=request.user,
                product=product,
                data=data,
                divisions=form.cleaned_data["divisions"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"“{saved.name}”已保存。")
            return redirect("registry:product-detail", pk=saved.pk)
    return render(request, "registry/product_form.html", {"form": form, "product": product})


@require_POST
@login_required
def product_status(request: AuthedRequest, pk: int) -> HttpResponseBase:
    if not perms.can_edit_products(request.user):
        raise PermissionDenied
    product = _get(request, pk)
    form = ProductStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择新状态并填写原因。")
    else:
        try:
            services.product_set_status(actor=request.user, product=product, **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "状态已更新。")
    return redirect("registry:product-detail", pk=pk)


@require_POST
@login_required
def product_upload(request: AuthedRequest, pk: int, what: str) -> HttpResponseBase:
    if what not in ("document", "image"):
        raise Http404
    if not perms.can_edit_products(request.user):
        raise PermissionDenied
    product = _get(request, pk)
    try:
        if what == "document":
            form = ProductDocumentForm(request.POST, request.FILES)
            if form.is_valid():
                services.product_document_add(
                    actor=request.user,
                    product=product,
                    title=form.cleaned_data["title"],
                    kind=form.cleaned_data["kind"],
                    upload=form.cleaned_data["file"],
                )
        else:
            form = ProductImageForm(request.POST, request.FILES)  # type: ignore[assignment]
            if form.is_valid():
                services.product_image_add(
                    actor=request.user,
                    product=product,
                    caption=form.cleaned_data["caption"],
                    upload=form.cleaned_data["image"],
                )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if form.is_valid():
            messages.success(request, "文件已上传。")
        else:
            messages.error(
                request,
                "；".join(
                    f"{form.fields[name].label}：{e}" if name in form.fields else str(e)
                    for name, errors in form.errors.items()
                    for e in errors
                ),
            )
    return redirect("registry:product-detail", pk=pk)


@login_required
def product_document(request: AuthedRequest, pk: int, document_pk: int) -> HttpResponseBase:
    _staff(request)
    product = _get(request, pk)
    document = product.documents.filter(pk=document_pk).first()
    if document is None:
        raise Http404
    return FileResponse(
        open_stored(document.file),
        as_attachment=True,
        filename=(document.file.name or "").rsplit("/", 1)[-1],
    )


@login_required
def product_image(request: AuthedRequest, pk: int, image_pk: int) -> HttpResponseBase:
    _staff(request)
    image = _get(request, pk).images.filter(pk=image_pk).first()
    if image is None:
        raise Http404
    return FileResponse(open_stored(image.image))


# --- Public pages (no login) -----------------------------------------------------------------


def public_product_list(request: HttpRequest) -> HttpResponseBase:
    params = request.GET
    products = selectors.product_list_public(
        q=params.get("q", "").strip(), category=params.get("category", "")
    )
    context = {
        "params": params,
        "categories": ProductCategory.choices,
        **paginate(request, products, per_page=24),
    }
    return render(request, "registry/public_product_list.html", context)


def public_product_detail(request: HttpRequest, pk: int) -> HttpResponseBase:
    product = selectors.product_get_public(pk=pk)
    context = {
        "product": product,
        "regulation": selectors.regulation_current_public(product=product),
    }
    return render(request, "registry/public_product_detail.html", context)


def public_product_image(request: HttpRequest, pk: int, image_pk: int) -> HttpResponseBase:
    product = selectors.product_get_public(pk=pk)
    image = product.images.filter(pk=image_pk).first()
    if image is None:
        raise Http404
    response = FileResponse(open_stored(image.image))
    response["Cache-Control"] = "public, max-age=86400"
    return response


# --- Production regulations (生产技术规程) ------------------------------------------------------


def _regulation_context(request: AuthedRequest, product: GIProduct) -> dict[str, object]:
    can_publish = can_publish_regulation(request.user, product)
    return {
        "regulations": selectors.regulation_list_for_product(user=request.user, product=product),
        "can_publish_regulation": can_publish,
        "regulation_form": RegulationForm() if can_publish else None,
    }


def _regulation_file(regulation: TechnicalRegulation) -> FileResponse:
    name = f"{regulation.title}（{regulation.version}）.pdf"
    return file_response(
        open_stored(regulation.file), filename=name, content_type="application/pdf"
    )


@require_POST
@login_required
def regulation_upload(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _staff(request)
    product = _get(request, pk)
    if not can_publish_regulation(request.user, product):
        raise PermissionDenied
    form = RegulationForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(
            request,
            "；".join(
                f"{form.fields[name].label}：{e}" if name in form.fields else str(e)
                for name, errors in form.errors.items()
                for e in errors
            ),
        )
    else:
        data = form.cleaned_data
        try:
            regulation = services.regulation_publish(
                actor=request.user,
                product=product,
                title=data["title"],
                code=data["code"],
                version=data["version"],
                effective_on=data["effective_on"],
                summary=data["summary"],
                upload=data["file"],
            )
        except DomainError as exc:
            messages.error(request, f"未上传：{exc.message}")
        else:
            messages.success(request, f"生产技术规程“{regulation}”已发布为现行版本。")
    return redirect(f"{reverse('registry:product-detail', args=[pk])}#regulations")


@login_required
def regulation_download(request: AuthedRequest, pk: int, regulation_pk: int) -> HttpResponseBase:
    _staff(request)
    regulation = selectors.regulation_get_for_user(
        user=request.user, product_pk=pk, pk=regulation_pk
    )
    return _regulation_file(regulation)


def public_regulation_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The current regulation of a registered product, for anyone."""
    product = selectors.product_get_public(pk=pk)
    regulation = selectors.regulation_current_public(product=product)
    if regulation is None:
        raise Http404
    return _regulation_file(regulation)
