"""API v1: label-use authorizations (标志授权使用). Every write takes an `Idempotency-Key` header
(`@idempotent`). Detail and action handlers fetch through the selector first, so another
scope's authorization is a 404 whatever the caller's role; the services decide who may act."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.urls import path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dibiao.accounts.http import request_user
from dibiao.core.api import ListApi, ScopedRelatedField, int_query_param, validated
from dibiao.core.idempotency import IDEMPOTENCY_HEADER, idempotent
from dibiao.producers import authorization_selectors as selectors
from dibiao.producers.authorization_permissions import available_actions
from dibiao.producers.choices import AuthorizationStatus
from dibiao.producers.models import LabelAuthorization, Producer
from dibiao.producers.services import authorizations as services
from dibiao.registry.choices import ProductStatus
from dibiao.registry.models import GIProduct

ACTIONS = ["holder_review", "county_review", "withdraw", "suspend", "resume", "revoke"]


# --- Output ----------------------------------------------------------------------------------


class AuthorizationRefOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class AuthorizationUserRef(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="__str__", read_only=True)


class AuthorizationOutput(serializers.ModelSerializer[LabelAuthorization]):
    producer = AuthorizationRefOutput(read_only=True)
    division = serializers.CharField(source="producer.division.code", read_only=True)
    division_name = serializers.CharField(source="producer.division.name", read_only=True)
    product = AuthorizationRefOutput(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    valid_today = serializers.BooleanField(source="is_valid_today", read_only=True)
    applied_by = AuthorizationUserRef(read_only=True, allow_null=True)
    actions = serializers.SerializerMethodField(help_text="调用者当前可执行的操作")

    class Meta:
        model = LabelAuthorization
        fields = [
            "id",
            "number",
            "producer",
            "division",
            "division_name",
            "product",
            "year",
            "status",
            "status_display",
            "status_reason",
            "status_changed_at",
            "valid_today",
            "requested_quantity",
            "authorized_quantity",
            "scope",
            "valid_from",
            "valid_until",
            "qualifications",
            "production_plan",
            "quality_measures",
            "commitment",
            "applied_at",
            "applied_by",
            "holder_reviewed_at",
            "holder_comment",
            "county_reviewed_at",
            "county_comment",
            "actions",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=ACTIONS)))
    def get_actions(self, obj: LabelAuthorization) -> list[str]:
        request = self.context.get("request")
        if request is None:
            return []
        return sorted(available_actions(request.user, obj))


class PublicAuthorizedUserOutput(serializers.Serializer[LabelAuthorization]):
    producer_name = serializers.CharField(source="producer.name", read_only=True)
    county = serializers.SerializerMethodField()
    number = serializers.CharField(read_only=True)
    valid_from = serializers.DateField(read_only=True)
    valid_until = serializers.DateField(read_only=True)
    scope = serializers.CharField(read_only=True)

    def get_county(self, obj: LabelAuthorization) -> str:
        division = obj.producer.division
        return f"{division.parent.name if division.parent else ''}{division.name}"


def _out(request: Request, pk: int) -> dict[str, Any]:
    authorization = selectors.authorization_get_for_user(user=request.user, pk=pk)
    return dict(AuthorizationOutput(authorization, context={"request": request}).data)


# --- Input -----------------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.INT)
class ApplicantField(ScopedRelatedField):
    """Only the entities the caller may apply for exist here."""

    def rows(self, user: Any) -> QuerySet[Producer]:
        return selectors.applicant_choices_for_user(user=user)


@extend_schema_field(OpenApiTypes.INT)
class ProductField(ScopedRelatedField):
    """Registered products are public; others only within the caller's scope."""

    def rows(self, user: Any) -> QuerySet[GIProduct]:
        return GIProduct.objects.filter(
            Q(status=ProductStatus.REGISTERED)
            | Q(pk__in=GIProduct.objects.restrict(user).values("pk"))
        )


class AuthorizationApplyInput(serializers.Serializer[Any]):
    producer = ApplicantField(help_text="申请主体 id（本主体，或县级管理员所在县的主体）")
    product = ProductField(help_text="地理标志产品 id（须为该主体生产的已登记产品）")
    year = serializers.IntegerField(
        min_value=2000, max_value=2100, help_text="生产年度：当年或次年"
    )
    qualifications = serializers.CharField(max_length=services.TEXT_MAX_LENGTH)
    production_plan = serializers.CharField(max_length=services.TEXT_MAX_LENGTH)
    quality_measures = serializers.CharField(max_length=services.TEXT_MAX_LENGTH)
    requested_quantity = serializers.IntegerField(min_value=1, max_value=services.MAX_LABELS)
    scope = serializers.CharField(max_length=services.SCOPE_MAX_LENGTH, help_text="规格、包装形式")
    commitment = serializers.BooleanField(
        default=False, help_text="书面承诺，须为 true（否则 400 commitment_required）"
    )


class AuthorizationHolderReviewInput(serializers.Serializer[Any]):
    approve = serializers.BooleanField(help_text="true：同意并报县级审核；false：驳回")
    comment = serializers.CharField(
        max_length=services.TEXT_MAX_LENGTH, required=False, allow_blank=True, default=""
    )


class AuthorizationCountyReviewInput(AuthorizationHolderReviewInput):
    approve = serializers.BooleanField(help_text="true：批准并签订协议；false：驳回")
    authorized_quantity = serializers.IntegerField(
        min_value=1,
        max_value=services.MAX_LABELS,
        required=False,
        allow_null=True,
        default=None,
        help_text="授权标志数量；省略即按申请数量",
    )
    scope = serializers.CharField(
        max_length=services.SCOPE_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="使用范围；省略即按申请",
    )


class AuthorizationReasonInput(serializers.Serializer[Any]):
    reason = serializers.CharField(
        max_length=services.TEXT_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="理由（暂停、撤销时必填，否则 400 reason_required）",
    )


# --- Endpoints -------------------------------------------------------------------------------


class AuthorizationListApi(ListApi):
    serializer_class = AuthorizationOutput

    @extend_schema(
        parameters=[
            OpenApiParameter("product", int, description="地理标志产品 id"),
            OpenApiParameter("year", int, description="生产年度"),
            OpenApiParameter("status", str, enum=AuthorizationStatus.values),
            OpenApiParameter("valid", bool, description="true：仅今日有效的"),
            OpenApiParameter("q", str, description="主体名称或协议编号"),
        ],
        responses=AuthorizationOutput(many=True),
        summary="标志使用授权列表（数据范围内）",
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        status_value = params.get("status", "")
        if status_value and status_value not in AuthorizationStatus.values:
            raise serializers.ValidationError({"status": ["未知的状态。"]})
        rows = selectors.authorization_list_for_user(
            user=request.user,
            product=int_query_param(request, "product"),
            year=int_query_param(request, "year"),
            status=status_value,
            valid_on=timezone.localdate()
            if params.get("valid", "") in ("1", "true", "yes")
            else None,
            q=params.get("q", "").strip()[:100],
        )
        return self.page_of(rows)

    @extend_schema(
        request=AuthorizationApplyInput,
        responses={201: AuthorizationOutput},
        parameters=[IDEMPOTENCY_HEADER],
        summary="申请使用地理标志（生产经营主体，或县级管理员代为申请）",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = validated(AuthorizationApplyInput, request)
        authorization = services.authorization_apply(actor=request_user(request), **data)
        return Response(_out(request, authorization.pk), status=status.HTTP_201_CREATED)


class AuthorizationDetailApi(APIView):
    @extend_schema(responses=AuthorizationOutput, summary="标志使用授权详情")
    def get(self, request: Request, pk: int) -> Response:
        return Response(_out(request, pk))


class AuthorizationHolderReviewApi(APIView):
    @extend_schema(
        request=AuthorizationHolderReviewInput,
        responses=AuthorizationOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="证书持有人审核（同意报县级，或驳回并说明理由）",
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        authorization = selectors.authorization_get_for_user(user=request.user, pk=pk)
        data = validated(AuthorizationHolderReviewInput, request)
        services.authorization_holder_review(
            actor=request_user(request), authorization=authorization, **data
        )
        return Response(_out(request, pk))


class AuthorizationCountyReviewApi(APIView):
    @extend_schema(
        request=AuthorizationCountyReviewInput,
        responses=AuthorizationOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="县级审核（批准即生成协议编号、授权数量与有效期，或驳回并说明理由）",
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        authorization = selectors.authorization_get_for_user(user=request.user, pk=pk)
        data = validated(AuthorizationCountyReviewInput, request)
        services.authorization_county_review(
            actor=request_user(request), authorization=authorization, **data
        )
        return Response(_out(request, pk))


def _reasoned_action(request: Request, pk: int, service: Any) -> Response:
    """Suspend, resume, revoke or withdraw: `service` takes actor, authorization and reason."""
    authorization = selectors.authorization_get_for_user(user=request.user, pk=pk)
    data = validated(AuthorizationReasonInput, request)
    service(actor=request_user(request), authorization=authorization, reason=data["reason"])
    return Response(_out(request, pk))


def _reasoned(summary: str) -> Any:
    return extend_schema(
        request=AuthorizationReasonInput,
        responses=AuthorizationOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary=summary,
    )


class AuthorizationSuspendApi(APIView):
    @_reasoned("暂停授权（县级管理员或省级管理员，须填写理由；即时生效）")
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        return _reasoned_action(request, pk, services.authorization_suspend)


class AuthorizationResumeApi(APIView):
    @_reasoned("恢复已暂停的授权（县级管理员或省级管理员）")
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        return _reasoned_action(request, pk, services.authorization_resume)


class AuthorizationRevokeApi(APIView):
    @_reasoned("撤销授权（县级管理员或省级管理员，须填写理由；不可恢复）")
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        return _reasoned_action(request, pk, services.authorization_revoke)


class AuthorizationWithdrawApi(APIView):
    @_reasoned("撤回审核中的申请（申请方）")
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        return _reasoned_action(request, pk, services.authorization_withdraw)


class PublicAuthorizedUserListApi(ListApi):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    serializer_class = PublicAuthorizedUserOutput

    @extend_schema(
        auth=[],
        responses=PublicAuthorizedUserOutput(many=True),
        summary="公开：某地理标志产品今日有效的授权用标主体（无个人信息）",
    )
    def get(self, request: Request, pk: int) -> Response:
        product = selectors.public_product(pk=pk)
        return self.page_of(selectors.authorization_list_public(product=product))


urlpatterns = [
    path(
        "label-authorizations/",
        AuthorizationListApi.as_view(),
        name="api-authorization-list",
    ),
    path(
        "label-authorizations/<int:pk>/",
        AuthorizationDetailApi.as_view(),
        name="api-authorization-detail",
    ),
    path(
        "label-authorizations/<int:pk>/holder-review/",
        AuthorizationHolderReviewApi.as_view(),
        name="api-authorization-holder-review",
    ),
    path(
        "label-authorizations/<int:pk>/county-review/",
        AuthorizationCountyReviewApi.as_view(),
        name="api-authorization-county-review",
    ),
    path(
        "label-authorizations/<int:pk>/suspend/",
        AuthorizationSuspendApi.as_view(),
        name="api-authorization-suspend",
    ),
    path(
        "label-authorizations/<int:pk>/resume/",
        AuthorizationResumeApi.as_view(),
        name="api-authorization-resume",
    ),
    path(
        "label-authorizations/<int:pk>/revoke/",
        AuthorizationRevokeApi.as_view(),
        name="api-authorization-revoke",
    ),
    path(
        "label-authorizations/<int:pk>/withdraw/",
        AuthorizationWithdrawApi.as_view(),
        name="api-authorization-withdraw",
    ),
    path(
        "public/products/<int:pk>/authorized-users/",
        PublicAuthorizedUserListApi.as_view(),
        name="api-public-authorized-users",
    ),
]
