"""API v1 for authentication, divisions and organizations."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dibiao.accounts import permissions as perms
from dibiao.accounts import selectors, services
from dibiao.accounts.choices import OrganizationKind
from dibiao.accounts.forms import GENERIC_LOGIN_ERROR
from dibiao.accounts.http import request_user
from dibiao.accounts.models import Organization
from dibiao.core.api import ListApi
from dibiao.core.audit import audit_record
from dibiao.core.choices import AuditAction
from dibiao.core.errors import DomainError, ForbiddenError, NotFoundError
from dibiao.core.models import Division


class InvalidCredentials(DomainError):
    def __init__(self) -> None:
        super().__init__("invalid_credentials", GENERIC_LOGIN_ERROR)


class TokenObtainApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    class TokenInputSerializer(serializers.Serializer[Any]):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=256, trim_whitespace=False)

    @extend_schema(
        request=TokenInputSerializer,
        responses={200: inline_serializer("TokenOutput", {"token": serializers.CharField()})},
        summary="用户名和密码换取 API 令牌",
    )
    def post(self, request: Request) -> Response:
        data = self.TokenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # The Django request, not DRF's wrapper: django-axes records the attempt and flags a
        # lockout on the request object that its middleware later inspects.
        user = authenticate(request._request, **data.validated_data)
        if user is None:
            raise InvalidCredentials
        token, _ = Token.objects.get_or_create(user=user)
        audit_record(actor=user, action=AuditAction.LOGIN, obj=user, detail="API 令牌")
        return Response({"token": token.key})


class DivisionOutput(serializers.ModelSerializer[Division]):
    parent_code = serializers.CharField(source="parent.code", default=None, read_only=True)

    class Meta:
        model = Division
        fields = ["code", "name", "level", "parent_code"]


class DivisionListApi(ListApi):
    serializer_class = DivisionOutput

    @extend_schema(
        responses=DivisionOutput(many=True),
        parameters=[OpenApiParameter("level", str, enum=["province", "city", "county"])],
        summary="行政区划（数据范围内）",
    )
    def get(self, request: Request) -> Response:
        return self.page_of(
            selectors.division_list_for_user(
                user=request.user, level=request.query_params.get("level", "")
            )
        )


class DivisionDetailApi(APIView):
    @extend_schema(responses=DivisionOutput, summary="行政区划详情")
    def get(self, request: Request, code: str) -> Response:
        division = selectors.division_list_for_user(user=request.user).filter(code=code).first()
        if division is None:
            raise NotFoundError("未找到该行政区划。")
        return Response(DivisionOutput(division).data)


class OrganizationOutput(serializers.ModelSerializer[Organization]):
    division = serializers.CharField(source="division.code")
    division_name = serializers.CharField(source="division.name")
    phone = serializers.SerializerMethodField()

    class Meta:
        model = Organization
        fields = [
            "id",
            "name",
            "kind",
            "division",
            "division_name",
            "credit_code",
            "contact",
            "phone",
            "address",
            "is_active",
            "created_at",
        ]

    def get_phone(self, obj: Organization) -> str:
        from dibiao.core.masking import mask_phone

        return mask_phone(obj.phone) if obj.phone else ""


class OrganizationInput(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=OrganizationKind.choices)
    division = serializers.SlugRelatedField(slug_field="code", queryset=Division.objects.all())
    credit_code = serializers.CharField(max_length=18, required=False, allow_blank=True)
    contact = serializers.CharField(max_length=50, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


def _require_org_writer(request: Request) -> None:
    if not perms.can_edit_organizations(request.user):
        raise ForbiddenError("只有省级或县级管理员可以维护组织机构。")


class OrganizationListApi(ListApi):
    serializer_class = OrganizationOutput

    @extend_schema(
        responses=OrganizationOutput(many=True),
        parameters=[
            OpenApiParameter("q", str),
            OpenApiParameter("kind", str, enum=OrganizationKind.values),
            OpenApiParameter("division", str, description="区划代码（市代码含其下各县）"),
        ],
        summary="组织机构列表（数据范围内）",
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        organizations = selectors.organization_list_for_user(
            user=request.user,
            q=params.get("q", ""),
            kind=params.get("kind", ""),
            division=params.get("division", ""),
        )
        return self.page_of(organizations)

    @extend_schema(
        request=OrganizationInput, responses={201: OrganizationOutput}, summary="新增组织机构"
    )
    def post(self, request: Request) -> Response:
        _require_org_writer(request)
        data = OrganizationInput(data=request.data)
        data.is_valid(raise_exception=True)
        organization = services.organization_save(
            actor=request_user(request), data=dict(data.validated_data)
        )
        return Response(OrganizationOutput(organization).data, status=status.HTTP_201_CREATED)


class OrganizationDetailApi(APIView):
    @extend_schema(responses=OrganizationOutput, summary="组织机构详情")
    def get(self, request: Request, pk: int) -> Response:
        return Response(
            OrganizationOutput(selectors.organization_get_for_user(user=request.user, pk=pk)).data
        )

    @extend_schema(request=OrganizationInput, responses=OrganizationOutput, summary="修改组织机构")
    def patch(self, request: Request, pk: int) -> Response:
        organization = selectors.organization_get_for_user(user=request.user, pk=pk)
        _require_org_writer(request)
        data = OrganizationInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        organization = services.organization_save(
            actor=request_user(request), organization=organization, data=dict(data.validated_data)
        )
        return Response(OrganizationOutput(organization).data)
