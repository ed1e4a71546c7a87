"""Writes of performance evaluation: schemes, rounds and their scores, appeals. Each service is
one transaction that locks what it changes, checks the actor's right and the state, writes the
audit row and raises a coded `EvaluationError` otherwise."""

from dibiao.evaluation.services.appeals import appeal_decide, appeal_file
from dibiao.evaluation.services.rounds import (
    round_close,
    round_compute,
    round_create,
    round_publish,
    score_enter,
)
from dibiao.evaluation.services.schemes import (
    DEFAULT_ITEMS,
    DEFAULT_SCHEME_NAME,
    ItemInput,
    scheme_create,
    scheme_create_default,
    scheme_update,
)

__all__ = [
    "DEFAULT_ITEMS",
    "DEFAULT_SCHEME_NAME",
    "ItemInput",
    "appeal_decide",
    "appeal_file",
    "round_close",
    "round_compute",
    "round_create",
    "round_publish",
    "scheme_create",
    "scheme_create_default",
    "scheme_update",
    "score_enter",
]
