"""What the brand API modules share: references, the scoped product field, list queries."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dibiao.brand import selectors
from dibiao.core.api import ScopedRelatedField
from dibiao.core.errors import ForbiddenError
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
