"""API v1: test reports (检验检测报告 / 营养品质评价报告) — list, detail, record, correct, the
report PDF (upload and download), regrade. Writes take an `Idempotency-Key` header. Another
scope's report is a 404; ids in a body the caller may not pick read as "does not exist"."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dibiao.accounts.http import request_user
from dibiao.accounts.models import Organization
from dibiao.core.api import ListApi, ScopedRelatedField, validated
from dibiao.core.errors import ForbiddenError
from dibiao.core.idempotency import IDEMPOTENCY_HEADER, idempotent
from dibiao.core.uploads import file_response, open_stored
from dibiao.producers.models import Producer, ProductionBase
from dibiao.production import selectors
from dibiao.production.choices import TestItemCategory, TestKind, TestResult
from dibiao.production.errors import ProductionError
from dibiao.production.models import GradeStandard, TestItem, TestReport
from dibiao.production.permissions import (
    can_correct_report,
    can_record_tests,
    can_regrade_report,
    lab_organization_ids,
)
from dibiao.production.services import grading, test_reports
from dibiao.registry.models import GIProduct

__test__ = False  # an API module whose name starts with "test_": not pytest's

REPORT_ERRORS = (
    "duplicate_report_number（409，同一检测机构报告编号重复）、invalid_dates、invalid_base、"
    "invalid_lab、invalid_product、invalid_producer、items_required、duplicate_item、"
    "invalid_item、invalid_value"
)


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise ForbiddenError(message)


def _decimal(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=4, **kwargs)


# --- Output ------------------------------------------------------------------------------------


class TestReportRefOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class TestReportGradeOutput(serializers.ModelSerializer[GradeStandard]):
    class Meta:
        model = GradeStandard
        fields = ["id", "name", "rank"]


class TestItemOutput(serializers.ModelSerializer[TestItem]):
    value = _decimal(read_only=True)
    limit_min = _decimal(read_only=True, allow_null=True)
    limit_max = _decimal(read_only=True, allow_null=True)
    passed = serializers.BooleanField(read_only=True, help_text="检测值在限量之内（含端点）")

    class Meta:
        model = TestItem
        fields = [
            "id",
            "name",
            "category",
            "value",
            "unit",
            "limit_min",
            "limit_max",
            "method",
            "passed",
        ]


class TestReportOutput(serializers.ModelSerializer[TestReport]):
    lab = TestReportRefOutput(read_only=True)
    product = TestReportRefOutput(read_only=True)
    producer = TestReportRefOutput(read_only=True)
    base = TestReportRefOutput(read_only=True, allow_null=True)
    result = serializers.ChoiceField(
        choices=TestResult.choices, read_only=True, help_text="由检测项目判定：任一项目超限即不合格"
    )
    grade = TestReportGradeOutput(
        read_only=True, allow_null=True, help_text="评定时的等级；修改分级方案后需重新评定才会变化"
    )
    file_url = serializers.SerializerMethodField()
    recorded_by = serializers.SerializerMethodField()
    items = TestItemOutput(many=True, read_only=True)

    class Meta:
        model = TestReport
        fields = [
            "id",
            "kind",
            "lab",
            "report_number",
            "product",
            "producer",
            "base",
            "sample_code",
            "batch_code",
            "sampled_on",
            "tested_on",
            "result",
            "grade",
            "notes",
            "file_url",
            "items",
            "recorded_by",
            "created_at",
        ]

    def get_recorded_by(self, obj: TestReport) -> str:
        return str(obj.recorded_by) if obj.recorded_by else ""

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_file_url(self, obj: TestReport) -> str | None:
        return reverse("api-test-report-file", args=[obj.pk]) if obj.file else None


# --- Input -------------------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.INT)
class ReportLabField(ScopedRelatedField):
    def rows(self, user: Any) -> QuerySet[Organization]:
        return selectors.report_lab_choices(user=user)


@extend_schema_field(OpenApiTypes.INT)
class SampleProductField(ScopedRelatedField):
    def rows(self, user: Any) -> QuerySet[GIProduct]:
        return selectors.sample_product_choices(user=user)


@extend_schema_field(OpenApiTypes.INT)
class SampleProducerField(ScopedRelatedField):
    def rows(self, user: Any) -> QuerySet[Producer]:
        return selectors.sample_producer_choices(user=user)


@extend_schema_field(OpenApiTypes.INT)
class SampleBaseField(ScopedRelatedField):
    """Any base of a producer the caller may sample; the service checks it is the sampled
    producer's base of the product (`invalid_base`)."""

    def rows(self, user: Any) -> QuerySet[ProductionBase]:
        return ProductionBase.objects.filter(
            producer__in=selectors.sample_producer_choices(user=user)
        )


class TestItemInput(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100)
    category = serializers.ChoiceField(
        choices=TestItemCategory.choices, default=TestItemCategory.SAFETY
    )
    value = _decimal()
    unit = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    limit_min = _decimal(required=False, allow_null=True, default=None)
    limit_max = _decimal(required=False, allow_null=True, default=None)
    method = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


def _items_field(**kwargs: Any) -> serializers.ListField:
    return serializers.ListField(
        child=TestItemInput(),
        allow_empty=False,
        max_length=test_reports.MAX_ITEMS,
        help_text="检测项目（至少一项）；是否合格、结论和等级由系统判定",
        **kwargs,
    )


class TestReportInput(serializers.Serializer[Any]):
    lab = ReportLabField(
        required=False,
        help_text="检测机构；检测机构用户只属于一个机构时可省略，省级管理员代录时必填",
    )
    kind = serializers.ChoiceField(choices=TestKind.choices)
    report_number = serializers.CharField(max_length=60)
    product = SampleProductField()
    producer = SampleProducerField(help_text="受检主体；检测机构可选择本省任一主体")
    base = SampleBaseField(required=False, allow_null=True, default=None)
    sample_code = serializers.CharField(max_length=60)
    batch_code = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    sampled_on = serializers.DateField()
    tested_on = serializers.DateField(help_text="不早于抽样日期，不晚于今天")
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    items = _items_field()


class TestReportPatchInput(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=TestKind.choices, required=False)
    report_number = serializers.CharField(max_length=60, required=False)
    product = SampleProductField(required=False)
    producer = SampleProducerField(required=False)
    base = SampleBaseField(required=False, allow_null=True)
    sample_code = serializers.CharField(max_length=60, required=False)
    batch_code = serializers.CharField(max_length=60, required=False, allow_blank=True)
    sampled_on = serializers.DateField(required=False)
    tested_on = serializers.DateField(required=False)
    notes = serializers.CharField(required=False, allow_blank=True)
    items = _items_field(required=False)


class TestReportListParams(serializers.Serializer[Any]):
    product = serializers.IntegerField(required=False, min_value=1, max_value=selectors.MAX_ID)
    producer = serializers.IntegerField(required=False, min_value=1, max_value=selectors.MAX_ID)
    result = serializers.ChoiceField(choices=TestResult.choices, required=False)
    kind = serializers.ChoiceField(choices=TestKind.choices, required=False)
    grade = serializers.CharField(max_length=20, required=False)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    q = serializers.CharField(max_length=60, required=False)


def _report_out(request: Request, pk: int) -> dict[str, Any]:
    report = selectors.test_report_get_for_user(user=request.user, pk=pk)
    return dict(TestReportOutput(report, context={"request": request}).data)


def _lab_for(request: Request, data: dict[str, Any]) -> Organization:
    if data.get("lab") is not None:
        lab: Organization = data["lab"]
        return lab
    # Only a lab's own user may leave the lab out; the province always names the lab it
    # records for.
    own = lab_organization_ids(request.user)
    labs = list(selectors.report_lab_choices(user=request.user).filter(pk__in=own)[:2])
    if len(labs) != 1:
        raise ProductionError("invalid_lab", "请用 lab 指定检测机构。")
    return labs[0]


# --- Endpoints ---------------------------------------------------------------------------------


class TestReportListApi(ListApi):
    serializer_class = TestReportOutput

    @extend_schema(
        parameters=[TestReportListParams],
        responses=TestReportOutput(many=True),
        summary="检测报告列表（数据范围内：检测机构看本机构的，主体看本主体的，政府用户看辖区的）",
        description=f"grade 为等级名称，或 {selectors.GRADE_NONE} 表示无等级；"
        "date_from/date_to 限定检测日期；q 搜索报告编号、样品编号、批次号和主体名称。",
    )
    def get(self, request: Request) -> Response:
        params = TestReportListParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        filters = selectors.ReportFilters(**params.validated_data)
        rows = selectors.test_report_list_for_user(user=request.user, filters=filters)
        return self.page_of(rows.prefetch_related("items"))

    @extend_schema(
        request=TestReportInput,
        responses={201: TestReportOutput},
        parameters=[IDEMPOTENCY_HEADER],
        summary="录入检测报告（检测机构；省级管理员可代检测机构录入）",
        description=f"报告 PDF 另用 file 接口上传。错误代码：{REPORT_ERRORS}。",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        require(can_record_tests(request.user), "只有检测机构和省级管理员可以录入检测报告。")
        data = validated(TestReportInput, request)
        report = test_reports.test_report_create(
            actor=request_user(request),
            lab=_lab_for(request, data),
            kind=data["kind"],
            report_number=data["report_number"],
            product=data["product"],
            producer=data["producer"],
            base=data["base"],
            sample_code=data["sample_code"],
            batch_code=data["batch_code"],
            sampled_on=data["sampled_on"],
            tested_on=data["tested_on"],
            notes=data["notes"],
            items=data["items"],
            upload=None,
        )
        return Response(_report_out(request, report.pk), status=status.HTTP_201_CREATED)


class TestReportDetailApi(APIView):
    @extend_schema(responses=TestReportOutput, summary="检测报告详情（含检测项目）")
    def get(self, request: Request, pk: int) -> Response:
        return Response(_report_out(request, pk))

    @extend_schema(
        request=TestReportPatchInput,
        responses=TestReportOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="更正检测报告（仅出具报告的检测机构）；给出 items 即整体替换并重新判定结论和等级",
        description=f"错误代码：{REPORT_ERRORS}。",
    )
    @idempotent
    def patch(self, request: Request, pk: int) -> Response:
        report = selectors.test_report_get_for_user(user=request.user, pk=pk)
        require(can_correct_report(request.user, report), "只有出具该报告的检测机构可以更正报告。")
        data = dict(validated(TestReportPatchInput, request))
        items = data.pop("items", None)
        test_reports.test_report_update(
            actor=request_user(request), report=report, data=data, items=items, upload=None
        )
        return Response(_report_out(request, pk))


class TestReportFileInput(serializers.Serializer[Any]):
    # Empty files reach the service, which answers with its coded `empty_file`.
    file = serializers.FileField(allow_empty_file=True, use_url=False, help_text="报告 PDF")


class TestReportFileApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="报告 PDF，以附件下载，带 nosniff"
            )
        },
        summary="下载检测报告 PDF（数据范围内；未上传为 404）",
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        report = selectors.test_report_get_for_user(user=request.user, pk=pk)
        return file_response(
            open_stored(report.file),
            filename=f"检测报告-{report.report_number}.pdf",
            content_type="application/pdf",
        )

    @extend_schema(
        request={"multipart/form-data": TestReportFileInput},
        responses=TestReportOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="上传或替换检测报告 PDF（仅出具报告的检测机构；按内容识别，只接受 PDF）",
        description="错误代码：empty_file、file_too_large、file_type_not_allowed。",
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        report = selectors.test_report_get_for_user(user=request.user, pk=pk)
        require(
            can_correct_report(request.user, report), "只有出具该报告的检测机构可以上传报告文件。"
        )
        data = validated(TestReportFileInput, request)
        test_reports.test_report_update(
            actor=request_user(request), report=report, data={}, items=None, upload=data["file"]
        )
        return Response(_report_out(request, pk))


class TestReportRegradeApi(APIView):
    @extend_schema(
        request=None,
        responses=TestReportOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="按现行分级方案重新评定该报告的等级（出具报告的检测机构或分级方案的管理者；记入审计日志）",
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        report = selectors.test_report_get_for_user(user=request.user, pk=pk)
        require(can_regrade_report(request.user, report), "您不能重新评定该报告的等级。")
        grading.test_report_regrade(report=report, actor=request_user(request))
        return Response(_report_out(request, pk))


urlpatterns = [
    path("test-reports/", TestReportListApi.as_view(), name="api-test-report-list"),
    path("test-reports/<int:pk>/", TestReportDetailApi.as_view(), name="api-test-report-detail"),
    path("test-reports/<int:pk>/file/", TestReportFileApi.as_view(), name="api-test-report-file"),
    path(
        "test-reports/<int:pk>/regrade/",
        TestReportRegradeApi.as_view(),
        name="api-test-report-regrade",
    ),
]
