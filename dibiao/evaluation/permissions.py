"""Who may do what in performance evaluation. Which rows: scoping (`restrict`).

The province sets the schemes and runs the provincial evaluation; a city administrator runs its
city's evaluation of its counties; the implementing body of an evaluated product (the county
bureau, or the city bureau for a product implemented at city level: `dispatch.permissions.
is_implementer`) appeals. Every government role reads the indicators of its scope.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dibiao.accounts.choices import DIVISION_ROLES, Role
from dibiao.accounts.permissions import has_role, holds_role_at
from dibiao.dispatch.permissions import is_implementer
from dibiao.evaluation.choices import RoundLevel

if TYPE_CHECKING:
    from dibiao.evaluation.models import Evaluation, EvaluationRound

EVALUATOR_ROLE: dict[str, str] = {
    RoundLevel.CITY: Role.CITY_ADMIN,
    RoundLevel.PROVINCE: Role.PROVINCE_ADMIN,
}


def can_view_evaluation(user: Any) -> bool:
    return has_role(user, *DIVISION_ROLES)


def can_manage_schemes(user: Any) -> bool:
    return has_role(user, Role.PROVINCE_ADMIN)


def can_run_rounds(user: Any) -> bool:
    """Shows the "new evaluation" side of the pages; `is_evaluator` decides for one round."""
    return has_role(user, *EVALUATOR_ROLE.values())


def is_evaluator(user: Any, round_: EvaluationRound) -> bool:
    """The administrator of the evaluating city or province itself (not a level above or
    below): it scores, publishes, closes and decides appeals."""
    return holds_role_at(user, EVALUATOR_ROLE[round_.level], round_.division_id)


def can_appeal(user: Any, evaluation: Evaluation) -> bool:
    return is_implementer(user, evaluation.allocation.division)
