"""API v1: farmers driven (带动农户、增收) and the household list (names and ID numbers masked)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.urls import URLPattern, path
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dibiao.accounts.http import request_user
from dibiao.core.api import ListApi, int_query_param, validated
from dibiao.core.idempotency import IDEMPOTENCY_HEADER, idempotent
from dibiao.producers import selectors
from dibiao.producers.api.common import (
    ProducersImportFailedOutput,
    ProducersImportInput,
    ProducersImportReportOutput,
    failed_import,
    report_data,
    require,
)
from dibiao.producers.models import FarmerLink, Household
from dibiao.producers.permissions import can_manage_farmers
from dibiao.producers.services import farmers as services


class FarmerLinkOutput(serializers.ModelSerializer[FarmerLink]):
    per_capita_income = serializers.DecimalField(max_digits=12, decimal_places=2)
    income_growth = serializers.SerializerMethodField(
        help_text="人均可支配收入同比增长（%，一位小数）；上一年度未填报或为 0 时为 null"
    )
    listed_households = serializers.IntegerField(read_only=True, help_text="名单户数")
    listed_people = serializers.IntegerField(read_only=True, help_text="名单人口")

    class Meta:
        model = FarmerLink
        fields = [
            "id",
            "producer",
            "year",
            "households",
            "people",
            "per_capita_income",
            "income_growth",
            "listed_households",
            "listed_people",
            "notes",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(serializers.DecimalField(max_digits=8, decimal_places=1, allow_null=True))
    def get_income_growth(self, obj: FarmerLink) -> str | None:
        previous = getattr(obj, "previous_income", None)  # annotated by the selector
        growth = selectors.income_growth(obj.per_capita_income, previous)
        return None if growth is None else f"{growth}"


class FarmerLinkUpdateInput(serializers.Serializer[Any]):
    households = serializers.IntegerField(min_value=0, max_value=services.MAX_DRIVEN)
    people = serializers.IntegerField(min_value=0, max_value=services.MAX_DRIVEN)
    per_capita_income = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal(0)
    )
    notes = serializers.CharField(required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["people"] < attrs["households"]:
            raise serializers.ValidationError({"people": ["带动人数不应少于带动户数。"]})
        return attrs


class FarmerLinkCreateInput(FarmerLinkUpdateInput):
    year = serializers.IntegerField(min_value=2000, max_value=2100)


def _out(request: Request, pk: int) -> dict[str, Any]:
    return dict(FarmerLinkOutput(selectors.farmer_link_get_for_user(user=request.user, pk=pk)).data)


class FarmerLinkListApi(ListApi):
    serializer_class = FarmerLinkOutput

    @extend_schema(
        responses=FarmerLinkOutput(many=True),
        summary="主体各年度带动农户情况（新年度在前，含同比增长）",
    )
    def get(self, request: Request, pk: int) -> Response:
        producer = selectors.producer_get_for_user(user=request.user, pk=pk)
        return self.page_of(
            selectors.farmer_link_list_for_user(user=request.user, producer=producer.pk)
        )

    @extend_schema(
        request=FarmerLinkCreateInput,
        responses={201: FarmerLinkOutput},
        parameters=[IDEMPOTENCY_HEADER],
        summary="填报某年度带动农户情况（每年一条）",
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        producer = selectors.producer_get_for_user(user=request.user, pk=pk)
        require(can_manage_farmers(request.user, producer), "没有填报该主体带动农户情况的权限。")
        attrs = validated(FarmerLinkCreateInput, request)
        link = services.farmer_link_create(actor=request_user(request), producer=producer, **attrs)
        return Response(_out(request, link.pk), status=status.HTTP_201_CREATED)


class FarmerLinkDetailApi(APIView):
    @extend_schema(responses=FarmerLinkOutput, summary="某年度带动农户情况")
    def get(self, request: Request, pk: int) -> Response:
        return Response(_out(request, pk))

    @extend_schema(
        request=FarmerLinkUpdateInput,
        responses=FarmerLinkOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="修改某年度带动农户情况（年度不能修改）",
    )
    @idempotent
    def patch(self, request: Request, pk: int) -> Response:
        link = selectors.farmer_link_get_for_user(user=request.user, pk=pk)
        require(can_manage_farmers(request.user, link.producer), "没有修改的权限。")
        current = {
            "households": link.households,
            "people": link.people,
            "per_capita_income": link.per_capita_income,
            "notes": link.notes,
        }
        body = request.data if isinstance(request.data, dict) else {}
        data = FarmerLinkUpdateInput(data={**current, **{key: body[key] for key in body}})
        data.is_valid(raise_exception=True)
        services.farmer_link_update(actor=request_user(request), link=link, **data.validated_data)
        return Response(_out(request, pk))


class HouseholdOutput(serializers.ModelSerializer[Household]):
    name = serializers.CharField(source="name_masked", read_only=True, help_text="户主姓名（脱敏）")
    id_number = serializers.CharField(
        source="id_number_masked", read_only=True, help_text="身份证号码（脱敏）"
    )

    class Meta:
        model = Household
        fields = ["id", "producer", "year", "name", "id_number", "village", "members", "income"]


class HouseholdListApi(ListApi):
    serializer_class = HouseholdOutput

    @extend_schema(
        parameters=[
            OpenApiParameter("year", int, description="年度"),
            OpenApiParameter("q", str, description="所在村，或完整身份证号码"),
        ],
        responses=HouseholdOutput(many=True),
        summary="主体的带动农户名单（姓名、身份证号码脱敏）",
    )
    def get(self, request: Request, pk: int) -> Response:
        producer = selectors.producer_get_for_user(user=request.user, pk=pk)
        rows = selectors.household_list_for_user(
            user=request.user,
            producer=producer.pk,
            year=int_query_param(request, "year"),
            q=request.query_params.get("q", "").strip(),
        )
        return self.page_of(rows)


class HouseholdImportInput(ProducersImportInput):
    year = serializers.IntegerField(min_value=2000, max_value=2100)


class HouseholdImportApi(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": HouseholdImportInput},
        responses={200: ProducersImportReportOutput, 400: ProducersImportFailedOutput},
        parameters=[IDEMPOTENCY_HEADER],
        summary="从 Excel 导入某年度带动农户名单：逐行核对；有误时全部不导入（400 附逐行报告），或只导入有效行",
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        producer = selectors.producer_get_for_user(user=request.user, pk=pk)
        require(can_manage_farmers(request.user, producer), "没有导入该主体带动农户名单的权限。")
        attrs = validated(HouseholdImportInput, request)
        report = services.household_import(
            actor=request_user(request),
            producer=producer,
            year=attrs["year"],
            upload=attrs["file"],
            only_valid=attrs["only_valid"],
        )
        if report.errors and not report.committed:
            return Response(failed_import(report), status=status.HTTP_400_BAD_REQUEST)
        return Response(report_data(report))


urlpatterns: list[URLPattern] = [
    path(
        "producers/<int:pk>/farmer-links/",
        FarmerLinkListApi.as_view(),
        name="api-farmer-link-list",
    ),
    path("farmer-links/<int:pk>/", FarmerLinkDetailApi.as_view(), name="api-farmer-link-detail"),
    path(
        "producers/<int:pk>/households/",
        HouseholdListApi.as_view(),
        name="api-household-list",
    ),
    path(
        "producers/<int:pk>/households/import/",
        HouseholdImportApi.as_view(),
        name="api-household-import",
    ),
]
