"""Reads of notices and objections. Staff reads start from `restrict`; public reads show only
published notices that are open or archived, and never an objector's name or contact."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet

from dibiao.core.errors import NotFoundError
from dibiao.disclosure.choices import NoticePhase, NoticeStatus, ObjectionStatus
from dibiao.disclosure.models import Notice, NoticeQuerySet, Objection, local_today


def _with_relations(qs: NoticeQuerySet) -> NoticeQuerySet:
    return qs.select_related("division__parent", "publisher", "product")


def _with_counts(qs: NoticeQuerySet) -> NoticeQuerySet:
    return qs.annotate(
        objection_count=Count("objections"),
        pending_count=Count("objections", filter=Q(objections__status=ObjectionStatus.PENDING)),
    )


def notice_list_for_user(
    *,
    user: Any,
    q: str = "",
    status: str = "",
    kind: str = "",
    phase: str = "",
    today: dt.date | None = None,
) -> QuerySet[Notice]:
    qs = Notice.objects.restrict(user)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(body__icontains=q))
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if phase:
        qs = qs.in_phase(phase, today or local_today())
    return _with_counts(_with_relations(qs)).order_by("-created_at", "-id")


def notice_get_for_user(*, user: Any, pk: int) -> Notice:
    notice = _with_relations(Notice.objects.restrict(user)).filter(pk=pk).first()
    if notice is None:
        raise NotFoundError("未找到该公示。")
    return notice


def objection_list_for_notice(*, notice: Notice, status: str = "") -> QuerySet[Objection]:
    """A notice's objections, oldest first. The caller has fetched the notice through
    `notice_get_for_user`, which is the scope check."""
    qs = notice.objections.select_related("answered_by")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("submitted_at", "id")


def objection_get_for_user(*, user: Any, pk: int) -> Objection:
    objection = (
        Objection.objects.restrict(user)
        .select_related("notice__division", "answered_by")
        .filter(pk=pk)
        .first()
    )
    if objection is None:
        raise NotFoundError("未找到该异议。")
    return objection


def objection_counts(*, notice: Notice) -> dict[str, int]:
    return notice.objections.aggregate(
        total=Count("pk"),
        answered=Count("pk", filter=Q(status=ObjectionStatus.ANSWERED)),
        pending=Count("pk", filter=Q(status=ObjectionStatus.PENDING)),
    )


# --- public ----------------------------------------------------------------------------------


def notice_list_public(*, archived: bool = False, today: dt.date | None = None) -> NoticeQuerySet:
    """Open notices, newest period first; or, with `archived`, those whose period has ended,
    most recently ended first."""
    today = today or local_today()
    if archived:
        qs = Notice.objects.archived(today).order_by("-end_date", "-start_date", "-id")
    else:
        qs = Notice.objects.open(today).order_by("-start_date", "-published_at", "-id")
    return _with_counts(_with_relations(qs))


def notice_get_public(*, pk: int) -> Notice:
    """A published notice that is open or archived; anything else (a draft, a withdrawn or a
    not yet started notice) does not exist for the public."""
    notice = _with_relations(Notice.objects.filter(status=NoticeStatus.PUBLISHED, pk=pk)).first()
    if notice is None or notice.phase() not in (NoticePhase.OPEN, NoticePhase.ARCHIVED):
        raise NotFoundError("未找到该公示。")
    return notice


def objection_get_by_receipt(*, receipt: str) -> Objection:
    # Whatever the notice's status: an objection to a since-withdrawn notice is still answered,
    # and its receipt is the objector's only way to read the answer.
    objection = Objection.objects.select_related("notice").filter(receipt=receipt).first()
    if objection is None:
        raise NotFoundError("未找到该异议回执。")
    return objection
