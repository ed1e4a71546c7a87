"""What the brand API modules share: references, the scoped product field, list queries,
and the list/record and detail/change views (`BrandKind` says what differs)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dibiao.accounts.http import request_user
from dibiao.brand import selectors
from dibiao.core.api import ListApi, ScopedRelatedField
from dibiao.core.errors import ForbiddenError
from dibiao.core.idempotency import IDEMPOTENCY_HEADER, idempotent
from dibiao.core.params import MAX_ID
from dibiao.registry.models import GIProduct


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise ForbiddenError(message)


class BrandProductRef(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


@extend_schema_field(OpenApiTypes.INT)
class ProductField(ScopedRelatedField):
    """A registered product the caller may file for (on an update, also the record's own
    products); any other id reads as missing."""

    def rows(self, user: Any) -> QuerySet[GIProduct]:
        current = self.context.get("current_products", [])
        return selectors.product_choices_with(user=user, current=current)


class BrandRecordOutput(serializers.Serializer[Any]):
    """Fields every brand record has."""

    recorded_by = serializers.SerializerMethodField(help_text="记录人；系统导入的为空")
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    page_url = serializers.CharField(
        source="get_absolute_url", read_only=True, help_text="页面地址"
    )

    def get_recorded_by(self, obj: Any) -> str | None:
        user = obj.recorded_by
        return (user.full_name or user.username) if user is not None else None


class BrandListQuery(serializers.Serializer[Any]):
    q = serializers.CharField(required=False, max_length=100, help_text="关键词")
    product = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    year = serializers.IntegerField(required=False, min_value=2000, max_value=2100)


def list_filters(query: BrandListQuery) -> dict[str, Any]:
    data = query.validated_data
    filters: dict[str, Any] = {
        "q": data.get("q", "").strip(),
        "product_id": data.get("product"),
        "year": data.get("year"),
    }
    for name in ("level", "status"):
        if name in query.fields:
            filters[name] = data.get(name, "")
    return filters


@dataclass(frozen=True)
class BrandKind:
    """What differs between the brand record APIs: serializers, permissions, selectors and
    services. `create(actor, data)` returns the new record, `update(actor, record, data)`
    changes one, `current_products(record)` the ids an update may keep."""

    output: type[serializers.Serializer[Any]]
    list_output: type[serializers.Serializer[Any]]
    input: type[serializers.Serializer[Any]]
    query: type[BrandListQuery]
    can_view: Callable[[Any], bool]
    view_denied: str
    can_write: Callable[[Any], bool]
    write_denied: str
    list_rows: Callable[..., QuerySet[Any]]
    get_row: Callable[..., Any]
    create: Callable[[Any, dict[str, Any]], Any]
    update: Callable[[Any, Any, dict[str, Any]], Any]
    current_products: Callable[[Any], list[int]] = lambda row: [row.product_id]

    def out(self, request: Request, pk: int) -> dict[str, Any]:
        return dict(self.output(self.get_row(user=request.user, pk=pk)).data)

    def validated(self, request: Request, *, partial: bool, current: list[int]) -> Any:
        context = {"request": request, "current_products": current}
        data = self.input(data=request.data, partial=partial, context=context)
        data.is_valid(raise_exception=True)
        return data.validated_data


# No docstrings on the two views: drf-spectacular would show them as every subclass's description.
class BrandListApi(ListApi):  # list and record; subclasses set `kind`, decorated with list_schema
    kind: ClassVar[BrandKind]

    def get(self, request: Request) -> Response:
        kind = self.kind
        require(kind.can_view(request.user), kind.view_denied)
        query = kind.query(data=request.query_params)
        query.is_valid(raise_exception=True)
        return self.page_of(kind.list_rows(user=request.user, **list_filters(query)))

    @idempotent
    def post(self, request: Request) -> Response:
        kind = self.kind
        require(kind.can_write(request.user), kind.write_denied)
        data = kind.validated(request, partial=False, current=[])
        row = kind.create(request_user(request), dict(data))
        return Response(kind.out(request, row.pk), status=status.HTTP_201_CREATED)


class BrandDetailApi(APIView):  # detail and change; subclasses set `kind`, with detail_schema
    kind: ClassVar[BrandKind]

    def get(self, request: Request, pk: int) -> Response:
        require(self.kind.can_view(request.user), self.kind.view_denied)
        return Response(self.kind.out(request, pk))

    @idempotent
    def patch(self, request: Request, pk: int) -> Response:
        kind = self.kind
        row = kind.get_row(user=request.user, pk=pk)
        require(kind.can_write(request.user), kind.write_denied)
        data = kind.validated(request, partial=True, current=kind.current_products(row))
        kind.update(request_user(request), row, dict(data))
        return Response(kind.out(request, pk))


def list_schema(kind: BrandKind, *, list_summary: str, create_summary: str) -> Any:
    return extend_schema_view(
        get=extend_schema(
            parameters=[kind.query], responses=kind.list_output(many=True), summary=list_summary
        ),
        post=extend_schema(
            request=kind.input,
            responses={201: kind.output},
            parameters=[IDEMPOTENCY_HEADER],
            summary=create_summary,
        ),
    )


def detail_schema(kind: BrandKind, *, detail_summary: str, update_summary: str) -> Any:
    return extend_schema_view(
        get=extend_schema(responses=kind.output, summary=detail_summary),
        patch=extend_schema(
            request=kind.input,
            responses=kind.output,
            parameters=[IDEMPOTENCY_HEADER],
            summary=update_summary,
        ),
    )
