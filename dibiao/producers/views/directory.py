"""Pages of the directory of producers (生产经营主体名录): list, export, detail, create/edit,
status, the audited full view of personal data, and the Excel import."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from dibiao.accounts.http import AuthedRequest
from dibiao.accounts.selectors import division_list_for_user
from dibiao.core.audit import audit_record
from dibiao.core.choices import AuditAction
from dibiao.core.errors import DomainError
from dibiao.core.excel import xlsx_response
from dibiao.core.paging import paginate
from dibiao.producers import selectors
from dibiao.producers.choices import ProducerKind, ProducerStatus
from dibiao.producers.forms import (
    ContactForm,
    ImportForm,
    ProducerForm,
    ProducerStatusForm,
    add_domain_error,
)
from dibiao.producers.imports import DirectoryImport, template_bytes
from dibiao.producers.models import Producer
from dibiao.producers.permissions import (
    can_edit_directory,
    can_edit_producer,
    can_edit_producer_contact,
    can_manage_bases,
    can_view_personal_data,
)
from dibiao.producers.services import directory as services
from dibiao.producers.services.directory import PersonalData
from dibiao.producers.views.common import (
    county_choices,
    flag_param,
    int_param,
    organization_choices,
    require,
    staff,
    xlsx_download,
)

EXPORT_HEADERS = [
    "主体名称",
    "主体类型",
    "统一社会信用代码",
    "身份证号码",
    "法定代表人/负责人",
    "联系人",
    "联系电话",
    "地址",
    "所在县",
    "区划代码",
    "地理标志产品",
    "证书持有人",
    "规模生产经营主体",
    "标志使用主体",
    "状态",
]


def _yes(value: bool) -> str:
    return "是" if value else "否"


def _export_row(p: Producer) -> list[object]:
    # Personal numbers only masked: an export leaves the platform.
    return [
        p.name,
        p.get_kind_display(),
        p.credit_code,
        p.id_number_masked,
        p.legal_representative,
        p.contact_name,
        p.phone_masked,
        p.address,
        p.division.name,
        p.division.code,
        "、".join(product.name for product in p.products.all()),
        _yes(p.is_certificate_holder),
        _yes(p.is_scale_operator),
        _yes(getattr(p, "is_label_user", False)),
        p.get_status_display(),
    ]


def _filtered(request: AuthedRequest) -> Any:
    params = request.GET
    return selectors.producer_list_for_user(
        user=request.user,
        q=params.get("q", "").strip(),
        kind=params.get("kind", ""),
        status=params.get("status", ""),
        division=params.get("division", ""),
        product=int_param(request, "product"),
        label_user=flag_param(request, "label_user"),
    )


@login_required
def producer_list(request: AuthedRequest) -> HttpResponseBase:
    staff(request)
    context = {
        "params": request.GET,
        "kinds": ProducerKind.choices,
        "statuses": ProducerStatus.choices,
        "divisions": division_list_for_user(user=request.user),
        "products": selectors.producer_product_choices(user=request.user),
        "can_create": can_edit_directory(request.user),
        **paginate(request, _filtered(request)),
    }
    return render(request, "producers/producer_list.html", context)


@login_required
def producer_export(request: AuthedRequest) -> HttpResponseBase:
    staff(request)
    producers = _filtered(request)
    # The conditions go to the audit log, which keeps no personal number in clear: a search
    # by full phone or ID number is recorded masked.
    conditions = request.GET.copy()
    if "q" in conditions:
        conditions["q"] = selectors.masked_search_term(request.GET.get("q", "").strip())
    audit_record(
        actor=request.user,
        action=AuditAction.EXPORT,
        object_type=Producer._meta.label_lower,
        detail=(
            f"导出生产经营主体 {producers.count()} 条；"
            f"条件：{conditions.urlencode(safe='*') or '无'}"
        ),
    )
    return xlsx_response(
        filename="生产经营主体名录",
        sheet_title="生产经营主体",
        headers=EXPORT_HEADERS,
        # In chunks: a province-wide export must not hold every row (and its products) at once.
        rows=(_export_row(p) for p in producers.iterator(chunk_size=2000)),
    )


def _detail(
    request: AuthedRequest, producer: Producer, revealed: PersonalData | None = None
) -> HttpResponse:
    user = request.user
    context = {
        "producer": producer,
        "bases": selectors.base_list_for_user(user=user, producer=producer.pk),
        "farmer_rows": selectors.farmer_link_rows(user=user, producer=producer)[:3],
        "can_edit": can_edit_producer(user, producer),
        "can_edit_contact": can_edit_producer_contact(user, producer),
        "can_reveal": can_view_personal_data(user, producer),
        "can_manage": can_manage_bases(user, producer),
        "status_form": ProducerStatusForm(allowed=services.producer_next_statuses(producer)),
        "revealed": revealed,
    }
    return render(request, "producers/producer_detail.html", context)


@login_required
def producer_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    staff(request)
    return _detail(request, selectors.producer_get_for_user(user=request.user, pk=pk))


@require_POST
@login_required
def producer_personal_data(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """查看完整信息: a POST, because every view is audited; the answer is never cached."""
    staff(request)
    producer = selectors.producer_get_for_user(user=request.user, pk=pk)
    revealed = services.producer_reveal_personal_data(actor=request.user, producer=producer)
    response = _detail(request, producer, revealed)
    add_never_cache_headers(response)
    return response


def _producer_form(request: AuthedRequest, producer: Producer | None) -> ProducerForm:
    return ProducerForm(
        request.POST or None,
        producer=producer,
        divisions=county_choices(request.user, also=producer.division if producer else None),
        products=selectors.producer_product_choices(user=request.user),
        organizations=organization_choices(request.user, producer),
    )


@login_required
def producer_create(request: AuthedRequest) -> HttpResponseBase:
    require(can_edit_directory(request.user))
    form = _producer_form(request, None)
    if request.method == "POST" and form.is_valid():
        try:
            producer = services.producer_create(actor=request.user, data=form.to_input())
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"“{producer.name}”已登记。")
            return redirect("producers:producer-detail", pk=producer.pk)
    return render(request, "producers/producer_form.html", {"form": form, "producer": None})


@login_required
def producer_edit(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """The bureau edits the whole entry; the producer itself only its contact details."""
    staff(request)
    producer = selectors.producer_get_for_user(user=request.user, pk=pk)
    full = can_edit_producer(request.user, producer)
    require(full or can_edit_producer_contact(request.user, producer))
    form: ContactForm = (
        _producer_form(request, producer)
        if full
        else ContactForm(request.POST or None, producer=producer, initial=_contact(producer))
    )
    if request.method == "POST" and form.is_valid():
        try:
            _save(request, producer, form)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"“{producer.name}”已保存。")
            return redirect("producers:producer-detail", pk=producer.pk)
    context = {"form": form, "producer": producer, "contact_only": not full}
    return render(request, "producers/producer_form.html", context)


def _contact(producer: Producer) -> dict[str, str]:
    return {"contact_name": producer.contact_name, "address": producer.address}


def _save(request: AuthedRequest, producer: Producer, form: ContactForm) -> None:
    if isinstance(form, ProducerForm):
        services.producer_update(actor=request.user, producer=producer, data=form.to_input())
        return
    services.producer_update_contact(
        actor=request.user,
        producer=producer,
        contact_name=form.cleaned_data["contact_name"],
        phone=form.phone_value(),
        address=form.cleaned_data["address"],
    )


@require_POST
@login_required
def producer_status(request: AuthedRequest, pk: int) -> HttpResponseBase:
    staff(request)
    producer = selectors.producer_get_for_user(user=request.user, pk=pk)
    require(can_edit_producer(request.user, producer))
    form = ProducerStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择新状态。")
    else:
        try:
            producer = services.producer_set_status(
                actor=request.user, producer=producer, **form.cleaned_data
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"主体状态已改为“{producer.get_status_display()}”。")
    return redirect("producers:producer-detail", pk=pk)


@login_required
def producer_import(request: AuthedRequest) -> HttpResponseBase:
    require(can_edit_directory(request.user))
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            report = services.producer_import(
                actor=request.user,
                upload=form.cleaned_data["file"],
                only_valid=form.cleaned_data["only_valid"],
            )
        except DomainError as exc:
            form.add_error("file", exc.message)
    context = {"form": form, "report": report, "columns": DirectoryImport.columns}
    return render(request, "producers/producer_import.html", context)


@login_required
def producer_import_template(request: AuthedRequest) -> HttpResponseBase:
    require(can_edit_directory(request.user))
    return xlsx_download(template_bytes(DirectoryImport), "生产经营主体导入模板.xlsx")


urlpatterns: list[URLPattern] = [
    path("", producer_list, name="producer-list"),
    path("new/", producer_create, name="producer-create"),
    path("export/", producer_export, name="producer-export"),
    path("import/", producer_import, name="producer-import"),
    path("import/template/", producer_import_template, name="producer-import-template"),
    path("<int:pk>/", producer_detail, name="producer-detail"),
    path("<int:pk>/edit/", producer_edit, name="producer-edit"),
    path("<int:pk>/status/", producer_status, name="producer-status"),
    path("<int:pk>/personal-data/", producer_personal_data, name="producer-personal-data"),
]
