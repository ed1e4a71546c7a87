"""Input and output shapes of the applications API."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dibiao.applications import selectors
from dibiao.applications.models import (
    Application,
    ApplicationEvent,
    ApplicationTarget,
    BudgetLine,
    ReviewAssignment,
    ReviewCriterion,
    Score,
)
from dibiao.applications.permissions import allowed_transitions
from dibiao.projects.choices import ImplementationArea
from dibiao.registry.models import GIProduct


def money_field(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, **kwargs)


# --- input ----------------------------------------------------------------------------------


class ApplicationBudgetLineInput(serializers.Serializer[Any]):
    area = serializers.ChoiceField(choices=ImplementationArea.choices)
    description = serializers.CharField(max_length=300)
    amount = money_field(min_value=0)


@extend_schema_field(OpenApiTypes.INT)
class ScopedProductField(serializers.PrimaryKeyRelatedField[GIProduct]):
    """A product outside the caller's scope reads as a missing id, so that ids cannot be probed
    across counties."""

    def get_queryset(self) -> QuerySet[GIProduct]:
        return GIProduct.objects.restrict(self.context["request"].user)


class ApplicationCreateInput(serializers.Serializer[Any]):
    program = serializers.IntegerField(help_text="保护工程 id（须处于申报中）")
    product = ScopedProductField()
    plan = serializers.CharField(allow_blank=True)
    requested_amount = money_field(min_value=0)
    budget_lines = ApplicationBudgetLineInput(many=True, required=False)
    targets = serializers.DictField(
        child=serializers.DecimalField(max_digits=10, decimal_places=2),
        required=False,
        help_text="指标代码 → 承诺值（不低于工程要求）；未给出的取工程要求值。",
    )


class ApplicationUpdateInput(serializers.Serializer[Any]):
    plan = serializers.CharField(allow_blank=True, required=False)
    requested_amount = money_field(min_value=0, required=False)
    budget_lines = ApplicationBudgetLineInput(many=True, required=False, help_text="整体替换")
    targets = serializers.DictField(
        child=serializers.DecimalField(max_digits=10, decimal_places=2), required=False
    )


class ApplicationStepInput(serializers.Serializer[Any]):
    comment = serializers.CharField(
        allow_blank=True, required=False, default="", help_text="退回、撤回时必填"
    )


class ApplicationDecideInput(serializers.Serializer[Any]):
    selected = serializers.BooleanField()
    amount = money_field(
        required=False, allow_null=True, help_text="入选时必填：确定的补助资金（元）"
    )
    comment = serializers.CharField(
        allow_blank=True, required=False, default="", help_text="未入选时必填"
    )


class ReviewCriterionInput(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100)
    weight = serializers.DecimalField(max_digits=5, decimal_places=2)
    max_points = serializers.DecimalField(max_digits=6, decimal_places=2)


class ReviewSchemeInput(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100)
    trimmed = serializers.BooleanField(default=False)
    criteria = ReviewCriterionInput(many=True)


class ReviewOpenInput(serializers.Serializer[Any]):
    experts = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), allow_empty=True
    )
    applications = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        help_text="省略时为本工程全部“市已推荐”的申报",
    )


class ReviewCloseInput(serializers.Serializer[Any]):
    applications = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        help_text="省略时为本工程全部“专家评审中”的申报",
    )


class ReviewScoreItemInput(serializers.Serializer[Any]):
    criterion = serializers.IntegerField()
    points = serializers.DecimalField(max_digits=6, decimal_places=2)
    comment = serializers.CharField(max_length=500, allow_blank=True, required=False, default="")


class ReviewScoreSubmitInput(serializers.Serializer[Any]):
    scores = ReviewScoreItemInput(many=True)
    opinion = serializers.CharField(allow_blank=True, required=False, default="")


class ReviewRecuseInput(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=300)


# --- output ---------------------------------------------------------------------------------


class ApplicationBudgetLineOutput(serializers.ModelSerializer[BudgetLine]):
    class Meta:
        model = BudgetLine
        fields = ["area", "description", "amount"]


class ApplicationTargetOutput(serializers.ModelSerializer[ApplicationTarget]):
    class Meta:
        model = ApplicationTarget
        fields = ["code", "name", "area", "period", "unit", "minimum", "value"]


class ApplicationEventOutput(serializers.ModelSerializer[ApplicationEvent]):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = ApplicationEvent
        fields = ["from_status", "to_status", "actor", "role", "comment", "at"]

    def get_actor(self, obj: ApplicationEvent) -> str:
        return str(obj.actor or "")


class ApplicationOutput(serializers.ModelSerializer[Application]):
    program = serializers.SerializerMethodField()
    product = serializers.SerializerMethodField()
    division = serializers.SerializerMethodField()
    organization = serializers.SerializerMethodField()
    status_display = serializers.SerializerMethodField()
    returned_by = serializers.CharField(read_only=True)
    score = serializers.SerializerMethodField()
    rank = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = [
            "id",
            "program",
            "product",
            "division",
            "organization",
            "requested_amount",
            "status",
            "status_display",
            "returned_from",
            "returned_by",
            "score",
            "rank",
            "funding_amount",
            "allocation",
            "submitted_at",
            "decided_at",
            "created_at",
            "updated_at",
            "actions",
        ]

    def _user(self) -> Any:
        return self.context["request"].user

    def get_program(self, obj: Application) -> dict[str, Any]:
        return {"id": obj.program_id, "year": obj.program.year, "name": obj.program.name}

    def get_product(self, obj: Application) -> dict[str, Any]:
        return {"id": obj.product_id, "name": obj.product.name}

    def get_division(self, obj: Application) -> dict[str, str]:
        return {"code": obj.division.code, "name": obj.division.name}

    def get_organization(self, obj: Application) -> dict[str, Any]:
        return {"id": obj.organization_id, "name": obj.organization.name}

    def get_status_display(self, obj: Application) -> str:
        return str(obj.get_status_display())

    @extend_schema_field(OpenApiTypes.DECIMAL)
    def get_score(self, obj: Application) -> str | None:
        if obj.score is None or not selectors.score_visible_to(self._user(), obj):
            return None
        return str(obj.score)

    @extend_schema_field(OpenApiTypes.INT)
    def get_rank(self, obj: Application) -> int | None:
        return obj.rank if selectors.score_visible_to(self._user(), obj) else None

    def get_actions(self, obj: Application) -> list[str]:
        """The steps the caller may take now (`submit`, `confirm`, …)."""
        return sorted({t.action for t in allowed_transitions(self._user(), obj)})


class ApplicationDetailOutput(ApplicationOutput):
    budget_lines = ApplicationBudgetLineOutput(many=True, read_only=True)
    targets = ApplicationTargetOutput(many=True, read_only=True)
    events = serializers.SerializerMethodField()

    class Meta(ApplicationOutput.Meta):
        fields = [*ApplicationOutput.Meta.fields, "plan", "budget_lines", "targets", "events"]

    @extend_schema_field(ApplicationEventOutput(many=True))
    def get_events(self, obj: Application) -> list[dict[str, Any]]:
        return list(
            ApplicationEventOutput(selectors.application_events(application=obj), many=True).data
        )


class ReviewCriterionOutput(serializers.ModelSerializer[ReviewCriterion]):
    class Meta:
        model = ReviewCriterion
        fields = ["id", "position", "name", "weight", "max_points"]


class ReviewSchemeOutput(serializers.Serializer[Any]):
    name = serializers.CharField()
    trimmed = serializers.BooleanField()
    saved = serializers.BooleanField(help_text="false：尚未保存，显示的是默认方案")
    locked = serializers.BooleanField(help_text="已有专家接受任务，不能再修改")
    criteria = ReviewCriterionInput(many=True)


class ReviewScoreOutput(serializers.ModelSerializer[Score]):
    criterion_name = serializers.CharField(source="criterion.name", read_only=True)

    class Meta:
        model = Score
        fields = ["criterion", "criterion_name", "points", "comment"]


class ReviewPanelScoreOutput(serializers.ModelSerializer[ReviewAssignment]):
    expert = serializers.SerializerMethodField()
    scores = ReviewScoreOutput(many=True, read_only=True)

    class Meta:
        model = ReviewAssignment
        fields = ["id", "expert", "status", "total", "opinion", "submitted_at", "scores"]

    def get_expert(self, obj: ReviewAssignment) -> str:
        return str(obj.expert)


class ReviewAssignmentOutput(serializers.ModelSerializer[ReviewAssignment]):
    application = serializers.SerializerMethodField()

    class Meta:
        model = ReviewAssignment
        fields = [
            "id",
            "status",
            "total",
            "opinion",
            "recusal_reason",
            "assigned_at",
            "submitted_at",
            "application",
        ]

    def get_application(self, obj: ReviewAssignment) -> dict[str, Any]:
        application = obj.application
        return {
            "id": application.pk,
            "program": application.program.name,
            "product": application.product.name,
            "division": application.division.name,
            "status": application.status,
            "requested_amount": str(application.requested_amount),
        }


class ReviewAssignmentDetailOutput(ReviewAssignmentOutput):
    plan = serializers.CharField(source="application.plan", read_only=True)
    budget_lines = ApplicationBudgetLineOutput(
        source="application.budget_lines", many=True, read_only=True
    )
    targets = ApplicationTargetOutput(source="application.targets", many=True, read_only=True)
    criteria = serializers.SerializerMethodField()
    scores = ReviewScoreOutput(many=True, read_only=True)
    panel = serializers.SerializerMethodField()

    class Meta(ReviewAssignmentOutput.Meta):
        fields = [
            *ReviewAssignmentOutput.Meta.fields,
            "plan",
            "budget_lines",
            "targets",
            "criteria",
            "scores",
            "panel",
        ]

    @extend_schema_field(ReviewCriterionOutput(many=True))
    def get_criteria(self, obj: ReviewAssignment) -> list[dict[str, Any]]:
        criteria = selectors.criteria_for(program_id=obj.application.program_id)
        return list(ReviewCriterionOutput(criteria, many=True).data)

    @extend_schema_field(ReviewPanelScoreOutput(many=True, allow_null=True))
    def get_panel(self, obj: ReviewAssignment) -> list[dict[str, Any]] | None:
        """Every expert's scores, or null until the caller's own are submitted."""
        panel = selectors.panel_scores_for_user(
            user=self.context["request"].user, application=obj.application
        )
        return None if panel is None else list(ReviewPanelScoreOutput(panel, many=True).data)


class ReviewRankingOutput(serializers.ModelSerializer[Application]):
    product = serializers.CharField(source="product.name", read_only=True)
    division = serializers.CharField(source="division.name", read_only=True)
    status_display = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = [
            "id",
            "rank",
            "score",
            "score_count",
            "product",
            "division",
            "requested_amount",
            "status",
            "status_display",
            "funding_amount",
        ]

    def get_status_display(self, obj: Application) -> str:
        return str(obj.get_status_display())


class ReviewExpertOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    username = serializers.CharField()
    full_name = serializers.CharField()
    organizations = serializers.SerializerMethodField()

    def get_organizations(self, obj: Any) -> list[str]:
        return sorted(
            {
                f"{m.organization.name}（{m.organization.division.name}）"
                for m in obj.memberships.all()
            }
        )
