"""API v1 for notices (公示) and objections (异议): staff endpoints in scope, and public ones."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dibiao.accounts.http import request_user
from dibiao.core.api import ListApi
from dibiao.core.models import Division
from dibiao.core.request_context import current_client_ip
from dibiao.disclosure import permissions as perms
from dibiao.disclosure import selectors, services
from dibiao.disclosure.choices import NoticeKind, NoticePhase, NoticeStatus, ObjectionStatus
from dibiao.disclosure.contacts import mask_contact, validate_contact
from dibiao.disclosure.models import (
    OBJECTION_MAX_LENGTH,
    OBJECTION_MIN_LENGTH,
    Notice,
    Objection,
)
from dibiao.registry.models import GIProduct

# --- choice fields ---------------------------------------------------------------------------
# Each enum is its own named component. Left to drf-spectacular, they would be named after the
# field ("KindEnum", "StatusEnum") and collide with the other apps' kinds and statuses, which it
# reports as a warning (and `check --deploy` fails on warnings).


@extend_schema_field({"type": "string", "enum": NoticeKind.values}, component_name="NoticeKind")
class NoticeKindField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=NoticeKind.choices, **kwargs)


@extend_schema_field({"type": "string", "enum": NoticeStatus.values}, component_name="NoticeStatus")
class NoticeStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=NoticeStatus.choices, **kwargs)


@extend_schema_field(
    {"type": "string", "enum": ObjectionStatus.values}, component_name="ObjectionStatus"
)
class ObjectionStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=ObjectionStatus.choices, **kwargs)


# --- output ------------------------------------------------------------------------------------


class _NoticeBase(serializers.ModelSerializer[Notice]):
    kind = NoticeKindField(read_only=True)
    kind_display = serializers.SerializerMethodField()
    phase = serializers.SerializerMethodField()
    phase_display = serializers.SerializerMethodField()
    division = serializers.SerializerMethodField()
    publisher = serializers.SerializerMethodField()
    product = serializers.SerializerMethodField()

    def get_kind_display(self, obj: Notice) -> str:
        return str(obj.get_kind_display())

    def get_phase(self, obj: Notice) -> str:
        return str(obj.phase().value)

    def get_phase_display(self, obj: Notice) -> str:
        return str(obj.phase().label)

    @extend_schema_field(
        {"type": "object", "properties": {"code": {"type": "string"}, "name": {"type": "string"}}}
    )
    def get_division(self, obj: Notice) -> dict[str, str]:
        return {"code": obj.division.code, "name": obj.division.name}

    @extend_schema_field(
        {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}
    )
    def get_publisher(self, obj: Notice) -> dict[str, Any]:
        return {"id": obj.publisher_id, "name": obj.publisher.name}

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
        }
    )
    def get_product(self, obj: Notice) -> dict[str, Any] | None:
        if obj.product is None:
            return None
        return {"id": obj.product_id, "name": obj.product.name}


class NoticeOutput(_NoticeBase):
    status = NoticeStatusField(read_only=True)
    status_display = serializers.SerializerMethodField()
    objection_count = serializers.SerializerMethodField()
    pending_count = serializers.SerializerMethodField()

    class Meta:
        model = Notice
        fields = [
            "id",
            "kind",
            "kind_display",
            "title",
            "body",
            "division",
            "publisher",
            "product",
            "start_date",
            "end_date",
            "status",
            "status_display",
            "phase",
            "phase_display",
            "withdraw_reason",
            "withdrawn_at",
            "settlement",
            "settled_at",
            "objection_count",
            "pending_count",
            "created_at",
            "updated_at",
            "published_at",
        ]

    def get_status_display(self, obj: Notice) -> str:
        return str(obj.get_status_display())

    def get_objection_count(self, obj: Notice) -> int:
        counted = getattr(obj, "objection_count", None)
        return int(counted if counted is not None else obj.objections.count())

    def get_pending_count(self, obj: Notice) -> int:
        counted = getattr(obj, "pending_count", None)
        if counted is None:
            counted = obj.objections.filter(status=ObjectionStatus.PENDING).count()
        return int(counted)


class PublicNoticeOutput(_NoticeBase):
    """What the public sees: no status history, no objectors; counts and the settlement."""

    objection_count = serializers.IntegerField(read_only=True)
    answered_count = serializers.SerializerMethodField()

    class Meta:
        model = Notice
        fields = [
            "id",
            "kind",
            "kind_display",
            "title",
            "body",
            "division",
            "publisher",
            "product",
            "start_date",
            "end_date",
            "phase",
            "phase_display",
            "published_at",
            "objection_count",
            "answered_count",
            "settlement",
            "settled_at",
        ]

    def get_answered_count(self, obj: Notice) -> int:
        return int(getattr(obj, "objection_count", 0)) - int(getattr(obj, "pending_count", 0))

    def get_product(self, obj: Notice) -> dict[str, Any] | None:
        # A cancelled product has no public page: the link would lead nowhere.
        if obj.product is None or obj.product.status != "registered":
            return None
        return super().get_product(obj)


class ObjectionOutput(serializers.ModelSerializer[Objection]):
    status = ObjectionStatusField(read_only=True)
    contact = serializers.SerializerMethodField()
    status_display = serializers.SerializerMethodField()
    answered_by = serializers.SerializerMethodField()

    class Meta:
        model = Objection
        fields = [
            "id",
            "notice",
            "name",
            "contact",
            "text",
            "submitted_at",
            "status",
            "status_display",
            "answer",
            "answered_at",
            "answered_by",
        ]

    def get_contact(self, obj: Objection) -> str:
        """Masked; the full contact is `POST /objections/{id}/contact/` (audited)."""
        return mask_contact(obj.contact)

    def get_status_display(self, obj: Objection) -> str:
        return str(obj.get_status_display())

    def get_answered_by(self, obj: Objection) -> str | None:
        return str(obj.answered_by) if obj.answered_by else None


class ObjectionReceiptOutput(serializers.ModelSerializer[Objection]):
    status = ObjectionStatusField(read_only=True)

    class Meta:
        model = Objection
        fields = ["receipt", "notice", "submitted_at", "status"]


# --- input -------------------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.INT)
class ScopedProductField(serializers.PrimaryKeyRelatedField[GIProduct]):
    """A product outside the caller's scope reads as "does not exist", like a missing id."""

    def get_queryset(self) -> QuerySet[GIProduct]:
        visible = GIProduct.objects.restrict(self.context["request"].user)
        current = self.context.get("current_product_id")
        return visible | GIProduct.objects.filter(pk=current) if current else visible


class NoticeInput(serializers.Serializer[Any]):
    division = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Division.objects.all(),
        required=False,
        help_text="发布区划代码（新建时；省级管理员填省代码，县级管理员填本县代码；只有一个可选时可省略）",
    )
    kind = NoticeKindField()
    title = serializers.CharField(max_length=200)
    body = serializers.CharField()
    product = ScopedProductField(required=False, allow_null=True)
    start_date = serializers.DateField(required=False, allow_null=True)
    end_date = serializers.DateField(required=False, allow_null=True)


class ReasonInput(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=services.REASON_MAX_LENGTH)


class SettleInput(serializers.Serializer[Any]):
    settlement = serializers.CharField(max_length=services.SETTLEMENT_MAX_LENGTH)


class AnswerInput(serializers.Serializer[Any]):
    answer = serializers.CharField(max_length=services.ANSWER_MAX_LENGTH)


class ContactOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    contact = serializers.CharField()


class ObjectionInput(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=50)
    contact = serializers.CharField(max_length=100, validators=[validate_contact])
    text = serializers.CharField(
        min_length=OBJECTION_MIN_LENGTH,
        max_length=OBJECTION_MAX_LENGTH,
        error_messages={
            "min_length": f"异议内容至少 {OBJECTION_MIN_LENGTH} 个字。",
            "max_length": f"异议内容不能超过 {OBJECTION_MAX_LENGTH} 个字。",
        },
    )


# --- staff -------------------------------------------------------------------------------------


def _notice(request: Request, pk: int) -> Notice:
    return selectors.notice_get_for_user(user=request.user, pk=pk)


def _notice_response(request: Request, pk: int, *, code: int = status.HTTP_200_OK) -> Response:
    return Response(NoticeOutput(_notice(request, pk)).data, status=code)


class NoticeListApi(ListApi):
    serializer_class = NoticeOutput

    @extend_schema(
        responses=NoticeOutput(many=True),
        parameters=[
            OpenApiParameter("q", str, description="标题或内容"),
            OpenApiParameter("status", str, enum=NoticeStatus.values),
            OpenApiParameter("kind", str, enum=NoticeKind.values),
            OpenApiParameter(
                "phase",
                str,
                enum=[NoticePhase.UPCOMING, NoticePhase.OPEN, NoticePhase.ARCHIVED],
                description="公示阶段（按今天的北京时间日期计算）",
            ),
        ],
        summary="公示列表（数据范围内）",
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        notices = selectors.notice_list_for_user(
            user=request.user,
            q=params.get("q", ""),
            status=params.get("status", ""),
            kind=params.get("kind", ""),
            phase=params.get("phase", ""),
        )
        return self.page_of(notices)

    @extend_schema(request=NoticeInput, responses={201: NoticeOutput}, summary="新建公示草稿")
    def post(self, request: Request) -> Response:
        user = request_user(request)
        data = NoticeInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        division = values.pop("division", None)
        if division is None:
            own = perms.publishable_divisions(user)
            division = own[0] if len(own) == 1 else None
        notice = services.notice_save(actor=user, data=values, division=division)
        return _notice_response(request, notice.pk, code=status.HTTP_201_CREATED)


class NoticeDetailApi(APIView):
    @extend_schema(responses=NoticeOutput, summary="公示详情")
    def get(self, request: Request, pk: int) -> Response:
        return _notice_response(request, pk)

    @extend_schema(
        request=NoticeInput, responses=NoticeOutput, summary="修改公示草稿（部分字段；区划不可改）"
    )
    def patch(self, request: Request, pk: int) -> Response:
        notice = _notice(request, pk)
        context = {"request": request, "current_product_id": notice.product_id}
        data = NoticeInput(data=request.data, partial=True, context=context)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values.pop("division", None)
        services.notice_save(actor=request_user(request), notice=notice, data=values)
        return _notice_response(request, pk)


class NoticePublishApi(APIView):
    @extend_schema(
        request=None,
        responses=NoticeOutput,
        summary="发布公示（草稿 → 已发布）；开始日期须不早于今天",
    )
    def post(self, request: Request, pk: int) -> Response:
        services.notice_publish(actor=request_user(request), notice=_notice(request, pk))
        return _notice_response(request, pk)


class NoticeWithdrawApi(APIView):
    @extend_schema(request=ReasonInput, responses=NoticeOutput, summary="撤回公示（须填写原因）")
    def post(self, request: Request, pk: int) -> Response:
        notice = _notice(request, pk)
        data = ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.notice_withdraw(
            actor=request_user(request), notice=notice, reason=data.validated_data["reason"]
        )
        return _notice_response(request, pk)


class NoticeSettleApi(APIView):
    @extend_schema(
        request=SettleInput,
        responses=NoticeOutput,
        summary="记录异议处理结果（公示期结束且异议全部答复后）",
    )
    def post(self, request: Request, pk: int) -> Response:
        notice = _notice(request, pk)
        data = SettleInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.notice_settle(
            actor=request_user(request),
            notice=notice,
            settlement=data.validated_data["settlement"],
        )
        return _notice_response(request, pk)


class NoticeObjectionListApi(ListApi):
    serializer_class = ObjectionOutput

    @extend_schema(
        responses=ObjectionOutput(many=True),
        parameters=[OpenApiParameter("status", str, enum=ObjectionStatus.values)],
        summary="公示收到的异议（联系方式已脱敏）",
    )
    def get(self, request: Request, pk: int) -> Response:
        notice = _notice(request, pk)
        return self.page_of(
            selectors.objection_list_for_notice(
                notice=notice, status=request.query_params.get("status", "")
            )
        )


class ObjectionAnswerApi(APIView):
    @extend_schema(
        request=AnswerInput, responses=ObjectionOutput, summary="答复异议（每条只能答复一次）"
    )
    def post(self, request: Request, pk: int) -> Response:
        objection = selectors.objection_get_for_user(user=request.user, pk=pk)
        data = AnswerInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.objection_answer(
            actor=request_user(request),
            objection=objection,
            answer=data.validated_data["answer"],
        )
        return Response(
            ObjectionOutput(selectors.objection_get_for_user(user=request.user, pk=pk)).data
        )


class ObjectionContactApi(APIView):
    @extend_schema(
        request=None,
        responses=ContactOutput,
        summary="查看异议人完整联系方式（记入审计日志）",
    )
    def post(self, request: Request, pk: int) -> Response:
        objection = selectors.objection_get_for_user(user=request.user, pk=pk)
        contact = services.objection_contact_view(actor=request_user(request), objection=objection)
        response = Response({"id": objection.pk, "contact": contact})
        response["Cache-Control"] = "no-store"
        return response


# --- public ------------------------------------------------------------------------------------


class PublicNoticeListApi(ListApi):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    serializer_class = PublicNoticeOutput

    @extend_schema(
        auth=[],
        responses=PublicNoticeOutput(many=True),
        parameters=[
            OpenApiParameter(
                "archived", bool, description="1：已归档的公示（公示期已结束）；默认：公示中的"
            )
        ],
        summary="公开：公示中（或已归档）的公示",
    )
    def get(self, request: Request) -> Response:
        archived = request.query_params.get("archived", "") in ("1", "true", "yes")
        return self.page_of(selectors.notice_list_public(archived=archived))


class PublicNoticeDetailApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(auth=[], responses=PublicNoticeOutput, summary="公开：公示详情")
    def get(self, request: Request, pk: int) -> Response:
        notice = selectors.notice_get_public(pk=pk)
        counts = selectors.objection_counts(notice=notice)
        notice.objection_count = counts["total"]  # type: ignore[attr-defined]
        notice.pending_count = counts["pending"]  # type: ignore[attr-defined]
        return Response(PublicNoticeOutput(notice).data)


class PublicObjectionCreateApi(APIView):
    # No authentication, hence no CSRF check: the objection is anonymous, so a forged request
    # cannot act as anybody. Abuse is bounded by the per-address rate limits.
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(
        auth=[],
        request=ObjectionInput,
        responses={201: ObjectionReceiptOutput},
        summary="公开：对公示中的公示提出异议（限频：同一地址 24 小时内每条公示 3 条、每小时共 10 条）",
    )
    def post(self, request: Request, pk: int) -> Response:
        notice = selectors.notice_get_public(pk=pk)
        data = ObjectionInput(data=request.data)
        data.is_valid(raise_exception=True)
        objection = services.objection_submit(
            notice=notice, client_ip=current_client_ip(), **data.validated_data
        )
        return Response(ObjectionReceiptOutput(objection).data, status=status.HTTP_201_CREATED)
