"""API v1 for the GI product registry."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dibiao.accounts import permissions as perms
from dibiao.accounts.http import request_user
from dibiao.accounts.models import Organization
from dibiao.core.api import ListApi
from dibiao.core.errors import ForbiddenError
from dibiao.core.geometry import validate_polygon_text
from dibiao.core.models import Division
from dibiao.registry import selectors, services
from dibiao.registry.choices import ProductCategory, ProductStatus
from dibiao.registry.models import GIProduct, TechnicalRegulation, certificate_number_validator
from dibiao.registry.permissions import can_publish_regulation


class DivisionRef(serializers.ModelSerializer[Division]):
    class Meta:
        model = Division
        fields = ["code", "name", "level"]


class OrganizationRef(serializers.ModelSerializer[Organization]):
    class Meta:
        model = Organization
        fields = ["id", "name"]


class ProductOutput(serializers.ModelSerializer[GIProduct]):
    # Method fields, not CharField(source="get_..._display"): DRF inspects a callable source's
    # signature on every row, which showed in the national-scale benchmark's profile.
    category_display = serializers.SerializerMethodField()
    status_display = serializers.SerializerMethodField()
    divisions = DivisionRef(many=True, read_only=True)
    certificate_holder = OrganizationRef(read_only=True, allow_null=True)

    class Meta:
        model = GIProduct
        fields = [
            "id",
            "name",
            "category",
            "category_display",
            "subcategory",
            "certificate_number",
            "qc_spec_number",
            "registration_year",
            "announcement",
            "certificate_holder",
            "divisions",
            "protected_area",
            "protected_area_boundary",
            "min_longitude",
            "max_longitude",
            "min_latitude",
            "max_latitude",
            "quality_characteristics",
            "story",
            "notes",
            "sources",
            "status",
            "status_display",
            "created_at",
            "updated_at",
        ]

    def get_category_display(self, obj: GIProduct) -> str:
        return str(obj.get_category_display())

    def get_status_display(self, obj: GIProduct) -> str:
        return str(obj.get_status_display())


@extend_schema_field(OpenApiTypes.INT)
class ScopedHolderField(serializers.PrimaryKeyRelatedField[Organization]):
    """An organization outside the caller's scope reads as "does not exist", exactly like a
    missing id, so that organization ids cannot be probed across counties."""

    def get_queryset(self) -> QuerySet[Organization]:
        # The product's current holder is always a valid answer: on a product shared with
        # another county it may sit there, and a client echoing it back changes nothing.
        visible = Organization.objects.restrict(self.context["request"].user)
        current = self.context.get("current_holder_id")
        return visible | Organization.objects.filter(pk=current) if current else visible


class ProductInput(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100)
    category = serializers.ChoiceField(choices=ProductCategory.choices)
    subcategory = serializers.CharField(max_length=50, required=False, allow_blank=True)
    certificate_number = serializers.CharField(
        max_length=8, required=False, allow_blank=True, validators=[certificate_number_validator]
    )
    qc_spec_number = serializers.CharField(max_length=40, required=False, allow_blank=True)
    registration_year = serializers.IntegerField(
        min_value=2007, max_value=2100, required=False, allow_null=True
    )
    announcement = serializers.CharField(max_length=200, required=False, allow_blank=True)
    certificate_holder = ScopedHolderField(required=False, allow_null=True)
    divisions = serializers.SlugRelatedField(
        slug_field="code", queryset=Division.objects.all(), many=True
    )
    protected_area = serializers.CharField(required=False, allow_blank=True)
    protected_area_boundary = serializers.CharField(
        required=False,
        allow_blank=True,
        validators=[validate_polygon_text],
        help_text="地域保护范围边界：WGS-84 经纬度的 GeoJSON 面（Polygon/MultiPolygon）",
    )
    min_longitude = serializers.DecimalField(
        9, 6, required=False, allow_null=True, min_value=-180, max_value=180
    )
    max_longitude = serializers.DecimalField(
        9, 6, required=False, allow_null=True, min_value=-180, max_value=180
    )
    min_latitude = serializers.DecimalField(
        8, 6, required=False, allow_null=True, min_value=-90, max_value=90
    )
    max_latitude = serializers.DecimalField(
        8, 6, required=False, allow_null=True, min_value=-90, max_value=90
    )
    quality_characteristics = serializers.CharField(required=False, allow_blank=True)
    story = serializers.CharField(required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    sources = serializers.CharField(required=False, allow_blank=True)


def _require_writer(request: Request) -> None:
    if not perms.can_edit_products(request.user):
        raise ForbiddenError("只有省级或县级管理员可以维护地理标志产品。")


def _save(request: Request, product: GIProduct | None, *, partial: bool) -> GIProduct:
    context = {
        "request": request,
        "current_holder_id": product.certificate_holder_id if product else None,
    }
    data = ProductInput(data=request.data, partial=partial, context=context)
    data.is_valid(raise_exception=True)
    values = dict(data.validated_data)
    divisions = values.pop("divisions", None)
    return services.product_save(
        actor=request_user(request), product=product, data=values, divisions=divisions
    )


class ProductListApi(ListApi):
    serializer_class = ProductOutput

    @extend_schema(
        responses=ProductOutput(many=True),
        parameters=[
            OpenApiParameter("q", str, description="名称、证书编号或持有人"),
            OpenApiParameter("category", str, enum=ProductCategory.values),
            OpenApiParameter("status", str, enum=ProductStatus.values),
            OpenApiParameter("division", str, description="区划代码（市代码含其下各县）"),
        ],
        summary="地理标志产品列表（数据范围内）",
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        products = selectors.product_list_for_user(
            user=request.user,
            q=params.get("q", ""),
            category=params.get("category", ""),
            status=params.get("status", ""),
            division=params.get("division", ""),
        )
        return self.page_of(products)

    @extend_schema(request=ProductInput, responses={201: ProductOutput}, summary="新增地理标志产品")
    def post(self, request: Request) -> Response:
        _require_writer(request)
        product = _save(request, None, partial=False)
        product = selectors.product_get_for_user(user=request.user, pk=product.pk)
        return Response(ProductOutput(product).data, status=status.HTTP_201_CREATED)


class ProductDetailApi(APIView):
    @extend_schema(responses=ProductOutput, summary="地理标志产品详情")
    def get(self, request: Request, pk: int) -> Response:
        return Response(
            ProductOutput(selectors.product_get_for_user(user=request.user, pk=pk)).data
        )

    @extend_schema(
        request=ProductInput, responses=ProductOutput, summary="修改地理标志产品（部分字段）"
    )
    def patch(self, request: Request, pk: int) -> Response:
        product = selectors.product_get_for_user(user=request.user, pk=pk)
        _require_writer(request)
        _save(request, product, partial=True)
        return Response(
            ProductOutput(selectors.product_get_for_user(user=request.user, pk=pk)).data
        )


class ProductStatusApi(APIView):
    class StatusInputSerializer(serializers.Serializer[Any]):
        status = serializers.ChoiceField(choices=ProductStatus.choices)
        reason = serializers.CharField(max_length=500)

    @extend_schema(
        request=StatusInputSerializer,
        responses=ProductOutput,
        summary="变更产品状态（已登记 ↔ 已注销），须填写原因；不允许的变更返回 409",
    )
    def post(self, request: Request, pk: int) -> Response:
        product = selectors.product_get_for_user(user=request.user, pk=pk)
        _require_writer(request)
        data = self.StatusInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.product_set_status(
            actor=request_user(request), product=product, **data.validated_data
        )
        return Response(
            ProductOutput(selectors.product_get_for_user(user=request.user, pk=pk)).data
        )


# --- Production regulations (生产技术规程) ------------------------------------------------------


class RegulationOutput(serializers.ModelSerializer[TechnicalRegulation]):
    status_display = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField(help_text="下载地址（需登录）；没有文件时为空")
    supersedes = serializers.PrimaryKeyRelatedField[TechnicalRegulation](
        read_only=True, help_text="替代的版本 id"
    )

    class Meta:
        model = TechnicalRegulation
        fields = [
            "id",
            "product",
            "title",
            "code",
            "version",
            "effective_on",
            "summary",
            "status",
            "status_display",
            "supersedes",
            "download_url",
            "uploaded_at",
        ]

    def get_status_display(self, obj: TechnicalRegulation) -> str:
        return str(obj.get_status_display())

    def get_download_url(self, obj: TechnicalRegulation) -> str:
        if not obj.file:
            return ""
        return reverse("registry:regulation-download", args=[obj.product_id, obj.pk])


class RegulationInput(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=200)
    code = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    version = serializers.CharField(max_length=20)
    effective_on = serializers.DateField()
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    file = serializers.FileField(help_text="规程全文，PDF（按内容判断）")


class RegulationListApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        responses=RegulationOutput(many=True),
        summary="产品的生产技术规程各版本（现行版本在前）",
    )
    def get(self, request: Request, pk: int) -> Response:
        product = selectors.product_get_for_user(user=request.user, pk=pk)
        rows = selectors.regulation_list_for_product(user=request.user, product=product)
        return Response(RegulationOutput(rows, many=True).data)

    @extend_schema(
        request={"multipart/form-data": RegulationInput},
        responses={201: RegulationOutput},
        summary="上传生产技术规程新版本（PDF）：成为现行版本，原现行版本改为已替代",
    )
    def post(self, request: Request, pk: int) -> Response:
        product = selectors.product_get_for_user(user=request.user, pk=pk)
        if not can_publish_regulation(request.user, product):
            raise ForbiddenError(
                "只有省级管理员、产品所在县的县级管理员和证书持有人可以上传生产技术规程。"
            )
        data = RegulationInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        regulation = services.regulation_publish(
            actor=request_user(request), product=product, upload=values.pop("file"), **values
        )
        return Response(RegulationOutput(regulation).data, status=status.HTTP_201_CREATED)
