"""Shared pieces of the dispatch API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.request import Request

from dibiao.core.api import ScopedRelatedField, int_query_param, validated
from dibiao.core.models import Division
from dibiao.dispatch.selectors.table import division_label

# The shared API helpers (dibiao.core.api) under the names this package uses.
ScopedField = ScopedRelatedField
valid = validated
int_param = int_query_param


class DispatchRef(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class DispatchUserRef(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="__str__", read_only=True)


class DispatchDivisionRef(serializers.Serializer[Division]):
    code = serializers.CharField(read_only=True)
    name = serializers.SerializerMethodField()
    level = serializers.CharField(read_only=True)

    def get_name(self, obj: Division) -> str:
        return division_label(obj)


def required_int_param(request: Request, name: str) -> int:
    value = int_param(request, name)
    if value is None:
        raise serializers.ValidationError({name: ["必填。"]})
    return value
