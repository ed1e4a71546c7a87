"""API v1: the directory of producers (生产经营主体名录). Phone and ID numbers are always masked
here; the full values only through `GET /producers/<id>/personal-data/`, which is audited."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dibiao.accounts.http import request_user
from dibiao.core.api import ListApi, int_query_param, validated
from dibiao.core.idempotency import IDEMPOTENCY_HEADER, idempotent
from dibiao.core.models import Division
from dibiao.producers import selectors
from dibiao.producers.api.common import (
    ProducersImportFailedOutput,
    ProducersImportInput,
    ProducersImportReportOutput,
    ProducersRefOutput,
    ScopedOrganizationField,
    ScopedProductField,
    failed_import,
    report_data,
    require,
)
from dibiao.producers.choices import ProducerKind, ProducerStatus
from dibiao.producers.models import Producer
from dibiao.producers.permissions import (
    can_edit_directory,
    can_edit_producer,
    can_edit_producer_contact,
)
from dibiao.producers.rules import (
    clean_credit_code,
    clean_id_number,
    clean_phone,
    identity_message,
    needs_credit_code,
)
from dibiao.producers.services import directory as services
from dibiao.producers.services.directory import ProducerInput

CONTACT_FIELDS = frozenset({"contact_name", "phone", "address"})


class ProducerOutput(serializers.ModelSerializer[Producer]):
    kind_display = serializers.SerializerMethodField()
    status_display = serializers.SerializerMethodField()
    id_number = serializers.CharField(source="id_number_masked", read_only=True)
    phone = serializers.CharField(source="phone_masked", read_only=True)
    division = serializers.CharField(source="division.code", read_only=True)
    division_name = serializers.CharField(source="division.name", read_only=True)
    products = ProducersRefOutput(many=True, read_only=True)
    is_label_user = serializers.SerializerMethodField(
        help_text="主体状态正常且持有今日有效的标志使用授权"
    )

    class Meta:
        model = Producer
        fields = [
            "id",
            "name",
            "kind",
            "kind_display",
            "credit_code",
            "id_number",
            "legal_representative",
            "contact_name",
            "phone",
            "address",
            "division",
            "division_name",
            "products",
            "is_certificate_holder",
            "is_scale_operator",
            "is_label_user",
            "organization",
            "status",
            "status_display",
            "created_at",
            "updated_at",
        ]

    def get_kind_display(self, obj: Producer) -> str:
        return str(obj.get_kind_display())

    def get_status_display(self, obj: Producer) -> str:
        return str(obj.get_status_display())

    def get_is_label_user(self, obj: Producer) -> bool:
        return bool(getattr(obj, "is_label_user", False))


class ProducerWriteInput(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=ProducerKind.choices)
    credit_code = serializers.CharField(
        max_length=30, required=False, allow_blank=True, help_text="企业、合作社、家庭农场必填"
    )
    id_number = serializers.CharField(
        max_length=30,
        required=False,
        allow_blank=True,
        help_text="种养大户、个体农户必填；修改时不传则保持不变",
    )
    legal_representative = serializers.CharField(max_length=50, required=False, allow_blank=True)
    contact_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    phone = serializers.CharField(
        max_length=30, required=False, allow_blank=True, help_text="修改时不传则保持不变"
    )
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    division = serializers.SlugRelatedField(
        slug_field="code", queryset=Division.objects.all(), help_text="所在县的 6 位区划代码"
    )
    products = ScopedProductField(many=True, required=False, help_text="地理标志产品 id 列表")
    is_certificate_holder = serializers.BooleanField(required=False, default=False)
    is_scale_operator = serializers.BooleanField(required=False, default=False)
    organization = ScopedOrganizationField(
        required=False, allow_null=True, help_text="平台账号所属机构 id"
    )

    def validate_credit_code(self, value: str) -> str:
        return clean_credit_code(value)

    def validate_id_number(self, value: str) -> str:
        return clean_id_number(value)

    def validate_phone(self, value: str) -> str:
        return clean_phone(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        current: Producer | None = self.context.get("producer")
        kind = attrs.get("kind", current.kind if current else "")
        field, message = identity_message(kind)
        if needs_credit_code(kind):
            code = attrs["credit_code"] if "credit_code" in attrs else getattr(current, field, "")
            if not code:
                raise serializers.ValidationError({field: [message]})
        elif not attrs.get("id_number") and not (current and current.id_number_digest):
            raise serializers.ValidationError({field: [message]})
        return attrs


def _input(attrs: dict[str, Any], current: Producer | None) -> ProducerInput:
    """The service's input: what was sent, over the entry's current values (PATCH)."""

    def value(name: str, default: Any) -> Any:
        return attrs.get(name, default)

    return ProducerInput(
        name=value("name", current.name if current else ""),
        kind=value("kind", current.kind if current else ""),
        division=value("division", current.division if current else None),
        credit_code=value("credit_code", current.credit_code if current else ""),
        id_number=attrs.get("id_number") or (None if current else ""),
        legal_representative=value(
            "legal_representative", current.legal_representative if current else ""
        ),
        contact_name=value("contact_name", current.contact_name if current else ""),
        phone=attrs.get("phone", None if current else ""),
        address=value("address", current.address if current else ""),
        products=value("products", list(current.products.all()) if current else []),
        is_certificate_holder=value(
            "is_certificate_holder", current.is_certificate_holder if current else False
        ),
        is_scale_operator=value(
            "is_scale_operator", current.is_scale_operator if current else False
        ),
        organization=value("organization", current.organization if current else None),
    )


def _out(request: Request, pk: int) -> dict[str, Any]:
    return dict(ProducerOutput(selectors.producer_get_for_user(user=request.user, pk=pk)).data)


class ProducerListApi(ListApi):
    serializer_class = ProducerOutput

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="名称、信用代码；或完整的手机号、身份证号码"),
            OpenApiParameter("kind", str, enum=ProducerKind.values),
            OpenApiParameter("status", str, enum=ProducerStatus.values),
            OpenApiParameter("division", str, description="区划代码（市代码含其下各县）"),
            OpenApiParameter("product", int, description="地理标志产品 id"),
            OpenApiParameter("label_user", bool, description="是否为标志使用主体"),
        ],
        responses=ProducerOutput(many=True),
        summary="生产经营主体列表（数据范围内，个人信息脱敏）",
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        label_user = params.get("label_user", "").lower()
        rows = selectors.producer_list_for_user(
            user=request.user,
            q=params.get("q", "").strip(),
            kind=params.get("kind", ""),
            status=params.get("status", ""),
            division=params.get("division", ""),
            product=int_query_param(request, "product"),
            label_user={"true": True, "1": True, "false": False, "0": False}.get(label_user),
        )
        return self.page_of(rows)

    @extend_schema(
        request=ProducerWriteInput,
        responses={201: ProducerOutput},
        parameters=[IDEMPOTENCY_HEADER],
        summary="登记生产经营主体（县级管理员在本县，省级管理员在全省）",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        require(can_edit_directory(request.user), "只有县级管理员和省级管理员可以登记主体。")
        attrs = validated(ProducerWriteInput, request)
        producer = services.producer_create(actor=request_user(request), data=_input(attrs, None))
        return Response(_out(request, producer.pk), status=status.HTTP_201_CREATED)


class ProducerDetailApi(APIView):
    @extend_schema(responses=ProducerOutput, summary="生产经营主体详情（个人信息脱敏）")
    def get(self, request: Request, pk: int) -> Response:
        return Response(_out(request, pk))

    @extend_schema(
        request=ProducerWriteInput(partial=True),
        responses=ProducerOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="修改生产经营主体（主体本身只能修改联系人、联系电话、地址）",
    )
    @idempotent
    def patch(self, request: Request, pk: int) -> Response:
        producer = selectors.producer_get_for_user(user=request.user, pk=pk)
        actor = request_user(request)
        full = can_edit_producer(actor, producer)
        require(full or can_edit_producer_contact(actor, producer), "没有修改该主体的权限。")
        data = ProducerWriteInput(
            data=request.data, partial=True, context={"request": request, "producer": producer}
        )
        data.is_valid(raise_exception=True)
        attrs = dict(data.validated_data)
        if full:
            services.producer_update(actor=actor, producer=producer, data=_input(attrs, producer))
        else:
            require(set(attrs) <= CONTACT_FIELDS, "主体本身只能修改联系人、联系电话和地址。")
            services.producer_update_contact(
                actor=actor,
                producer=producer,
                contact_name=attrs.get("contact_name", producer.contact_name),
                phone=attrs.get("phone"),
                address=attrs.get("address", producer.address),
            )
        return Response(_out(request, pk))


class ProducerStatusInput(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=ProducerStatus.choices)
    reason = serializers.CharField(
        max_length=300, required=False, allow_blank=True, help_text="暂停或注销时必填"
    )


class ProducerStatusApi(APIView):
    @extend_schema(
        request=ProducerStatusInput,
        responses=ProducerOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="变更主体状态（正常、暂停、注销；注销后不能恢复）",
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        producer = selectors.producer_get_for_user(user=request.user, pk=pk)
        require(
            can_edit_producer(request.user, producer), "只有本县管理员和省级管理员可以变更状态。"
        )
        attrs = validated(ProducerStatusInput, request)
        services.producer_set_status(actor=request_user(request), producer=producer, **attrs)
        return Response(_out(request, pk))


class ProducerPersonalDataOutput(serializers.Serializer[Any]):
    phone = serializers.CharField(help_text="完整联系电话")
    id_number = serializers.CharField(help_text="完整身份证号码")


class ProducerPersonalDataApi(APIView):
    @extend_schema(
        responses=ProducerPersonalDataOutput,
        summary="查看完整个人信息（本县管理员、省级管理员和主体本身；每次查看记入审计日志）",
    )
    def get(self, request: Request, pk: int) -> Response:
        producer = selectors.producer_get_for_user(user=request.user, pk=pk)
        data = services.producer_reveal_personal_data(
            actor=request_user(request), producer=producer
        )
        response = Response(ProducerPersonalDataOutput(data).data)
        response["Cache-Control"] = "no-store"
        return response


class ProducerImportApi(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": ProducersImportInput},
        responses={200: ProducersImportReportOutput, 400: ProducersImportFailedOutput},
        parameters=[IDEMPOTENCY_HEADER],
        summary="从 Excel 导入生产经营主体：逐行核对；有误时全部不导入（400 附逐行报告），或只导入有效行",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        require(can_edit_directory(request.user), "只有县级管理员和省级管理员可以导入主体。")
        attrs = validated(ProducersImportInput, request)
        report = services.producer_import(
            actor=request_user(request), upload=attrs["file"], only_valid=attrs["only_valid"]
        )
        if report.errors and not report.committed:
            return Response(failed_import(report), status=status.HTTP_400_BAD_REQUEST)
        return Response(report_data(report))


urlpatterns: list[URLPattern] = [
    path("producers/", ProducerListApi.as_view(), name="api-producer-list"),
    path("producers/import/", ProducerImportApi.as_view(), name="api-producer-import"),
    path("producers/<int:pk>/", ProducerDetailApi.as_view(), name="api-producer-detail"),
    path("producers/<int:pk>/status/", ProducerStatusApi.as_view(), name="api-producer-status"),
    path(
        "producers/<int:pk>/personal-data/",
        ProducerPersonalDataApi.as_view(),
        name="api-producer-personal-data",
    ),
]
