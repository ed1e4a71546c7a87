"""Helpers shared by the dispatch services."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from dibiao.core.errors import ForbiddenError
from dibiao.dispatch.errors import DispatchError
from dibiao.projects.choices import ProgramStatus
from dibiao.projects.models import Program


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise ForbiddenError(message)


def clean(obj: Any, code: str, *, exclude: list[str] | None = None) -> None:
    """Model validation as one coded error whose message names each field."""
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        parts: list[str] = []
        for name, errors in exc.message_dict.items():
            label = (
                ""
                if name == "__all__"
                else str(getattr(obj._meta.get_field(name), "verbose_name", name))
            )
            parts.extend(f"{label}：{error}" if label else error for error in errors)
        raise DispatchError(code, "；".join(parts)) from exc


def require_implementing(program: Program) -> None:
    if program.status != ProgramStatus.IMPLEMENTING:
        raise DispatchError(
            "program_not_implementing",
            f"保护工程当前为“{program.get_status_display()}”，只有实施中的工程才能调度进展。",
            status=409,
        )


def require_under_way(program: Program) -> None:
    """Supervision happens while a program is implemented and after it closes (evaluation)."""
    if program.status not in (ProgramStatus.IMPLEMENTING, ProgramStatus.CLOSED):
        raise DispatchError(
            "program_not_implementing",
            f"保护工程当前为“{program.get_status_display()}”，尚未进入实施阶段。",
            status=409,
        )
