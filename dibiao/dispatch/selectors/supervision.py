"""Reads of supervision (督导检查): inspection visits and notices of criticism, scoped."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from dibiao.core.errors import NotFoundError
from dibiao.core.models import Division
from dibiao.dispatch.choices import NoticeStatus
from dibiao.dispatch.models import CriticismNotice, InspectionVisit
from dibiao.projects.choices import ProgramStatus
from dibiao.projects.models import Allocation, Program
from dibiao.projects.selectors import program_list_for_user


def supervision_programs_for_user(*, user: Any) -> QuerySet[Program]:
    """Programs under way or closed (supervision and rectification outlive implementation)."""
    return program_list_for_user(user=user).filter(
        status__in=[ProgramStatus.IMPLEMENTING, ProgramStatus.CLOSED]
    )


def inspection_list_for_user(
    *, user: Any, program: Program | None = None, division: Division | None = None
) -> QuerySet[InspectionVisit]:
    qs = InspectionVisit.objects.restrict(user).select_related(
        "program", "division__parent", "recorded_by"
    )
    if program is not None:
        qs = qs.filter(program=program)
    if division is not None:
        qs = qs.filter(division=division)
    return qs.order_by("-visited_on", "-id")


def inspection_get_for_user(*, user: Any, pk: int) -> InspectionVisit:
    visit = inspection_list_for_user(user=user).filter(pk=pk).first()
    if visit is None:
        raise NotFoundError("未找到该督导检查记录。")
    return visit


def notice_list_for_user(
    *,
    user: Any,
    program: Program | None = None,
    status: str = "",
    overdue_on: dt.date | None = None,
) -> QuerySet[CriticismNotice]:
    """`overdue_on`: only the notices still open after their deadline on that day."""
    qs = CriticismNotice.objects.restrict(user).select_related(
        "program",
        "division__parent",
        "issuer_division",
        "issued_by",
        "rectified_by",
        "closed_by",
        "inspection",
    )
    if program is not None:
        qs = qs.filter(program=program)
    if status:
        qs = qs.filter(status=status)
    if overdue_on is not None:
        qs = qs.filter(status=NoticeStatus.OPEN, rectify_by__lt=overdue_on)
    return qs.order_by("-issued_on", "-id")


def notice_get_for_user(*, user: Any, pk: int) -> CriticismNotice:
    notice = notice_list_for_user(user=user).filter(pk=pk).first()
    if notice is None:
        raise NotFoundError("未找到该通报。")
    return notice


def implementing_divisions_for_user(*, user: Any, program: Program) -> QuerySet[Division]:
    """The divisions a supervisor may visit or criticise in a program: those implementing one
    of its allocations, within the user's scope."""
    ids = Allocation.objects.restrict(user).filter(program=program).values("division_id")
    return Division.objects.filter(pk__in=ids).select_related("parent").order_by("code")
