"""API v1: the province's review of a program (scheme, open, close, ranking, experts) and the
experts' own assignments and scores."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dibiao.accounts.http import request_user
from dibiao.accounts.models import User
from dibiao.applications import selectors, services
from dibiao.applications.api.serializers import (
    ApplicationOutput,
    ReviewAssignmentDetailOutput,
    ReviewAssignmentOutput,
    ReviewCloseInput,
    ReviewExpertOutput,
    ReviewOpenInput,
    ReviewRankingOutput,
    ReviewRecuseInput,
    ReviewSchemeInput,
    ReviewSchemeOutput,
    ReviewScoreSubmitInput,
)
from dibiao.applications.choices import AssignmentStatus
from dibiao.applications.errors import ApplicationsError
from dibiao.applications.models import Application
from dibiao.applications.permissions import can_manage_review
from dibiao.applications.scoring import CriterionSpec
from dibiao.core.api import ListApi
from dibiao.core.errors import ForbiddenError
from dibiao.core.idempotency import idempotent
from dibiao.projects.models import Program
from dibiao.projects.selectors import program_get_for_user


def _province_program(request: Request, program_id: int) -> Program:
    # 404 for another province's program first, then 403 for a user who is not the province.
    program = program_get_for_user(user=request.user, pk=program_id)
    if not can_manage_review(request.user):
        raise ForbiddenError("只有省级管理员可以管理专家评审。")
    return program


def _applications(request: Request, ids: list[int] | None) -> list[Application] | None:
    if ids is None:
        return None
    found = list(Application.objects.restrict(request.user).filter(pk__in=set(ids)))
    if len(found) != len(set(ids)):
        raise ApplicationsError("invalid_application", "所选申报不存在或不在您的管辖范围内。")
    return found


def _scheme(program: Program) -> dict[str, Any]:
    view = selectors.scheme_for(program=program)
    return ReviewSchemeOutput(
        {
            "name": view.name,
            "trimmed": view.trimmed,
            "saved": view.saved,
            "locked": services.scheme_is_locked(program),
            "criteria": [
                {"name": c.name, "weight": c.weight, "max_points": c.max_points}
                for c in view.criteria
            ],
        }
    ).data


class SchemeApi(APIView):
    @extend_schema(responses=ReviewSchemeOutput, summary="评审方案（未保存时显示默认方案）")
    def get(self, request: Request, program_id: int) -> Response:
        return Response(_scheme(_province_program(request, program_id)))

    @extend_schema(
        request=ReviewSchemeInput,
        responses=ReviewSchemeOutput,
        summary="设置评审方案（权重合计须为 100；已有专家接受任务后不能修改）",
    )
    @idempotent
    def put(self, request: Request, program_id: int) -> Response:
        program = _province_program(request, program_id)
        data = ReviewSchemeInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        services.review_scheme_save(
            actor=request_user(request),
            program=program,
            name=values["name"],
            trimmed=values["trimmed"],
            criteria=[CriterionSpec(**c) for c in values["criteria"]],
        )
        return Response(_scheme(program))


class ReviewProgressApi(ListApi):
    serializer_class = ApplicationOutput

    @extend_schema(
        responses=ApplicationOutput(many=True), summary="待评审与评审中的申报（省级管理员）"
    )
    def get(self, request: Request, program_id: int) -> Response:
        program = _province_program(request, program_id)
        rows = selectors.review_progress_for_user(user=request.user, program=program)
        page = self.paginate_queryset(rows)
        data = ApplicationOutput(page, many=True, context={"request": request}).data
        return self.get_paginated_response(data)


class ReviewOpenApi(APIView):
    @extend_schema(
        request=ReviewOpenInput,
        responses=ApplicationOutput(many=True),
        summary="组织专家评审：为“市已推荐”的申报指派专家（与申报县有关联的专家回避：expert_conflict）",
    )
    @idempotent
    def post(self, request: Request, program_id: int) -> Response:
        program = _province_program(request, program_id)
        data = ReviewOpenInput(data=request.data)
        data.is_valid(raise_exception=True)
        ids = set(data.validated_data["experts"])
        experts = list(User.objects.filter(pk__in=ids))
        if len(experts) != len(ids):
            raise ApplicationsError("not_an_expert", "所选专家不存在。")
        assignments = services.review_open(
            actor=request_user(request),
            program=program,
            experts=experts,
            applications=_applications(request, data.validated_data.get("applications")),
        )
        opened = sorted({a.application_id for a in assignments})
        rows = selectors.application_list_for_user(user=request.user).filter(pk__in=opened)
        return Response(ApplicationOutput(rows, many=True, context={"request": request}).data)


class ReviewCloseApi(APIView):
    @extend_schema(
        request=ReviewCloseInput,
        responses=ReviewRankingOutput(many=True),
        summary="结束评审：计算得分（每份至少 3 位专家）并排名",
    )
    @idempotent
    def post(self, request: Request, program_id: int) -> Response:
        program = _province_program(request, program_id)
        data = ReviewCloseInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.review_close(
            actor=request_user(request),
            program=program,
            applications=_applications(request, data.validated_data.get("applications")),
        )
        rows = selectors.ranking_for_user(user=request.user, program=program)
        return Response(ReviewRankingOutput(rows, many=True).data)


class RankingApi(ListApi):
    serializer_class = ReviewRankingOutput

    @extend_schema(responses=ReviewRankingOutput(many=True), summary="评审排名（省级管理员）")
    def get(self, request: Request, program_id: int) -> Response:
        program = _province_program(request, program_id)
        return self.page_of(selectors.ranking_for_user(user=request.user, program=program))


class ExpertListApi(ListApi):
    serializer_class = ReviewExpertOutput

    @extend_schema(responses=ReviewExpertOutput(many=True), summary="本省评审专家（省级管理员）")
    def get(self, request: Request) -> Response:
        if not can_manage_review(request.user):
            raise ForbiddenError("只有省级管理员可以查看评审专家名单。")
        return self.page_of(selectors.expert_list_for_user(user=request.user))


class AssignmentListApi(ListApi):
    serializer_class = ReviewAssignmentOutput

    @extend_schema(
        responses=ReviewAssignmentOutput(many=True),
        parameters=[OpenApiParameter("status", str, enum=AssignmentStatus.values)],
        summary="我的评审任务（评审专家）",
    )
    def get(self, request: Request) -> Response:
        rows = selectors.assignment_list_for_user(
            user=request.user, status=request.query_params.get("status", "")
        )
        return self.page_of(rows)


def _assignment(request: Request, pk: int) -> Response:
    assignment = selectors.assignment_get_for_user(user=request.user, pk=pk)
    return Response(ReviewAssignmentDetailOutput(assignment, context={"request": request}).data)


class AssignmentDetailApi(APIView):
    @extend_schema(
        responses=ReviewAssignmentDetailOutput,
        summary="评审任务详情：申报材料、评审方案、我的评分；其他专家的评分在提交本人评分后可见",
    )
    def get(self, request: Request, pk: int) -> Response:
        return _assignment(request, pk)


class ScoreSubmitApi(APIView):
    @extend_schema(
        request=ReviewScoreSubmitInput,
        responses=ReviewAssignmentDetailOutput,
        summary="提交评分（须为全部评审内容评分，0 至满分；提交后不能修改）",
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        assignment = selectors.assignment_get_for_user(user=request.user, pk=pk)
        data = ReviewScoreSubmitInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.score_submit(
            actor=request_user(request),
            assignment=assignment,
            scores=[
                services.ScoreInput(s["criterion"], s["points"], s["comment"])
                for s in data.validated_data["scores"]
            ],
            opinion=data.validated_data["opinion"],
        )
        return _assignment(request, pk)


class RecuseApi(APIView):
    @extend_schema(
        request=ReviewRecuseInput, responses=ReviewAssignmentDetailOutput, summary="申请回避"
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        assignment = selectors.assignment_get_for_user(user=request.user, pk=pk)
        data = ReviewRecuseInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.assignment_recuse(
            actor=request_user(request),
            assignment=assignment,
            reason=data.validated_data["reason"],
        )
        return _assignment(request, pk)
