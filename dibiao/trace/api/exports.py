"""API v1: a batch's trace as a GS1 EPCIS 2.0 JSON-LD document and in the NY/T 4712-2025
national-platform shape, and its submission to the national platform. Scoped: another scope's
batch is a 404. Every export and submission is audited."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dibiao.accounts.http import request_user
from dibiao.core.errors import ForbiddenError
from dibiao.core.idempotency import IDEMPOTENCY_HEADER, idempotent
from dibiao.trace.epcis import CONTENT_TYPE
from dibiao.trace.models import Batch
from dibiao.trace.permissions.certificates import can_export_trace
from dibiao.trace.selectors import certificates as selectors
from dibiao.trace.services import exports
from dibiao.trace.services.certificates import public_origin


def _batch(request: Request, pk: int) -> Batch:
    batch = selectors.export_batch_get_for_user(user=request.user, pk=pk)
    if not can_export_trace(request.user):
        raise ForbiddenError("只有政府部门和生产经营主体可以导出追溯数据。")
    return batch


class BatchEpcisApi(APIView):
    @extend_schema(
        responses={
            (200, CONTENT_TYPE): OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="EPCISDocument（GS1 EPCIS 2.0 JSON-LD），已按 GS1 官方 JSON Schema 校验",
            )
        },
        summary="批次追溯链导出为 GS1 EPCIS 2.0 JSON-LD",
        description="采收为 ObjectEvent ADD（commissioning，含 ilmd）；加工及拆分合并为 "
        "TransformationEvent；收购、储存、运输、销售为 ObjectEvent OBSERVE（receiving、storing、"
        "shipping，含 sourceList/destinationList）。有 GTIN 的批次用 GS1 数字链接标识。",
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        batch = _batch(request, pk)
        document = exports.batch_epcis_export(
            actor=request_user(request), batch=batch, origin=public_origin(request)
        )
        return HttpResponse(
            json.dumps(document, ensure_ascii=False), content_type=f"{CONTENT_TYPE}; charset=utf-8"
        )


class NationalPartyOutput(serializers.Serializer[Any]):
    name = serializers.CharField()
    credit_code = serializers.CharField(allow_null=True)
    division_code = serializers.CharField(allow_null=True)


class NationalLineOutput(serializers.Serializer[Any]):
    trace_code = serializers.CharField(help_text="批次追溯码（批次号）")
    quantity = serializers.CharField()
    unit = serializers.CharField()


class NationalStageOutput(serializers.Serializer[Any]):
    stage = serializers.CharField(help_text="production（种植养殖采收）或追溯环节代码")
    stage_name = serializers.CharField()
    subject = NationalPartyOutput(help_text="主体")
    # A field named "source" shadows Field.source for the type checker only: the serializer
    # metaclass takes declared fields off the class.
    source = NationalPartyOutput(allow_null=True, help_text="来源")  # type: ignore[assignment]
    destination = NationalPartyOutput(allow_null=True, help_text="去向")
    inbound_batches = NationalLineOutput(many=True, help_text="进货批次")
    outbound_batches = NationalLineOutput(many=True, help_text="出货批次（追溯码）")
    time = serializers.DateTimeField()
    place = serializers.CharField()


class NationalDocumentOutput(serializers.Serializer[Any]):
    standard = serializers.CharField()
    format = serializers.CharField()
    generated_at = serializers.DateTimeField()
    trace_code = serializers.CharField()
    product = serializers.DictField()
    batch = serializers.DictField()
    stages = NationalStageOutput(many=True)


class NationalSubmitOutput(serializers.Serializer[Any]):
    accepted = serializers.BooleanField()
    reference = serializers.CharField(help_text="平台回执，或导出文件的位置")
    message = serializers.CharField()


class BatchNationalApi(APIView):
    @extend_schema(
        responses=NationalDocumentOutput,
        summary="批次追溯链导出为国家追溯平台数据（NY/T 4712-2025 环节结构）",
    )
    def get(self, request: Request, pk: int) -> Response:
        batch = _batch(request, pk)
        return Response(exports.batch_national_export(actor=request_user(request), batch=batch))


class BatchNationalSubmitApi(APIView):
    @extend_schema(
        request=None,
        responses=NationalSubmitOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="报送国家追溯平台（经营主体、所在县或省级管理员；默认写入导出文件，不联网）",
        description="错误代码：national_submit_failed（502）。",
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        batch = _batch(request, pk)
        result = exports.batch_national_submit(actor=request_user(request), batch=batch)
        return Response(
            {"accepted": result.accepted, "reference": result.reference, "message": result.message}
        )


urlpatterns = [
    path("batches/<int:pk>/epcis/", BatchEpcisApi.as_view(), name="api-batch-epcis"),
    path("batches/<int:pk>/national/", BatchNationalApi.as_view(), name="api-batch-national"),
    path(
        "batches/<int:pk>/national/submit/",
        BatchNationalSubmitApi.as_view(),
        name="api-batch-national-submit",
    ),
]
