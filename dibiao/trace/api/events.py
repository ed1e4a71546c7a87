"""API v1: trace events (收购, 储存, 运输, 加工, 销售) — list, detail, record. Writes take an
`Idempotency-Key` header. Another scope's event is a 404; batch, producer and destination ids
the caller may not pick read as "does not exist"."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dibiao.accounts.choices import Role
from dibiao.accounts.http import request_user
from dibiao.accounts.permissions import has_role
from dibiao.core.api import ListApi, ScopedRelatedField, validated
from dibiao.core.idempotency import IDEMPOTENCY_HEADER, idempotent
from dibiao.producers.models import Producer
from dibiao.trace.api.batches import BatchRefOutput, require
from dibiao.trace.choices import TraceStage
from dibiao.trace.errors import TraceError
from dibiao.trace.models import Batch, TraceEvent, TraceEventInput, TraceEventOutput
from dibiao.trace.permissions.batches import can_keep_batches, can_view_batches
from dibiao.trace.selectors import batches as selectors
from dibiao.trace.services import events as services

EVENT_ERRORS = (
    "invalid_stage、inputs_required、duplicate_input、invalid_quantity、outputs_required、"
    "destination_required、destination_is_self、destination_inactive、input_not_held、"
    "batch_recalled（409）、over_consumption（409）、event_before_batch、event_in_future、"
    "mixed_products、mixed_units、output_exceeds_input、output_unit_required、producer_inactive"
)


def _quantity(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=3, **kwargs)


# --- Output ------------------------------------------------------------------------------------


class TraceEventLineBatchOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    number = serializers.CharField()
    unit = serializers.CharField()


class TraceEventInputLineOutput(serializers.ModelSerializer[TraceEventInput]):
    batch = TraceEventLineBatchOutput(read_only=True)
    quantity = _quantity(read_only=True)

    class Meta:
        model = TraceEventInput
        fields = ["batch", "quantity"]


class TraceEventOutputLineOutput(serializers.ModelSerializer[TraceEventOutput]):
    batch = TraceEventLineBatchOutput(read_only=True)
    quantity = _quantity(read_only=True)

    class Meta:
        model = TraceEventOutput
        fields = ["batch", "quantity"]


class TraceEventDetailOutput(serializers.ModelSerializer[TraceEvent]):
    producer = BatchRefOutput(read_only=True)
    destination = BatchRefOutput(read_only=True, allow_null=True)
    stage_display = serializers.CharField(source="get_stage_display", read_only=True)
    inputs = TraceEventInputLineOutput(many=True, read_only=True)
    outputs = TraceEventOutputLineOutput(many=True, read_only=True)

    class Meta:
        model = TraceEvent
        fields = [
            "id",
            "stage",
            "stage_display",
            "occurred_at",
            "producer",
            "source_name",
            "destination",
            "destination_name",
            "place",
            "notes",
            "inputs",
            "outputs",
            "created_at",
        ]


# --- Input -------------------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.INT)
class EventProducerField(ScopedRelatedField):
    def rows(self, user: Any) -> QuerySet[Producer]:
        return selectors.event_producer_choices(user=user)


@extend_schema_field(OpenApiTypes.INT)
class DestinationField(ScopedRelatedField):
    def rows(self, user: Any) -> QuerySet[Producer]:
        return selectors.destination_choices()


@extend_schema_field(OpenApiTypes.INT)
class InputBatchField(ScopedRelatedField):
    """Batches in the caller's scope; the service checks holder, status and quantity."""

    def rows(self, user: Any) -> QuerySet[Batch]:
        return Batch.objects.restrict(user)


class TraceEventInputLineInput(serializers.Serializer[Any]):
    batch = InputBatchField()
    quantity = _quantity(min_value=0)


class TraceEventOutputLineInput(serializers.Serializer[Any]):
    quantity = _quantity(min_value=0)
    unit = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")


class TraceEventCreateInput(serializers.Serializer[Any]):
    producer = EventProducerField(
        required=False, help_text="记录主体；生产经营主体可省略（即本主体），县级管理员须指定"
    )
    stage = serializers.ChoiceField(choices=TraceStage.choices)
    occurred_at = serializers.DateTimeField()
    inputs = TraceEventInputLineInput(many=True, help_text="投入批次与数量（不超过剩余数量）")
    outputs = TraceEventOutputLineInput(
        many=True,
        required=False,
        default=list,
        help_text="产出的新批次；储存、运输、收购、销售可省略",
    )
    destination = DestinationField(
        required=False,
        allow_null=True,
        default=None,
        help_text="名录内的去向主体：产出批次归其所有",
    )
    destination_name = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )
    source_name = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )
    place = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class TraceEventListParams(serializers.Serializer[Any]):
    q = serializers.CharField(max_length=60, required=False)
    stage = serializers.ChoiceField(choices=TraceStage.choices, required=False)
    batch = serializers.IntegerField(required=False, min_value=1, max_value=selectors.MAX_ID)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)


def _event_out(request: Request, pk: int) -> dict[str, Any]:
    return dict(TraceEventDetailOutput(selectors.event_get_for_user(user=request.user, pk=pk)).data)


def _producer_for(request: Request, data: dict[str, Any]) -> Producer:
    if data.get("producer") is not None:
        producer: Producer = data["producer"]
        return producer
    # Only a producer's own entry is implied; a county bureau always names the producer.
    own = list(selectors.event_producer_choices(user=request.user)[:2])
    if not has_role(request.user, Role.PRODUCER) or len(own) != 1:
        raise TraceError("producer_required", "请用 producer 指定记录主体。")
    return own[0]


# --- Endpoints ---------------------------------------------------------------------------------


class EventListApi(ListApi):
    serializer_class = TraceEventDetailOutput

    @extend_schema(
        parameters=[TraceEventListParams],
        responses=TraceEventDetailOutput(many=True),
        summary="追溯事件列表（记录主体、去向主体及其辖区政府用户可见）",
        description="q 搜索批次号、主体、来源、去向和地点；batch 限定投入或产出该批次的事件。",
    )
    def get(self, request: Request) -> Response:
        require(can_view_batches(request.user), "没有查看追溯事件的权限。")
        params = TraceEventListParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        filters = selectors.EventFilters(**params.validated_data)
        return self.page_of(selectors.event_list_for_user(user=request.user, filters=filters))

    @extend_schema(
        request=TraceEventCreateInput,
        responses={201: TraceEventDetailOutput},
        parameters=[IDEMPOTENCY_HEADER],
        summary="记录追溯事件（拆分、合并、储存、运输、收购、销售、加工）",
        description=f"错误代码：{EVENT_ERRORS}、producer_required。",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        require(can_keep_batches(request.user), "只有生产经营主体和县级管理员可以记录追溯事件。")
        data = validated(TraceEventCreateInput, request)
        event = services.event_record(
            actor=request_user(request),
            producer=_producer_for(request, data),
            stage=data["stage"],
            occurred_at=data["occurred_at"],
            inputs=[services.InputLine(i["batch"], i["quantity"]) for i in data["inputs"]],
            outputs=[services.OutputLine(o["quantity"], o["unit"]) for o in data["outputs"]],
            destination=data["destination"],
            destination_name=data["destination_name"],
            source_name=data["source_name"],
            place=data["place"],
            notes=data["notes"],
        )
        return Response(_event_out(request, event.pk), status=status.HTTP_201_CREATED)


class EventDetailApi(APIView):
    @extend_schema(responses=TraceEventDetailOutput, summary="追溯事件详情（投入与产出批次）")
    def get(self, request: Request, pk: int) -> Response:
        require(can_view_batches(request.user), "没有查看追溯事件的权限。")
        return Response(_event_out(request, pk))


urlpatterns = [
    path("trace-events/", EventListApi.as_view(), name="api-trace-event-list"),
    path("trace-events/<int:pk>/", EventDetailApi.as_view(), name="api-trace-event-detail"),
]
