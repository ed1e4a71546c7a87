"""API v1: 承诺达标合格证 — list, issue, detail, void, the PDF label. Writes take an
`Idempotency-Key` header. Another scope's certificate (or a batch, shipment or test report in
the body that the caller cannot see) is not found."""

from __future__ import annotations

import io
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dibiao.accounts.http import request_user
from dibiao.core.api import ListApi, ScopedRelatedField, int_query_param, validated
from dibiao.core.errors import ForbiddenError
from dibiao.core.idempotency import IDEMPOTENCY_HEADER, idempotent
from dibiao.core.uploads import file_response
from dibiao.production.models import TestReport
from dibiao.trace.certificate_pdf import certificate_pdf_filename, write_certificate_pdf
from dibiao.trace.choices import CertificateBasis, CertificateStatus
from dibiao.trace.models import Batch, ComplianceCertificate, TraceEvent
from dibiao.trace.permissions.certificates import (
    can_issue_certificates,
    can_view_certificates,
)
from dibiao.trace.selectors import certificates as selectors
from dibiao.trace.services import certificates as services

ISSUE_ERRORS = (
    "batch_recalled（409）、batch_test_failed（409）、test_report_failed（409）、"
    "quantity_exceeds_remaining（409）、producer_inactive（409）、test_report_required、"
    "invalid_test_report、invalid_shipment、invalid_quantity、invalid_contact、invalid_basis"
)


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise ForbiddenError(message)


# --- Output --------------------------------------------------------------------------------------


class CertificateOutput(serializers.ModelSerializer[ComplianceCertificate]):
    batch = serializers.SerializerMethodField()
    producer = serializers.SerializerMethodField()
    shipment = serializers.IntegerField(source="shipment_id", read_only=True, allow_null=True)
    test_report = serializers.IntegerField(source="test_report_id", read_only=True, allow_null=True)
    quantity = serializers.DecimalField(max_digits=14, decimal_places=3, read_only=True)
    basis = serializers.ChoiceField(choices=CertificateBasis.choices, read_only=True)
    status = serializers.ChoiceField(choices=CertificateStatus.choices, read_only=True)
    commitment = serializers.SerializerMethodField(help_text="承诺事项（固定内容）")
    public_url = serializers.SerializerMethodField(help_text="合格证公开页面（二维码内容）")
    warnings = serializers.SerializerMethodField(
        help_text="提示，例如联系方式像个人手机号码（合格证会公开展示）"
    )

    class Meta:
        model = ComplianceCertificate
        fields = [
            "id",
            "number",
            "batch",
            "shipment",
            "producer",
            "product_name",
            "quantity",
            "unit",
            "origin",
            "commitment",
            "basis",
            "test_report",
            "contact",
            "issued_at",
            "keep_until",
            "status",
            "void_reason",
            "voided_at",
            "public_url",
            "warnings",
        ]

    @extend_schema_field(
        {"type": "object", "properties": {"id": {"type": "integer"}, "number": {"type": "string"}}}
    )
    def get_batch(self, obj: ComplianceCertificate) -> dict[str, Any]:
        return {"id": obj.batch_id, "number": obj.batch.number}

    @extend_schema_field(
        {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}
    )
    def get_producer(self, obj: ComplianceCertificate) -> dict[str, Any]:
        return {"id": obj.producer_id, "name": obj.producer.name}

    def get_commitment(self, obj: ComplianceCertificate) -> list[str]:
        return [services.COMMITMENT_HEADING, *services.COMMITMENT_ITEMS]

    def get_public_url(self, obj: ComplianceCertificate) -> str:
        request = self.context.get("request")
        origin = services.public_origin(request) if request is not None else ""
        return services.certificate_public_url(obj.number, origin=origin)

    def get_warnings(self, obj: ComplianceCertificate) -> list[str]:
        warning = services.contact_warning(obj.contact)
        return [warning] if warning else []


# --- Input ---------------------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.INT)
class CertificateBatchField(ScopedRelatedField):
    def rows(self, user: Any) -> QuerySet[Batch]:
        return Batch.objects.restrict(user)


@extend_schema_field(OpenApiTypes.INT)
class CertificateShipmentField(ScopedRelatedField):
    def rows(self, user: Any) -> QuerySet[TraceEvent]:
        return TraceEvent.objects.restrict(user)


@extend_schema_field(OpenApiTypes.INT)
class CertificateReportField(ScopedRelatedField):
    def rows(self, user: Any) -> QuerySet[TestReport]:
        return TestReport.objects.restrict(user)


class CertificateIssueInput(serializers.Serializer[Any]):
    batch = CertificateBatchField()
    shipment = CertificateShipmentField(
        required=False,
        allow_null=True,
        default=None,
        help_text="出货事件（销售或运输）；按批次开具时省略",
    )
    quantity = serializers.DecimalField(max_digits=14, decimal_places=3)
    basis = serializers.ChoiceField(choices=CertificateBasis.choices)
    test_report = CertificateReportField(
        required=False,
        allow_null=True,
        default=None,
        help_text="自行检测合格、委托检测合格时必填：该批次或该主体同一产品的合格报告",
    )
    contact = serializers.CharField(max_length=services.MAX_CONTACT, help_text="公开印在合格证上")


class CertificateVoidInput(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=services.MAX_REASON)


class CertificateListParams(serializers.Serializer[Any]):
    q = serializers.CharField(max_length=60, required=False, default="")
    status = serializers.ChoiceField(choices=CertificateStatus.choices, required=False, default="")


def _out(request: Request, pk: int) -> dict[str, Any]:
    certificate = selectors.certificate_get_for_user(user=request.user, pk=pk)
    return dict(CertificateOutput(certificate, context={"request": request}).data)


# --- Endpoints -----------------------------------------------------------------------------------


class CertificateListApi(ListApi):
    serializer_class = CertificateOutput

    @extend_schema(
        parameters=[CertificateListParams, OpenApiParameter("batch", int, description="批次 id")],
        responses=CertificateOutput(many=True),
        summary="承诺达标合格证列表（数据范围内）",
    )
    def get(self, request: Request) -> Response:
        _require(can_view_certificates(request.user), "没有查看合格证的权限。")
        params = CertificateListParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        rows = selectors.certificate_list_for_user(
            user=request.user,
            q=params.validated_data["q"].strip(),
            status=params.validated_data["status"],
            batch_id=int_query_param(request, "batch"),
        )
        return self.page_of(rows)

    @extend_schema(
        request=CertificateIssueInput,
        responses={201: CertificateOutput},
        parameters=[IDEMPOTENCY_HEADER],
        summary="开具承诺达标合格证（经营主体本身，或所在县农业农村部门代开）",
        description=f"错误代码：{ISSUE_ERRORS}。联系方式像个人手机号码时照常开具，并在 warnings 中提示。",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        _require(
            can_issue_certificates(request.user), "只有生产经营主体和县级管理员可以开具合格证。"
        )
        data = validated(CertificateIssueInput, request)
        certificate = services.certificate_issue(actor=request_user(request), **data)
        return Response(_out(request, certificate.pk), status=status.HTTP_201_CREATED)


class CertificateDetailApi(APIView):
    @extend_schema(responses=CertificateOutput, summary="承诺达标合格证详情")
    def get(self, request: Request, pk: int) -> Response:
        _require(can_view_certificates(request.user), "没有查看合格证的权限。")
        return Response(_out(request, pk))


class CertificateVoidApi(APIView):
    @extend_schema(
        request=CertificateVoidInput,
        responses=CertificateOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="作废承诺达标合格证（须填写原因；作废后保留，不可删除）",
        description="错误代码：already_voided（409）、reason_required。",
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        certificate = selectors.certificate_get_for_user(user=request.user, pk=pk)
        data = validated(CertificateVoidInput, request)
        services.certificate_void(
            actor=request_user(request), certificate=certificate, reason=data["reason"]
        )
        return Response(_out(request, pk))


class CertificatePdfApi(APIView):
    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="100×70 毫米标签 PDF，内嵌中文字体与二维码"
            )
        },
        summary="下载承诺达标合格证 PDF",
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        _require(can_view_certificates(request.user), "没有查看合格证的权限。")
        certificate = selectors.certificate_get_for_user(user=request.user, pk=pk)
        buffer = io.BytesIO()
        write_certificate_pdf(buffer, [certificate], origin=services.public_origin(request))
        buffer.seek(0)
        return file_response(
            buffer, filename=certificate_pdf_filename(certificate), content_type="application/pdf"
        )


urlpatterns = [
    path("certificates/", CertificateListApi.as_view(), name="api-certificate-list"),
    path("certificates/<int:pk>/", CertificateDetailApi.as_view(), name="api-certificate-detail"),
    path("certificates/<int:pk>/void/", CertificateVoidApi.as_view(), name="api-certificate-void"),
    path("certificates/<int:pk>/pdf/", CertificatePdfApi.as_view(), name="api-certificate-pdf"),
]
