"""API v1 for the work archive: list, upload (multipart), detail, download, withdraw."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dibiao.accounts.http import request_user
from dibiao.archive import selectors, services
from dibiao.archive.choices import ArchiveCategory
from dibiao.archive.exports import document_response
from dibiao.archive.models import ArchiveDocument
from dibiao.archive.permissions import can_attach_archive
from dibiao.archive.targets import filing_for, target_get_for_user
from dibiao.core.api import ListApi
from dibiao.core.errors import ForbiddenError
from dibiao.core.uploads import KIND_CHOICES
from dibiao.registry.api import DivisionRef, OrganizationRef


def _choices_text(choices: list[tuple[str, str]]) -> str:
    return "；".join(f"`{value}` {label}" for value, label in choices)


# Named components of their own: left to drf-spectacular, the enums would be named after the
# field ("CategoryEnum", "KindEnum") and collide with other apps' fields of the same name.
@extend_schema_field(
    {
        "type": "string",
        "enum": ArchiveCategory.values,
        "description": _choices_text(ArchiveCategory.choices),
    },
    component_name="ArchiveCategory",
)
class ArchiveCategoryField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=ArchiveCategory.choices, **kwargs)


@extend_schema_field(
    {
        "type": "string",
        "enum": [code for code, _ in KIND_CHOICES],
        "description": "检测到的文件类型：" + _choices_text(KIND_CHOICES),
    },
    component_name="ArchiveFileKind",
)
class ArchiveFileKindField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=KIND_CHOICES, **kwargs)


class ArchiveDocumentOutput(serializers.ModelSerializer[ArchiveDocument]):
    category = ArchiveCategoryField(read_only=True)
    kind = ArchiveFileKindField(read_only=True)
    target_type = serializers.SerializerMethodField(help_text="例如 registry.giproduct")
    target_id = serializers.IntegerField(source="object_id", read_only=True)
    target = serializers.SerializerMethodField(help_text="所属对象的名称")
    division = DivisionRef(read_only=True)
    organization = OrganizationRef(read_only=True, allow_null=True)
    category_display = serializers.SerializerMethodField()
    kind_display = serializers.SerializerMethodField()
    file_name = serializers.SerializerMethodField(help_text="下载时的文件名")
    uploaded_by = serializers.SerializerMethodField()
    withdrawn = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ArchiveDocument
        fields = [
            "id",
            "target_type",
            "target_id",
            "target",
            "division",
            "organization",
            "category",
            "category_display",
            "document_date",
            "description",
            "original_name",
            "file_name",
            "size",
            "kind",
            "kind_display",
            "sha256",
            "uploaded_by",
            "uploaded_at",
            "withdrawn",
            "withdrawn_at",
            "withdraw_reason",
            "download_url",
        ]

    def get_target_type(self, obj: ArchiveDocument) -> str:
        return obj.target_type

    def get_target(self, obj: ArchiveDocument) -> str:
        return str(obj.target or "")

    def get_category_display(self, obj: ArchiveDocument) -> str:
        return str(obj.get_category_display())

    def get_kind_display(self, obj: ArchiveDocument) -> str:
        return obj.file_kind.label

    def get_file_name(self, obj: ArchiveDocument) -> str:
        return obj.download_name

    def get_uploaded_by(self, obj: ArchiveDocument) -> str:
        return str(obj.uploaded_by or "")

    def get_withdrawn(self, obj: ArchiveDocument) -> bool:
        return obj.is_withdrawn

    def get_download_url(self, obj: ArchiveDocument) -> str:
        return reverse("api-archive-download", args=[obj.pk])


class ArchiveListParams(serializers.Serializer[Any]):
    target_type = serializers.CharField(required=False, allow_blank=True)
    target_id = serializers.IntegerField(required=False, min_value=1)
    category = ArchiveCategoryField(required=False)
    division = serializers.CharField(required=False, allow_blank=True)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    q = serializers.CharField(required=False, allow_blank=True)
    include_withdrawn = serializers.BooleanField(required=False, default=False)


class ArchiveUploadInput(serializers.Serializer[Any]):
    target_type = serializers.CharField(help_text="例如 registry.giproduct")
    target_id = serializers.IntegerField(min_value=1)
    category = ArchiveCategoryField()
    document_date = serializers.DateField()
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    # Empty files reach the service, which answers with its coded `empty_file`.
    file = serializers.FileField(allow_empty_file=True, use_url=False)


class ArchiveListApi(ListApi):
    serializer_class = ArchiveDocumentOutput
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        responses=ArchiveDocumentOutput(many=True),
        parameters=[
            OpenApiParameter("target_type", str, description="对象类型，如 registry.giproduct"),
            OpenApiParameter("target_id", int, description="对象编号（与 target_type 同用）"),
            OpenApiParameter("category", str, enum=ArchiveCategory.values),
            OpenApiParameter("division", str, description="区划代码（市代码含其下各县）"),
            OpenApiParameter("date_from", OpenApiTypes.DATE, description="文件日期起"),
            OpenApiParameter("date_to", OpenApiTypes.DATE, description="文件日期止"),
            OpenApiParameter("q", str, description="文件名或说明"),
            OpenApiParameter("include_withdrawn", bool, description="含已撤回文件"),
        ],
        summary="工作档案列表（数据范围内，默认不含已撤回）",
    )
    def get(self, request: Request) -> Response:
        params = ArchiveListParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        documents = selectors.archive_list_for_user(user=request.user, **params.validated_data)
        return self.page_of(documents)

    @extend_schema(
        request={"multipart/form-data": ArchiveUploadInput},
        responses={201: ArchiveDocumentOutput},
        summary="上传工作档案（multipart）。按文件内容识别类型：empty_file、file_too_large、"
        "file_type_not_allowed、invalid_image；对象不存在或不在数据范围内为 invalid_target",
    )
    def post(self, request: Request) -> Response:
        data = ArchiveUploadInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        target = target_get_for_user(
            user=request.user, target_type=values["target_type"], target_id=values["target_id"]
        )
        actor = request_user(request)
        if not can_attach_archive(actor):
            raise ForbiddenError("您的角色不能上传工作档案。")
        division, organization = filing_for(actor=actor, target=target)
        document = services.archive_attach(
            actor=actor,
            target=target,
            division=division,
            organization=organization,
            category=values["category"],
            document_date=values["document_date"],
            description=values.get("description", ""),
            upload=values["file"],
        )
        document = selectors.archive_get_for_user(user=actor, pk=document.pk)
        return Response(ArchiveDocumentOutput(document).data, status=status.HTTP_201_CREATED)


class ArchiveDetailApi(APIView):
    @extend_schema(responses=ArchiveDocumentOutput, summary="工作档案文件详情（含已撤回）")
    def get(self, request: Request, pk: int) -> Response:
        document = selectors.archive_get_for_user(user=request.user, pk=pk)
        return Response(ArchiveDocumentOutput(document).data)


class ArchiveDownloadApi(APIView):
    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="文件本身：以附件下载，Content-Type 为检测到的类型，带 nosniff",
            )
        },
        summary="下载工作档案文件",
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        return document_response(selectors.archive_get_for_user(user=request.user, pk=pk))


class ArchiveWithdrawApi(APIView):
    class WithdrawInput(serializers.Serializer[Any]):
        reason = serializers.CharField(max_length=500)

    @extend_schema(
        request=WithdrawInput,
        responses=ArchiveDocumentOutput,
        summary="撤回工作档案文件（保留记录，不再列入目录）；已撤回为 409 already_withdrawn",
    )
    def post(self, request: Request, pk: int) -> Response:
        document = selectors.archive_get_for_user(user=request.user, pk=pk)
        data = self.WithdrawInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.archive_withdraw(
            actor=request_user(request), document=document, reason=data.validated_data["reason"]
        )
        document = selectors.archive_get_for_user(user=request.user, pk=pk)
        return Response(ArchiveDocumentOutput(document).data)
