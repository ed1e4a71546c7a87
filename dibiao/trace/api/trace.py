"""API v1: `GET /api/v1/trace/<code>` — the scan page's facts as JSON, for anyone.

No authentication at all (not merely AllowAny): a consumer app sends no token, and skipping the
authenticators saves their work on every request of the busiest endpoint. The throttle is the
scan service's own per-network limit (TraceSettings.scans_per_minute), answered as
429 {"code": "rate_limited"} with Retry-After. The serializers below only describe the answer
for the OpenAPI schema: the view returns the facts dict as it is, the same dict the page renders,
and a GET skips DRF's request cycle (see `TraceCodeApi.dispatch`).
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import re_path
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from dibiao.production.choices import TestResult
from dibiao.trace.choices import CodeStatus
from dibiao.trace.clients import client_info
from dibiao.trace.errors import TraceError
from dibiao.trace.services.scans import scan_check


class TraceProductOutput(serializers.Serializer[Any]):
    name = serializers.CharField()
    category = serializers.CharField()
    certificate_number = serializers.CharField(help_text="农产品地理标志登记证书编号")
    summary = serializers.CharField(help_text="品质特色（摘要）")
    story = serializers.CharField(help_text="历史文化（摘要）")
    url = serializers.CharField(help_text="公开产品页（路径）；未登记的产品为空")


class TracePlaceOutput(serializers.Serializer[Any]):
    name = serializers.CharField()
    county = serializers.CharField(help_text="所在市县")


class TraceBatchOutput(serializers.Serializer[Any]):
    number = serializers.CharField()
    harvest_date = serializers.DateField()
    quantity = serializers.CharField()
    unit = serializers.CharField()
    grade = serializers.CharField(help_text="等级；未定级为空")
    status = serializers.CharField()
    status_label = serializers.CharField()


class TraceRecallOutput(serializers.Serializer[Any]):
    recalled_at = serializers.CharField()
    reason = serializers.CharField()


class TraceTestItemOutput(serializers.Serializer[Any]):
    name = serializers.CharField()
    value = serializers.CharField()
    unit = serializers.CharField()
    limit = serializers.CharField(help_text="限量，如“≤ 0.5”；无限量为空")
    passed = serializers.BooleanField()


class TraceTestOutput(serializers.Serializer[Any]):
    report_number = serializers.CharField()
    kind = serializers.CharField()
    result = serializers.ChoiceField(choices=TestResult.choices)
    result_label = serializers.CharField()
    lab = serializers.CharField(help_text="检测机构")
    tested_on = serializers.DateField()
    items = TraceTestItemOutput(many=True, help_text="主要检测项目（不合格项在前）")
    items_total = serializers.IntegerField()


class TraceCertificateOutput(serializers.Serializer[Any]):
    number = serializers.CharField()
    basis = serializers.CharField()
    basis_label = serializers.CharField(help_text="承诺依据")
    issued_at = serializers.DateField()
    url = serializers.CharField(help_text="合格证公开页（路径）")


class TraceTimelineOutput(serializers.Serializer[Any]):
    when = serializers.DateTimeField()
    stage = serializers.CharField(help_text="环节：采收、收购、储存、运输、加工、销售")
    who = serializers.CharField(help_text="经营主体名称")
    place = serializers.CharField()
    description = serializers.CharField()


class TraceScansOutput(serializers.Serializer[Any]):
    count = serializers.IntegerField(help_text="此码被查询的次数（含本次）")
    first_at = serializers.DateTimeField(help_text="首次查询时间")


class TraceLedgerOutput(serializers.Serializer[Any]):
    index = serializers.IntegerField(allow_null=True, help_text="账本叶序号；排队中为 null")
    pending = serializers.BooleanField(help_text="已提交、正在记入账本（尚无序号）")
    url = serializers.CharField(help_text="账本叶公开页（路径）；排队中为空")


class TraceFactsOutput(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=CodeStatus.choices)
    status_label = serializers.CharField()
    headline = serializers.CharField()
    advice = serializers.CharField(help_text="消费者应当怎么做")
    code = serializers.CharField(help_text="分组显示的追溯码；无法解析时为空")
    product = TraceProductOutput(allow_null=True)
    producer = TracePlaceOutput(allow_null=True)
    base = TracePlaceOutput(allow_null=True)
    batch = TraceBatchOutput(allow_null=True)
    recall = TraceRecallOutput(allow_null=True, help_text="批次已召回时的召回通知")
    tests = TraceTestOutput(many=True)
    certificates = TraceCertificateOutput(many=True, help_text="有效的承诺达标合格证")
    timeline = TraceTimelineOutput(many=True)
    ledger = TraceLedgerOutput(
        allow_null=True, help_text="批次最近一次记入可验证账本的位置；未记入为 null"
    )
    scans = TraceScansOutput(allow_null=True, help_text="无法识别的码为 null")


class TraceErrorOutput(serializers.Serializer[Any]):
    code = serializers.CharField()
    message = serializers.CharField()


def _facts_response(request: HttpRequest, code: str) -> HttpResponse:
    try:
        facts = scan_check(text=code[:64], client=client_info(request), via_api=True)
    except TraceError as exc:
        # The project's API error shape ({"code", "message"}, Retry-After on a 429), as
        # core/api.py's exception handler writes it for the other endpoints.
        response = _json({"code": exc.code, "message": exc.message}, status=exc.status)
        if exc.retry_after is not None:
            response["Retry-After"] = str(exc.retry_after)
        return response
    return _json(facts)


def _json(data: dict[str, Any], *, status: int = 200) -> HttpResponse:
    # What DRF's JSONRenderer writes (UTF-8, compact), without its negotiation and rendering.
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    response = HttpResponse(body, content_type="application/json", status=status)
    response["Cache-Control"] = "no-store"
    return response


class TraceCodeApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes: list[Any] = []
    renderer_classes = [JSONRenderer]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # The busiest endpoint, benchmarked against a minimal Django view: a GET goes straight
        # to the scan service. Everything DRF's request cycle would do here is empty anyway —
        # no authentication, AllowAny, no DRF throttle (the scan service limits per network),
        # JSON only — and costs a third of the request. Other methods take DRF's path
        # (OPTIONS, 405).
        if request.method == "GET":
            return _facts_response(request, kwargs["code"])
        return super().dispatch(request, *args, **kwargs)

    @extend_schema(
        summary="查询追溯码（公开，无需登录）：真伪、产品、批次、检测、合格证、追溯记录",
        description=(
            "与扫码页 /t/<code> 同一份数据。status：genuine 正品、unknown 无法识别、voided 已作废、"
            "not_activated 尚未激活、suspicious 疑似仿冒。每次查询都被记录（不含个人信息），"
            "同一网络每分钟查询次数有上限，超过返回 429 rate_limited 与 Retry-After。"
        ),
        auth=[],
        parameters=[
            OpenApiParameter("lat", float, description="可选：客户端自愿提供的纬度（保留到 0.1°）"),
            OpenApiParameter("lon", float, description="可选：客户端自愿提供的经度（保留到 0.1°）"),
        ],
        responses={
            200: TraceFactsOutput,
            429: OpenApiResponse(TraceErrorOutput, description="查询过于频繁（rate_limited）"),
        },
    )
    def get(self, request: Request, code: str) -> HttpResponseBase:
        # Reached only when DRF dispatches (never for a real GET, see `dispatch`); it is what
        # the OpenAPI schema describes.
        return _facts_response(request._request, code)


# Codes only (16–40 characters of the code alphabet, dashes allowed), so that the other trace
# routes (trace/alerts/, trace/batches/ …) can never be taken for a code.
CODE_PATTERN = r"(?P<code>[0-9A-Za-z*~$=-]{16,40})"

urlpatterns = [
    re_path(rf"^trace/{CODE_PATTERN}$", TraceCodeApi.as_view(), name="api-trace-code"),
]
