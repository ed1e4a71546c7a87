"""API v1: the ledger, public and without login (RFC 9162 proofs, C2SP checkpoints).

Hashes, leaves and proofs are base64 (standard alphabet, padded), as in RFC 9162. Sizes and
indexes are plain integers. Nothing here needs an account: anyone may check the log.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dibiao.core.api import int_query_param
from dibiao.core.errors import DomainError, NotFoundError
from dibiao.ledger import keys, services
from dibiao.ledger.models import LedgerCheckpoint, LedgerLeaf

MAX_ENTRIES = 1000


def b64(value: bytes | memoryview) -> str:
    return base64.b64encode(bytes(value)).decode("ascii")


def _required(request: Request, name: str) -> int:
    value = int_query_param(request, name)
    if value is None:
        raise DomainError("invalid", f"缺少参数 {name}。")
    return value


class PublicApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]


class LedgerKeyOutput(serializers.Serializer[Any]):
    origin = serializers.CharField(help_text="日志标识（检查点第一行，也是签名密钥名）")
    algorithm = serializers.CharField(help_text="哈希算法：sha256 或 sm3")
    verifier_key = serializers.CharField(help_text="验证密钥：<origin>+<密钥哈希>+<base64 公钥>")


class LedgerCheckpointOutput(serializers.Serializer[Any]):
    origin = serializers.CharField()
    algorithm = serializers.CharField()
    size = serializers.IntegerField(help_text="树大小（叶数）")
    root_hash = serializers.CharField(help_text="根哈希（base64）")
    timestamp = serializers.DateTimeField()
    checkpoint = serializers.CharField(help_text="C2SP 签名检查点全文（signed note，Ed25519）")


class LedgerEntryOutput(serializers.Serializer[Any]):
    index = serializers.IntegerField()
    leaf = serializers.CharField(help_text="叶数据（规范 JSON 的 base64）")
    leaf_hash = serializers.CharField(help_text="H(0x00 ‖ 叶数据)（base64）")
    record_type = serializers.CharField()
    record_id = serializers.IntegerField()
    document = serializers.JSONField(help_text="叶数据解析后的 JSON，便于阅读")


class LedgerEntriesOutput(serializers.Serializer[Any]):
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    size = serializers.IntegerField(help_text="当前树大小")
    entries = LedgerEntryOutput(many=True)


class LedgerInclusionOutput(serializers.Serializer[Any]):
    index = serializers.IntegerField()
    size = serializers.IntegerField()
    leaf_hash = serializers.CharField()
    root_hash = serializers.CharField()
    proof = serializers.ListField(child=serializers.CharField(), help_text="审计路径（叶到根）")


class LedgerConsistencyOutput(serializers.Serializer[Any]):
    first = serializers.IntegerField()
    second = serializers.IntegerField()
    first_root = serializers.CharField()
    second_root = serializers.CharField()
    proof = serializers.ListField(child=serializers.CharField())


def _checkpoint_data(checkpoint: LedgerCheckpoint) -> dict[str, Any]:
    current = services.state()
    return {
        "origin": current.origin,
        "algorithm": current.algorithm,
        "size": checkpoint.size,
        "root_hash": b64(checkpoint.root_hash),
        "timestamp": checkpoint.timestamp,
        "checkpoint": checkpoint.note,
    }


def _entry_data(leaf: LedgerLeaf) -> dict[str, Any]:
    data = bytes(leaf.data)
    return {
        "index": leaf.leaf_index,
        "leaf": b64(data),
        "leaf_hash": b64(leaf.leaf_hash),
        "record_type": leaf.record_type,
        "record_id": leaf.record_id,
        "document": json.loads(data),
    }


class KeyApi(PublicApi):
    @extend_schema(summary="账本验证密钥（公开）", auth=[], responses=LedgerKeyOutput)
    def get(self, request: Request) -> Response:
        current = services.state()
        return Response(
            {
                "origin": current.origin,
                "algorithm": current.algorithm,
                "verifier_key": keys.verifier_key(current.origin),
            }
        )


class CheckpointApi(PublicApi):
    @extend_schema(
        summary="最新签名检查点；?size= 取该树大小的检查点（公开）",
        auth=[],
        parameters=[OpenApiParameter("size", int, description="可选：已发布检查点的树大小")],
        responses=LedgerCheckpointOutput,
    )
    def get(self, request: Request) -> Response:
        size = int_query_param(request, "size")
        rows = LedgerCheckpoint.objects.order_by("-id")
        checkpoint = (rows if size is None else rows.filter(size=size)).first()
        if checkpoint is None:
            raise NotFoundError(
                "尚未发布检查点。" if size is None else f"没有树大小为 {size} 的检查点。"
            )
        return Response(_checkpoint_data(checkpoint))


class EntryApi(PublicApi):
    @extend_schema(summary="账本叶（公开）", auth=[], responses=LedgerEntryOutput)
    def get(self, request: Request, index: int) -> Response:
        leaf = LedgerLeaf.objects.filter(leaf_index=index).first()
        if leaf is None:
            raise NotFoundError(f"账本中没有第 {index} 号叶。")
        return Response(_entry_data(leaf))


class EntriesApi(PublicApi):
    @extend_schema(
        summary=f"一段账本叶 [start, end)，每次至多 {MAX_ENTRIES} 个（公开，用于下载整个账本）",
        operation_id="v1_ledger_entries_list",
        auth=[],
        parameters=[
            OpenApiParameter("start", int, required=True),
            OpenApiParameter("end", int, description=f"默认 start + {MAX_ENTRIES}"),
        ],
        responses=LedgerEntriesOutput,
    )
    def get(self, request: Request) -> Response:
        size = services.state().size
        start = _required(request, "start")
        end = int_query_param(request, "end")
        end = min(start + MAX_ENTRIES, size) if end is None else end
        if end < start or end - start > MAX_ENTRIES:
            raise DomainError("invalid", f"end 必须不小于 start，且一次至多 {MAX_ENTRIES} 个叶。")
        end = min(end, size)
        leaves = LedgerLeaf.objects.filter(leaf_index__gte=start, leaf_index__lt=end).order_by(
            "leaf_index"
        )
        return Response(
            {
                "start": start,
                "end": max(end, start),
                "size": size,
                "entries": [_entry_data(leaf) for leaf in leaves],
            }
        )


def _latest_size() -> int:
    checkpoint = LedgerCheckpoint.objects.order_by("-id").first()
    if checkpoint is None:
        raise NotFoundError("尚未发布检查点。")
    return checkpoint.size


class InclusionApi(PublicApi):
    @extend_schema(
        summary="包含证明：第 index 号叶在大小为 size 的树中（公开）",
        auth=[],
        parameters=[
            OpenApiParameter("index", int, required=True),
            OpenApiParameter("size", int, description="默认最新检查点的树大小"),
        ],
        responses=LedgerInclusionOutput,
    )
    def get(self, request: Request) -> Response:
        index = _required(request, "index")
        size = int_query_param(request, "size")
        size = _latest_size() if size is None else size
        proof = services.inclusion_proof(index, size)
        leaf = LedgerLeaf.objects.get(leaf_index=index)
        return Response(
            {
                "index": index,
                "size": size,
                "leaf_hash": b64(leaf.leaf_hash),
                "root_hash": b64(services.root(size)),
                "proof": [b64(item) for item in proof],
            }
        )


class ConsistencyApi(PublicApi):
    @extend_schema(
        summary="一致性证明：大小为 first 的树是大小为 second 的树的前缀（公开）",
        auth=[],
        parameters=[
            OpenApiParameter("first", int, required=True),
            OpenApiParameter("second", int, description="默认最新检查点的树大小"),
        ],
        responses=LedgerConsistencyOutput,
    )
    def get(self, request: Request) -> Response:
        first = _required(request, "first")
        second = int_query_param(request, "second")
        second = _latest_size() if second is None else second
        proof = services.consistency_proof(first, second)
        return Response(
            {
                "first": first,
                "second": second,
                "first_root": b64(services.root(first)),
                "second_root": b64(services.root(second)),
                "proof": [b64(item) for item in proof],
            }
        )


urlpatterns = [
    path("ledger/key", KeyApi.as_view(), name="api-ledger-key"),
    path("ledger/checkpoint", CheckpointApi.as_view(), name="api-ledger-checkpoint"),
    path("ledger/entries", EntriesApi.as_view(), name="api-ledger-entries"),
    path("ledger/entries/<int:index>", EntryApi.as_view(), name="api-ledger-entry"),
    path("ledger/proof/inclusion", InclusionApi.as_view(), name="api-ledger-inclusion"),
    path("ledger/proof/consistency", ConsistencyApi.as_view(), name="api-ledger-consistency"),
]
