from dibiao.applications.models.application import (
    Application,
    ApplicationEvent,
    ApplicationTarget,
    BudgetLine,
)
from dibiao.applications.models.review import (
    ReviewAssignment,
    ReviewCriterion,
    ReviewScheme,
    Score,
)

__all__ = [
    "Application",
    "ApplicationEvent",
    "ApplicationTarget",
    "BudgetLine",
    "ReviewAssignment",
    "ReviewCriterion",
    "ReviewScheme",
    "Score",
]
