"""Reads of the work archive, always through `ArchiveDocument.objects.restrict(user)`."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from functools import reduce
from operator import or_
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q, QuerySet

from dibiao.archive.models import ArchiveDocument
from dibiao.archive.targets import target_type_for
from dibiao.core.errors import NotFoundError


def _with_relations(qs: QuerySet[ArchiveDocument]) -> QuerySet[ArchiveDocument]:
    return qs.select_related(
        "content_type", "division__parent", "organization", "uploaded_by", "withdrawn_by"
    ).prefetch_related("target")


def _targets_filter(targets: Iterable[models.Model]) -> Q:
    ids: dict[int, set[Any]] = defaultdict(set)
    for target in targets:
        ids[ContentType.objects.get_for_model(target).pk].add(target.pk)
    return reduce(
        or_,
        (Q(content_type_id=ct, object_id__in=pks) for ct, pks in ids.items()),
        Q(pk__in=[]),
    )


def archive_list_for_user(
    *,
    user: Any,
    target: models.Model | None = None,
    targets: Iterable[models.Model] | None = None,
    target_type: str = "",
    target_id: int | None = None,
    category: str = "",
    division: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    q: str = "",
    include_withdrawn: bool = False,
) -> QuerySet[ArchiveDocument]:
    """The archive documents the user may see, newest document date first. `target` or
    `targets` limit it to those records' documents; `target_type` (e.g. "registry.giproduct",
    raising `invalid_target_type` if not attachable) and `target_id` do the same by name.
    Withdrawn documents are left out unless `include_withdrawn`."""
    qs = ArchiveDocument.objects.restrict(user)
    if target is not None:
        qs = qs.filter(_targets_filter([target]))
    if targets is not None:
        qs = qs.filter(_targets_filter(targets))
    if target_type:
        model = target_type_for(target_type).model
        qs = qs.filter(content_type=ContentType.objects.get_for_model(model))
    if target_id is not None:
        qs = qs.filter(object_id=target_id)
    if category:
        qs = qs.filter(category=category)
    if division:
        # A city code matches its counties' documents as well as its own.
        qs = qs.filter(Q(division__code=division) | Q(division__parent__code=division))
    if date_from:
        qs = qs.filter(document_date__gte=date_from)
    if date_to:
        qs = qs.filter(document_date__lte=date_to)
    if q:
        qs = qs.filter(Q(original_name__icontains=q) | Q(description__icontains=q))
    if not include_withdrawn:
        qs = qs.filter(withdrawn_at__isnull=True)
    return _with_relations(qs.order_by("-document_date", "-uploaded_at", "-id"))


def archive_get_for_user(*, user: Any, pk: int) -> ArchiveDocument:
    """One document, withdrawn or not (a withdrawn one is kept and may still be read)."""
    document = _with_relations(ArchiveDocument.objects.restrict(user)).filter(pk=pk).first()
    if document is None:
        raise NotFoundError("未找到该档案文件。")
    return document
