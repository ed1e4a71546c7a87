"""API v1 of performance evaluation: schemes, rounds, the evaluations (scores and ranking) and
appeals.

Every write takes an `Idempotency-Key` header. Detail and action handlers fetch through the
selectors first, so another scope's round, evaluation or appeal is a 404 whatever the caller's
role; a scheme or score id in a body that the caller cannot see is refused like a missing id
(400 `invalid`). Refusals are coded: `round_locked`, `scores_missing`, `appeal_closed`,
`appeal_pending`, `already_decided`, `scheme_in_use`, ... (docs/evaluation.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dibiao.accounts.http import request_user
from dibiao.core.api import ListApi, ScopedRelatedField, int_query_param, validated
from dibiao.core.errors import ForbiddenError
from dibiao.core.idempotency import IDEMPOTENCY_HEADER, Handler, idempotent
from dibiao.evaluation import selectors, services
from dibiao.evaluation.choices import (
    AppealStatus,
    ItemMethod,
    RoundLevel,
    RoundStatus,
    ScoringRule,
)
from dibiao.evaluation.models import (
    Appeal,
    Evaluation,
    EvaluationRound,
    EvaluationScheme,
    ItemScore,
    SchemeItem,
)
from dibiao.evaluation.permissions import can_manage_schemes, can_view_evaluation
from dibiao.projects.models import Program


def _government(request: Request) -> None:
    if not can_view_evaluation(request.user):
        raise ForbiddenError("只有各级农业农村部门可以使用绩效考评。")


def _write(body: Any, responses: Any, summary: str) -> Callable[[Handler], Handler]:
    """An idempotent write handler and its schema: `body` in, `responses` out."""

    def decorate(handler: Handler) -> Handler:
        return extend_schema(
            request=body, responses=responses, parameters=[IDEMPOTENCY_HEADER], summary=summary
        )(idempotent(handler))

    return decorate


def _shown(
    request: Request, output: Any, get_for_user: Any, pk: int, code: int = status.HTTP_200_OK
) -> Response:
    """Record `pk` as the caller sees it now, read again through its selector."""
    return Response(output(get_for_user(user=request.user, pk=pk)).data, status=code)


def _optional(request: Request, name: str, get_for_user: Any) -> Any:
    """The record named by query parameter `name` (404 outside the caller's scope), or None."""
    pk = int_query_param(request, name)
    return get_for_user(user=request.user, pk=pk) if pk is not None else None


def _points(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=6, decimal_places=2, **kwargs)


class EvaluationUserRef(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="__str__", read_only=True)


class EvaluationRef(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class EvaluationDivisionRef(serializers.Serializer[Any]):
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


# --- Schemes -------------------------------------------------------------------------------------


class SchemeItemOutput(serializers.ModelSerializer[SchemeItem]):
    points = _points(read_only=True)
    indicators = serializers.ListField(child=serializers.CharField(), read_only=True)
    params = serializers.DictField(read_only=True)

    class Meta:
        model = SchemeItem
        fields = [
            "id",
            "position",
            "name",
            "points",
            "method",
            "rule",
            "indicators",
            "params",
            "guidance",
        ]


class SchemeOutput(serializers.ModelSerializer[EvaluationScheme]):
    items = SchemeItemOutput(many=True, read_only=True)
    in_use = serializers.SerializerMethodField(help_text="已用于考评（不能再修改）")

    class Meta:
        model = EvaluationScheme
        fields = ["id", "program", "name", "notes", "items", "in_use", "created_at", "updated_at"]

    def get_in_use(self, obj: EvaluationScheme) -> bool:
        count = getattr(obj, "round_count", None)
        return bool(count if count is not None else obj.rounds.exists())


class SchemeItemInput(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100)
    points = _points()
    method = serializers.ChoiceField(choices=ItemMethod.choices)
    rule = serializers.ChoiceField(
        choices=ScoringRule.choices, required=False, allow_blank=True, default=""
    )
    indicators = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    params = serializers.DictField(required=False, default=dict)
    guidance = serializers.CharField(required=False, allow_blank=True, default="")


@extend_schema_field(OpenApiTypes.INT)
class ScopedProgramField(ScopedRelatedField):
    def rows(self, user: Any) -> QuerySet[Program]:
        return selectors.evaluation_programs_for_user(user=user)


class SchemeInput(serializers.Serializer[Any]):
    program = ScopedProgramField()
    name = serializers.CharField(max_length=100, required=False, default="")
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    items = SchemeItemInput(many=True, required=False, help_text="省略时按默认方案创建")


class SchemeUpdateInput(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100, required=False)
    notes = serializers.CharField(required=False, allow_blank=True)
    items = SchemeItemInput(many=True, required=False)


def _items(data: list[dict[str, Any]]) -> list[services.ItemInput]:
    return [services.ItemInput(**item) for item in data]


class SchemeListApi(ListApi):
    serializer_class = SchemeOutput

    @extend_schema(
        responses=SchemeOutput(many=True),
        parameters=[OpenApiParameter("program", int, description="保护工程 id")],
        summary="考评方案",
    )
    def get(self, request: Request) -> Response:
        _government(request)
        program = _optional(request, "program", selectors.evaluation_program_for_user)
        return self.page_of(selectors.scheme_list_for_user(user=request.user, program=program))

    @_write(SchemeInput, {201: SchemeOutput}, "制定考评方案（省级管理员；不给 items 时按默认方案）")
    def post(self, request: Request) -> Response:
        if not can_manage_schemes(request.user):
            raise ForbiddenError("只有省级管理员可以制定考评方案。")
        data = validated(SchemeInput, request)
        actor = request_user(request)
        if "items" in data:
            scheme = services.scheme_create(
                actor=actor,
                program=data["program"],
                name=data["name"],
                notes=data["notes"],
                items=_items(data["items"]),
            )
        else:
            scheme = services.scheme_create_default(actor=actor, program=data["program"])
        return _shown(request, SchemeOutput, selectors.scheme_get_for_user, scheme.pk, 201)


class SchemeDetailApi(APIView):
    @extend_schema(responses=SchemeOutput, summary="考评方案详情")
    def get(self, request: Request, pk: int) -> Response:
        _government(request)
        return _shown(request, SchemeOutput, selectors.scheme_get_for_user, pk)

    @_write(SchemeUpdateInput, SchemeOutput, "修改考评方案（尚未用于考评时）")
    def patch(self, request: Request, pk: int) -> Response:
        _government(request)
        scheme = selectors.scheme_get_for_user(user=request.user, pk=pk)
        if not can_manage_schemes(request.user):
            raise ForbiddenError("只有省级管理员可以修改考评方案。")
        data = validated(SchemeUpdateInput, request)
        services.scheme_update(
            actor=request_user(request),
            scheme=scheme,
            name=data.get("name"),
            notes=data.get("notes"),
            items=_items(data["items"]) if "items" in data else None,
        )
        return _shown(request, SchemeOutput, selectors.scheme_get_for_user, pk)


# --- Rounds and evaluations ------------------------------------------------------------------


class RoundOutput(serializers.ModelSerializer[EvaluationRound]):
    division = EvaluationDivisionRef(read_only=True)
    level = serializers.ChoiceField(choices=RoundLevel.choices, read_only=True)
    status = serializers.ChoiceField(choices=RoundStatus.choices, read_only=True)
    evaluation_count = serializers.IntegerField(read_only=True)
    created_by = EvaluationUserRef(read_only=True, allow_null=True)
    published_by = EvaluationUserRef(read_only=True, allow_null=True)

    class Meta:
        model = EvaluationRound
        fields = [
            "id",
            "program",
            "scheme",
            "level",
            "division",
            "name",
            "as_of",
            "status",
            "evaluation_count",
            "computed_at",
            "created_by",
            "created_at",
            "published_by",
            "published_at",
            "closed_at",
        ]


@extend_schema_field(OpenApiTypes.INT)
class ScopedSchemeField(ScopedRelatedField):
    def rows(self, user: Any) -> QuerySet[EvaluationScheme]:
        return selectors.scheme_list_for_user(user=user)


class RoundInput(serializers.Serializer[Any]):
    scheme = ScopedSchemeField()
    name = serializers.CharField(max_length=200)
    as_of = serializers.DateField(help_text="指标取数截止日期")


class ScoreOutput(serializers.ModelSerializer[ItemScore]):
    item = serializers.IntegerField(source="item_id", read_only=True)
    item_name = serializers.CharField(source="item.name", read_only=True)
    max_points = _points(source="item.points", read_only=True)
    method = serializers.ChoiceField(
        source="item.method", choices=ItemMethod.choices, read_only=True
    )
    points = _points(read_only=True, allow_null=True)
    computed_points = _points(read_only=True, allow_null=True)
    basis = serializers.DictField(read_only=True, help_text="计分时读取的指标值")
    scored_by = EvaluationUserRef(read_only=True, allow_null=True)

    class Meta:
        model = ItemScore
        fields = [
            "id",
            "item",
            "item_name",
            "max_points",
            "method",
            "points",
            "computed_points",
            "basis",
            "comment",
            "scored_by",
            "scored_at",
        ]


class EvaluationOutput(serializers.ModelSerializer[Evaluation]):
    product = EvaluationRef(source="allocation.product", read_only=True)
    division = EvaluationDivisionRef(source="allocation.division", read_only=True)
    total = _points(read_only=True)
    scores = ScoreOutput(many=True, read_only=True)

    class Meta:
        model = Evaluation
        fields = ["id", "round", "allocation", "product", "division", "total", "rank", "scores"]


class RoundListApi(ListApi):
    serializer_class = RoundOutput

    @extend_schema(
        responses=RoundOutput(many=True),
        parameters=[
            OpenApiParameter("program", int, description="保护工程 id"),
            OpenApiParameter("status", str, enum=RoundStatus.values),
        ],
        summary="考评（组织的和被考评的）",
    )
    def get(self, request: Request) -> Response:
        _government(request)
        program = _optional(request, "program", selectors.evaluation_program_for_user)
        status_ = request.query_params.get("status", "")
        return self.page_of(
            selectors.round_list_for_user(
                user=request.user,
                program=program,
                status=status_ if status_ in RoundStatus.values else "",
            )
        )

    @_write(
        RoundInput,
        {201: RoundOutput},
        "组织考评：市级管理员考评本市所辖县，省级管理员综合评价全省（创建即按指标计算）",
    )
    def post(self, request: Request) -> Response:
        _government(request)
        round_ = services.round_create(
            actor=request_user(request), **validated(RoundInput, request)
        )
        return _shown(request, RoundOutput, selectors.round_get_for_user, round_.pk, 201)


class RoundDetailApi(APIView):
    @extend_schema(responses=RoundOutput, summary="考评详情")
    def get(self, request: Request, pk: int) -> Response:
        _government(request)
        return _shown(request, RoundOutput, selectors.round_get_for_user, pk)


def _round_action(name: str, summary: str) -> type[APIView]:
    service = {
        "compute": services.round_compute,
        "publish": services.round_publish,
        "close": services.round_close,
    }[name]

    class RoundActionApi(APIView):
        @_write(None, RoundOutput, summary)
        def post(self, request: Request, pk: int) -> Response:
            _government(request)
            round_ = selectors.round_get_for_user(user=request.user, pk=pk)
            service(actor=request_user(request), round_=round_)
            return _shown(request, RoundOutput, selectors.round_get_for_user, pk)

    RoundActionApi.__name__ = RoundActionApi.__qualname__ = f"Round{name.title()}Api"
    return RoundActionApi


RoundComputeApi = _round_action("compute", "重新取数计算（评分中）")
RoundPublishApi = _round_action("publish", "公布考评结果（锁定得分）")
RoundCloseApi = _round_action("close", "结束申诉并定案")


class RoundEvaluationListApi(ListApi):
    serializer_class = EvaluationOutput

    @extend_schema(
        responses=EvaluationOutput(many=True),
        summary="考评对象的得分与排名（被考评单位只看到自己的）",
    )
    def get(self, request: Request, pk: int) -> Response:
        _government(request)
        round_ = selectors.round_get_for_user(user=request.user, pk=pk)
        rows = selectors.evaluation_list_for_user(user=request.user, round_=round_)
        return self.page_of(rows.prefetch_related("scores__item", "scores__scored_by"))


class EvaluationDetailApi(APIView):
    @extend_schema(responses=EvaluationOutput, summary="考评对象的得分")
    def get(self, request: Request, pk: int) -> Response:
        _government(request)
        evaluation = selectors.evaluation_get_for_user(user=request.user, pk=pk)
        return Response(EvaluationOutput(evaluation).data)


class ScoreInput(serializers.Serializer[Any]):
    points = _points(min_value=0)
    comment = serializers.CharField(help_text="评分理由")


class ScoreEnterApi(APIView):
    @_write(ScoreInput, ScoreOutput, "评价人评分（评分中的考评、评价人评分的项目）")
    def post(self, request: Request, pk: int) -> Response:
        _government(request)
        score = selectors.score_get_for_user(user=request.user, pk=pk)
        data = validated(ScoreInput, request)
        services.score_enter(actor=request_user(request), score=score, **data)
        return _shown(request, ScoreOutput, selectors.score_get_for_user, pk)


# --- Appeals ---------------------------------------------------------------------------------


class AppealOutput(serializers.ModelSerializer[Appeal]):
    round = serializers.IntegerField(source="score.evaluation.round_id", read_only=True)
    evaluation = serializers.IntegerField(source="score.evaluation_id", read_only=True)
    product = EvaluationRef(source="score.evaluation.allocation.product", read_only=True)
    item_name = serializers.CharField(source="score.item.name", read_only=True)
    status = serializers.ChoiceField(choices=AppealStatus.choices, read_only=True)
    points_before = _points(read_only=True)
    points_after = _points(read_only=True, allow_null=True)
    filed_by = EvaluationUserRef(read_only=True)
    decided_by = EvaluationUserRef(read_only=True, allow_null=True)

    class Meta:
        model = Appeal
        fields = [
            "id",
            "round",
            "evaluation",
            "score",
            "product",
            "item_name",
            "reason",
            "status",
            "points_before",
            "points_after",
            "filed_by",
            "filed_at",
            "decision",
            "decided_by",
            "decided_at",
        ]


@extend_schema_field(OpenApiTypes.INT)
class ScopedScoreField(ScopedRelatedField):
    def rows(self, user: Any) -> QuerySet[ItemScore]:
        return ItemScore.objects.filter(
            evaluation__in=Evaluation.objects.restrict(user).values("pk")
        )


class AppealInput(serializers.Serializer[Any]):
    score = ScopedScoreField(help_text="考评得分 id")
    reason = serializers.CharField()


class DecisionInput(serializers.Serializer[Any]):
    accept = serializers.BooleanField()
    points = _points(min_value=0, required=False, allow_null=True, default=None)
    decision = serializers.CharField(help_text="处理意见")


class AppealListApi(ListApi):
    serializer_class = AppealOutput

    @extend_schema(
        responses=AppealOutput(many=True),
        parameters=[
            OpenApiParameter("round", int, description="考评 id"),
            OpenApiParameter("status", str, enum=AppealStatus.values),
        ],
        summary="申诉（数据范围内）",
    )
    def get(self, request: Request) -> Response:
        _government(request)
        round_ = _optional(request, "round", selectors.round_get_for_user)
        return self.page_of(
            selectors.appeal_list_for_user(
                user=request.user, round_=round_, status=request.query_params.get("status", "")
            )
        )

    @_write(
        AppealInput, {201: AppealOutput}, "对一项得分申诉（被考评产品的实施主体，公布后定案前）"
    )
    def post(self, request: Request) -> Response:
        _government(request)
        appeal = services.appeal_file(
            actor=request_user(request), **validated(AppealInput, request)
        )
        return _shown(request, AppealOutput, selectors.appeal_get_for_user, appeal.pk, 201)


class AppealDetailApi(APIView):
    @extend_schema(responses=AppealOutput, summary="申诉详情")
    def get(self, request: Request, pk: int) -> Response:
        _government(request)
        return _shown(request, AppealOutput, selectors.appeal_get_for_user, pk)


class AppealDecideApi(APIView):
    @_write(DecisionInput, AppealOutput, "处理申诉：采纳（给出调整后得分）或驳回，均须写明理由")
    def post(self, request: Request, pk: int) -> Response:
        _government(request)
        appeal = selectors.appeal_get_for_user(user=request.user, pk=pk)
        data = validated(DecisionInput, request)
        services.appeal_decide(actor=request_user(request), appeal=appeal, **data)
        return _shown(request, AppealOutput, selectors.appeal_get_for_user, pk)
