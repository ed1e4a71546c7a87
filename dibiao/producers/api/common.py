"""Shared pieces of the directory, bases and farmers API: reference serializers, scoped id
fields, the import report, the Idempotency-Key parameter."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dibiao.accounts.models import Organization
from dibiao.core.api import ScopedRelatedField
from dibiao.core.errors import ForbiddenError
from dibiao.producers import selectors
from dibiao.producers.imports import ImportReport
from dibiao.producers.models import Producer
from dibiao.registry.models import GIProduct


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise ForbiddenError(message)


class ProducersRefOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


@extend_schema_field(OpenApiTypes.INT)
class ScopedProducerField(ScopedRelatedField):
    def rows(self, user: Any) -> QuerySet[Producer]:
        return selectors.producer_list_for_user(user=user)


@extend_schema_field(OpenApiTypes.INT)
class ScopedProductField(ScopedRelatedField):
    def rows(self, user: Any) -> QuerySet[GIProduct]:
        return selectors.producer_product_choices(user=user)


@extend_schema_field(OpenApiTypes.INT)
class BaseProductField(ScopedRelatedField):
    def rows(self, user: Any) -> QuerySet[GIProduct]:
        return selectors.base_product_choices(user=user)


@extend_schema_field(OpenApiTypes.INT)
class ScopedOrganizationField(ScopedRelatedField):
    def rows(self, user: Any) -> QuerySet[Organization]:
        return Organization.objects.restrict(user)


class ProducersRowErrorOutput(serializers.Serializer[Any]):
    row = serializers.IntegerField(help_text="Excel 行号（表头为第 1 行）")
    column = serializers.CharField(help_text="列名；空为整行")
    message = serializers.CharField()


class ProducersImportReportOutput(serializers.Serializer[Any]):
    total = serializers.IntegerField(help_text="数据行数（不含表头和空行）")
    imported = serializers.IntegerField(help_text="已导入行数")
    invalid = serializers.IntegerField(help_text="有误的行数")
    committed = serializers.BooleanField(help_text="是否已写入数据")
    truncated = serializers.BooleanField(help_text="问题过多时只列出前 2000 条")
    # The serializer metaclass pops declared fields, so this does not hide `Serializer.errors`
    # at run time; only the type checker sees the clash.
    errors = ProducersRowErrorOutput(many=True)  # type: ignore[assignment]


class ProducersImportFailedOutput(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="import_rows_invalid")
    message = serializers.CharField()
    report = ProducersImportReportOutput()


class ProducersImportInput(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="Excel 文件（.xlsx），使用导入模板")
    only_valid = serializers.BooleanField(
        default=False, help_text="只导入有效行；否则有任何一行有误即全部不导入"
    )


def report_data(report: ImportReport) -> dict[str, Any]:
    return dict(ProducersImportReportOutput(report).data)


def failed_import(report: ImportReport) -> dict[str, Any]:
    return {
        "code": "import_rows_invalid",
        "message": f"共 {report.total} 行，其中 {report.invalid} 行有误，未导入任何数据。",
        "report": report_data(report),
    }
