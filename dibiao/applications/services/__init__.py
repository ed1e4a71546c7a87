"""Every write of the applications app. Each service is keyword-only, atomic, locks what it
changes (program → application → assignment), writes the audit row (and, for a workflow step,
an ApplicationEvent), and raises a coded error otherwise."""

from dibiao.applications.services.application import (
    BudgetLineInput,
    application_confirm,
    application_create,
    application_recommend,
    application_return,
    application_submit,
    application_update,
    application_withdraw,
)
from dibiao.applications.services.review import (
    ScoreInput,
    application_decide,
    assignment_recuse,
    review_close,
    review_open,
    score_submit,
)
from dibiao.applications.services.scheme import review_scheme_save, scheme_is_locked

__all__ = [
    "BudgetLineInput",
    "ScoreInput",
    "application_confirm",
    "application_create",
    "application_decide",
    "application_recommend",
    "application_return",
    "application_submit",
    "application_update",
    "application_withdraw",
    "assignment_recuse",
    "review_close",
    "review_open",
    "review_scheme_save",
    "scheme_is_locked",
    "score_submit",
]
