"""API v1: training sessions (培训), their attendee lists and person-times (培训人次)."""

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

from dibiao.accounts.http import request_user
from dibiao.core.api import ListApi, ScopedRelatedField, validated
from dibiao.core.idempotency import IDEMPOTENCY_HEADER, idempotent
from dibiao.core.models import Division
from dibiao.producers.models import Producer
from dibiao.production import selectors
from dibiao.production.api.logs import ProductionRef, require
from dibiao.production.models import TrainingAttendee, TrainingSession
from dibiao.production.permissions import can_record_training
from dibiao.production.services import training as services
from dibiao.registry.models import GIProduct

WRITE_DENIED = "只有县级管理员、生产经营主体和省级管理员可以记录培训。"


@extend_schema_field(OpenApiTypes.INT)
class TrainingProductField(ScopedRelatedField):
    def rows(self, user: Any) -> QuerySet[GIProduct]:
        return selectors.training_product_choices(user=user)


@extend_schema_field(OpenApiTypes.INT)
class TrainingProducerField(ScopedRelatedField):
    def rows(self, user: Any) -> QuerySet[Producer]:
        return selectors.training_producer_choices(user=user)


@extend_schema_field(OpenApiTypes.STR)
class TrainingDivisionField(serializers.SlugRelatedField[Division]):
    """A county by its 6-digit code; one outside the caller's choices reads as missing."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="code", **kwargs)

    def get_queryset(self) -> QuerySet[Division]:
        return selectors.training_division_choices(user=self.context["request"].user)


class TrainingDivisionOutput(serializers.Serializer[Any]):
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class AttendeeOutput(serializers.ModelSerializer[TrainingAttendee]):
    producer = ProductionRef(read_only=True, allow_null=True)
    phone = serializers.CharField(source="phone_masked", read_only=True, help_text="部分隐藏")

    class Meta:
        model = TrainingAttendee
        fields = ["id", "name", "phone", "producer"]


class TrainingOutput(serializers.ModelSerializer[TrainingSession]):
    product = ProductionRef(read_only=True)
    division = TrainingDivisionOutput(read_only=True)
    organizer = ProductionRef(read_only=True)
    listed = serializers.IntegerField(read_only=True, help_text="名单人数")

    class Meta:
        model = TrainingSession
        fields = [
            "id",
            "product",
            "division",
            "organizer",
            "held_on",
            "place",
            "topic",
            "trainer",
            "attendee_count",
            "listed",
            "notes",
            "created_at",
        ]


class TrainingDetailOutput(TrainingOutput):
    attendees = AttendeeOutput(many=True, read_only=True)

    class Meta(TrainingOutput.Meta):
        fields = [*TrainingOutput.Meta.fields, "attendees"]


class AttendeeInput(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=50)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    producer = TrainingProducerField(required=False, allow_null=True, default=None)


class TrainingInput(serializers.Serializer[Any]):
    product = TrainingProductField(help_text="产品 id")
    division = TrainingDivisionField(help_text="举办地（县）区划代码")
    held_on = serializers.DateField()
    place = serializers.CharField(max_length=200)
    topic = serializers.CharField(max_length=200)
    trainer = serializers.CharField(max_length=100)
    attendee_count = serializers.IntegerField(min_value=1, max_value=100000)
    notes = serializers.CharField(required=False, allow_blank=True)
    attendees = AttendeeInput(many=True, required=False, help_text="可选的参训人员名单")


class AttendeeListInput(serializers.Serializer[Any]):
    attendees = AttendeeInput(many=True, help_text="新的名单；空列表清除名单")


class TrainingQuery(serializers.Serializer[Any]):
    product = serializers.IntegerField(required=False, min_value=1, max_value=selectors.MAX_ID)
    year = serializers.IntegerField(required=False, min_value=2000, max_value=2100)
    q = serializers.CharField(required=False, max_length=100)


def _people(rows: list[dict[str, Any]]) -> list[services.AttendeeInput]:
    return [services.AttendeeInput(**row) for row in rows]


def _detail(request: Request, pk: int) -> dict[str, Any]:
    session = selectors.training_get_for_user(user=request.user, pk=pk)
    return dict(TrainingDetailOutput(session).data)


class TrainingListApi(ListApi):
    serializer_class = TrainingOutput

    @extend_schema(
        parameters=[TrainingQuery],
        responses=TrainingOutput(many=True),
        summary="培训列表（数据范围内）",
    )
    def get(self, request: Request) -> Response:
        query = TrainingQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        rows = selectors.training_list_for_user(
            user=request.user,
            product=data.get("product"),
            year=data.get("year"),
            q=data.get("q", "").strip(),
        )
        return self.page_of(rows)

    @extend_schema(
        request=TrainingInput,
        responses={201: TrainingDetailOutput},
        parameters=[IDEMPOTENCY_HEADER],
        summary="登记培训（主办单位为当前用户的机构）；名单多于参训人数返回 attendee_count_too_small",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        require(can_record_training(request.user), WRITE_DENIED)
        data = dict(validated(TrainingInput, request))
        people = _people(data.pop("attendees", []))
        session = services.training_create(actor=request_user(request), data=data, attendees=people)
        return Response(_detail(request, session.pk), status=status.HTTP_201_CREATED)


class TrainingPatchInput(TrainingInput):
    attendees = None  # type: ignore[assignment]  # the list has its own endpoint


class TrainingDetailApi(APIView):
    @extend_schema(
        responses=TrainingDetailOutput, summary="培训详情（含参训人员名单，电话部分隐藏）"
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(_detail(request, pk))

    @extend_schema(
        request=TrainingPatchInput,
        responses=TrainingDetailOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="修改培训（部分字段）",
    )
    @idempotent
    def patch(self, request: Request, pk: int) -> Response:
        session = selectors.training_get_for_user(user=request.user, pk=pk)
        require(can_record_training(request.user), WRITE_DENIED)
        body = TrainingPatchInput(data=request.data, partial=True, context={"request": request})
        body.is_valid(raise_exception=True)
        services.training_update(
            actor=request_user(request), session=session, data=dict(body.validated_data)
        )
        return Response(_detail(request, pk))


class TrainingAttendeesApi(APIView):
    @extend_schema(
        request=AttendeeListInput,
        responses=TrainingDetailOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="替换参训人员名单",
    )
    @idempotent
    def put(self, request: Request, pk: int) -> Response:
        session = selectors.training_get_for_user(user=request.user, pk=pk)
        require(can_record_training(request.user), WRITE_DENIED)
        data = validated(AttendeeListInput, request)
        services.training_attendees_replace(
            actor=request_user(request), session=session, attendees=_people(data["attendees"])
        )
        return Response(_detail(request, pk))


class PersonTimesOutput(serializers.Serializer[Any]):
    product_id = serializers.IntegerField()
    product_name = serializers.CharField()
    year = serializers.IntegerField()
    sessions = serializers.IntegerField(help_text="场次")
    person_times = serializers.IntegerField(help_text="人次：参训人数之和")


class PersonTimesQuery(serializers.Serializer[Any]):
    year = serializers.IntegerField(required=False, min_value=2000, max_value=2100)
    product = serializers.IntegerField(required=False, min_value=1, max_value=selectors.MAX_ID)


class PersonTimesApi(APIView):
    @extend_schema(
        parameters=[PersonTimesQuery],
        responses=PersonTimesOutput(many=True),
        summary="培训人次：按产品和年度汇总参训人数（数据范围内；不带 year 为全部年度）",
    )
    def get(self, request: Request) -> Response:
        query = PersonTimesQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = selectors.training_person_times(
            user=request.user,
            year=query.validated_data.get("year"),
            product=query.validated_data.get("product"),
        )
        return Response(PersonTimesOutput(rows, many=True).data)


urlpatterns = [
    path("trainings/", TrainingListApi.as_view(), name="api-training-list"),
    path("trainings/person-times/", PersonTimesApi.as_view(), name="api-training-person-times"),
    path("trainings/<int:pk>/", TrainingDetailApi.as_view(), name="api-training-detail"),
    path(
        "trainings/<int:pk>/attendees/",
        TrainingAttendeesApi.as_view(),
        name="api-training-attendees",
    ),
]
