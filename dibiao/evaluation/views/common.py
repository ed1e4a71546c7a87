"""Shared bits of the evaluation pages."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from dibiao.accounts.http import AuthedRequest
from dibiao.core.params import parse_id
from dibiao.evaluation import selectors
from dibiao.evaluation.permissions import can_view_evaluation
from dibiao.projects.models import Program


def government(request: AuthedRequest) -> None:
    if not can_view_evaluation(request.user):
        raise PermissionDenied


def selected_program(request: AuthedRequest) -> tuple[list[Program], Program | None]:
    """The programs in scope that have products to measure, and the one asked for
    (`?program=`, else the latest)."""
    programs = list(selectors.evaluation_programs_for_user(user=request.user))
    wanted = parse_id(request.GET.get("program"))
    chosen = next((p for p in programs if p.pk == wanted), None)
    return programs, chosen or (programs[0] if programs else None)
