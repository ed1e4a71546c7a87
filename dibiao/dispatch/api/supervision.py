"""API v1 of supervision (督导检查): inspection visits and notices of criticism (通报).

Another scope's visit or notice is a 404; a program or visit id in a body the caller cannot see
is refused like a missing id (400 `invalid`); a division outside the caller's scope is
`400 division_out_of_scope`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dibiao.accounts.http import request_user
from dibiao.core.api import ListApi
from dibiao.core.errors import ForbiddenError
from dibiao.core.idempotency import IDEMPOTENCY_HEADER, idempotent
from dibiao.core.models import Division
from dibiao.dispatch import selectors, services
from dibiao.dispatch.api.common import (
    DispatchDivisionRef,
    DispatchUserRef,
    ScopedField,
    int_param,
    valid,
)
from dibiao.dispatch.choices import NoticeStatus
from dibiao.dispatch.models import CriticismNotice, InspectionVisit
from dibiao.dispatch.permissions import can_supervise
from dibiao.projects.models import Program

_SUPERVISORS_ONLY = "只有市级或省级管理员可以开展督导检查和通报。"


def _require_supervisor(request: Request) -> None:
    if not can_supervise(request.user):
        raise ForbiddenError(_SUPERVISORS_ONLY)


# --- Output --------------------------------------------------------------------------------


class InspectionOutput(serializers.ModelSerializer[InspectionVisit]):
    division = DispatchDivisionRef(read_only=True)
    recorded_by = DispatchUserRef(read_only=True)

    class Meta:
        model = InspectionVisit
        fields = [
            "id",
            "program",
            "division",
            "visited_on",
            "inspectors",
            "findings",
            "recommendations",
            "recorded_by",
            "recorded_at",
        ]


class CriticismNoticeOutput(serializers.ModelSerializer[CriticismNotice]):
    division = DispatchDivisionRef(read_only=True)
    issuer_division = DispatchDivisionRef(read_only=True)
    issued_by = DispatchUserRef(read_only=True)
    rectified_by = DispatchUserRef(read_only=True, allow_null=True)
    closed_by = DispatchUserRef(read_only=True, allow_null=True)
    status_display = serializers.SerializerMethodField()
    is_overdue = serializers.SerializerMethodField(help_text="整改中且已过整改期限（按今天计算）")
    rectified_late = serializers.BooleanField(read_only=True)

    class Meta:
        model = CriticismNotice
        fields = [
            "id",
            "program",
            "division",
            "inspection",
            "title",
            "issues",
            "issued_on",
            "rectify_by",
            "status",
            "status_display",
            "is_overdue",
            "issuer_division",
            "issued_by",
            "issued_at",
            "rectification_report",
            "rectified_on",
            "rectified_by",
            "rectified_late",
            "closed_on",
            "closed_by",
            "review_note",
        ]

    def get_status_display(self, obj: CriticismNotice) -> str:
        return str(obj.get_status_display())

    def get_is_overdue(self, obj: CriticismNotice) -> bool:
        return obj.is_overdue


# --- Input ---------------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.INT)
class ScopedProgramField(ScopedField):
    def rows(self, user: Any) -> QuerySet[Program]:
        return selectors.supervision_programs_for_user(user=user)


@extend_schema_field(OpenApiTypes.INT)
class ScopedInspectionField(ScopedField):
    def rows(self, user: Any) -> QuerySet[InspectionVisit]:
        return selectors.inspection_list_for_user(user=user)


def _division_field(help_text: str) -> serializers.SlugRelatedField[Division]:
    return serializers.SlugRelatedField(
        slug_field="code", queryset=Division.objects.all(), help_text=help_text
    )


class InspectionInput(serializers.Serializer[Any]):
    program = ScopedProgramField()
    division = _division_field("被检查地区代码（承担本工程项目的实施地区）")
    visited_on = serializers.DateField()
    inspectors = serializers.CharField(max_length=300)
    findings = serializers.CharField()
    recommendations = serializers.CharField(required=False, allow_blank=True, default="")


class CriticismNoticeInput(serializers.Serializer[Any]):
    program = ScopedProgramField()
    division = _division_field("被通报地区代码（承担本工程项目的实施地区）")
    inspection = ScopedInspectionField(required=False, allow_null=True, default=None)
    title = serializers.CharField(max_length=200)
    issues = serializers.CharField()
    issued_on = serializers.DateField()
    rectify_by = serializers.DateField(help_text="整改期限，不早于通报日期")


def _program_filter(request: Request) -> Program | None:
    program_id = int_param(request, "program")
    if program_id is None:
        return None
    return selectors.dispatch_program_for_user(user=request.user, pk=program_id)


# --- Views ---------------------------------------------------------------------------------


class InspectionListApi(ListApi):
    serializer_class = InspectionOutput

    @extend_schema(
        responses=InspectionOutput(many=True),
        parameters=[OpenApiParameter("program", int, description="保护工程 id")],
        summary="督导检查记录（数据范围内）",
    )
    def get(self, request: Request) -> Response:
        return self.page_of(
            selectors.inspection_list_for_user(user=request.user, program=_program_filter(request))
        )

    @extend_schema(
        request=InspectionInput,
        responses={201: InspectionOutput},
        parameters=[IDEMPOTENCY_HEADER],
        summary="登记督导检查（市级、省级管理员）",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        _require_supervisor(request)
        data = valid(InspectionInput, request)
        visit = services.inspection_record(actor=request_user(request), **data)
        out = selectors.inspection_get_for_user(user=request.user, pk=visit.pk)
        return Response(InspectionOutput(out).data, status=status.HTTP_201_CREATED)


class InspectionDetailApi(APIView):
    @extend_schema(responses=InspectionOutput, summary="督导检查详情")
    def get(self, request: Request, pk: int) -> Response:
        visit = selectors.inspection_get_for_user(user=request.user, pk=pk)
        return Response(InspectionOutput(visit).data)


def _notice_out(request: Request, pk: int) -> dict[str, Any]:
    return dict(CriticismNoticeOutput(selectors.notice_get_for_user(user=request.user, pk=pk)).data)


class NoticeListApi(ListApi):
    serializer_class = CriticismNoticeOutput

    @extend_schema(
        responses=CriticismNoticeOutput(many=True),
        parameters=[
            OpenApiParameter("program", int, description="保护工程 id"),
            OpenApiParameter("status", str, enum=NoticeStatus.values),
            OpenApiParameter("overdue", bool, description="true：只列逾期未整改的"),
        ],
        summary="通报列表（数据范围内）",
    )
    def get(self, request: Request) -> Response:
        overdue = request.query_params.get("overdue", "").lower() in ("1", "true")
        rows = selectors.notice_list_for_user(
            user=request.user,
            program=_program_filter(request),
            status=request.query_params.get("status", ""),
            overdue_on=timezone.localdate() if overdue else None,
        )
        return self.page_of(rows)

    @extend_schema(
        request=CriticismNoticeInput,
        responses={201: CriticismNoticeOutput},
        parameters=[IDEMPOTENCY_HEADER],
        summary="发出通报并限期整改（市级、省级管理员）",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        _require_supervisor(request)
        data = valid(CriticismNoticeInput, request)
        notice = services.notice_issue(actor=request_user(request), **data)
        return Response(_notice_out(request, notice.pk), status=status.HTTP_201_CREATED)


class NoticeDetailApi(APIView):
    @extend_schema(responses=CriticismNoticeOutput, summary="通报详情")
    def get(self, request: Request, pk: int) -> Response:
        return Response(_notice_out(request, pk))


class NoticeRectifyInput(serializers.Serializer[Any]):
    report = serializers.CharField()


class NoticeCloseInput(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class NoticeReturnInput(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=500)
    rectify_by = serializers.DateField(required=False, allow_null=True, default=None)


class NoticeRectifyApi(APIView):
    InputSerializer = NoticeRectifyInput

    @extend_schema(
        request=InputSerializer,
        responses=CriticismNoticeOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="报送整改情况（被通报地区的县级管理员）：整改中 → 已整改（待验收）",
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        notice = selectors.notice_get_for_user(user=request.user, pk=pk)
        data = valid(self.InputSerializer, request)
        services.notice_rectify(actor=request_user(request), notice=notice, **data)
        return Response(_notice_out(request, pk))


class NoticeCloseApi(APIView):
    InputSerializer = NoticeCloseInput

    @extend_schema(
        request=InputSerializer,
        responses=CriticismNoticeOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="验收整改并销号（通报单位或其上级）：已整改 → 已销号",
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        notice = selectors.notice_get_for_user(user=request.user, pk=pk)
        data = valid(self.InputSerializer, request)
        services.notice_close(actor=request_user(request), notice=notice, **data)
        return Response(_notice_out(request, pk))


class NoticeReturnApi(APIView):
    InputSerializer = NoticeReturnInput

    @extend_schema(
        request=InputSerializer,
        responses=CriticismNoticeOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="退回整改（通报单位或其上级，须填写原因，可给新的整改期限）：已整改 → 整改中",
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        notice = selectors.notice_get_for_user(user=request.user, pk=pk)
        data = valid(self.InputSerializer, request)
        services.notice_return(actor=request_user(request), notice=notice, **data)
        return Response(_notice_out(request, pk))
