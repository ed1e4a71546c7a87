"""The application workflow, declared once: which action moves an application from which status
to which, who may take it, and at which division the actor must hold that role.

`services` enforces this table; pages and the API read it to offer only the allowed actions.
"""

from __future__ import annotations

from dataclasses import dataclass

from dibiao.accounts.choices import Role
from dibiao.applications.choices import ApplicationStatus as S
from dibiao.core.choices import DivisionLevel


@dataclass(frozen=True)
class Transition:
    action: str
    source: S
    target: S
    role: Role
    # Where the role must be held: the application's county, that county's city, or the
    # program's province.
    level: DivisionLevel
    label: str
    comment_required: bool = False


COUNTY, CITY, PROVINCE = DivisionLevel.COUNTY, DivisionLevel.CITY, DivisionLevel.PROVINCE

TRANSITIONS: tuple[Transition, ...] = (
    Transition("submit", S.DRAFT, S.SUBMITTED, Role.COUNTY_ADMIN, COUNTY, "提交申报"),
    Transition("submit", S.RETURNED, S.SUBMITTED, Role.COUNTY_ADMIN, COUNTY, "重新提交"),
    Transition("withdraw", S.DRAFT, S.WITHDRAWN, Role.COUNTY_ADMIN, COUNTY, "撤回申报", True),
    Transition("withdraw", S.RETURNED, S.WITHDRAWN, Role.COUNTY_ADMIN, COUNTY, "撤回申报", True),
    Transition("confirm", S.SUBMITTED, S.CONFIRMED, Role.COUNTY_GOV, COUNTY, "审核确认"),
    Transition("return", S.SUBMITTED, S.RETURNED, Role.COUNTY_GOV, COUNTY, "退回修改", True),
    Transition("recommend", S.CONFIRMED, S.RECOMMENDED, Role.CITY_ADMIN, CITY, "推荐"),
    Transition("return", S.CONFIRMED, S.RETURNED, Role.CITY_ADMIN, CITY, "退回修改", True),
    Transition(
        "open_review", S.RECOMMENDED, S.UNDER_REVIEW, Role.PROVINCE_ADMIN, PROVINCE, "组织专家评审"
    ),
    Transition("close_review", S.UNDER_REVIEW, S.SCORED, Role.PROVINCE_ADMIN, PROVINCE, "结束评审"),
    Transition("select", S.SCORED, S.SELECTED, Role.PROVINCE_ADMIN, PROVINCE, "确定入选"),
    Transition(
        "reject", S.SCORED, S.NOT_SELECTED, Role.PROVINCE_ADMIN, PROVINCE, "确定未入选", True
    ),
)

ACTIONS = frozenset(t.action for t in TRANSITIONS)
# A county may change its application only while it is its own: before it is submitted, or
# after it came back.
EDITABLE = frozenset({S.DRAFT, S.RETURNED})
# Statuses that no longer count for "one application per product and program".
INACTIVE = frozenset({S.WITHDRAWN})
# Statuses the county hands on to the next step with a simple button on the detail page; the
# province's steps have pages of their own (expert review, decision).
SIMPLE_ACTIONS = ("submit", "confirm", "recommend", "return", "withdraw")


def transition_for(action: str, status: str) -> Transition | None:
    return next((t for t in TRANSITIONS if t.action == action and t.source == status), None)


def transitions_from(status: str) -> list[Transition]:
    return [t for t in TRANSITIONS if t.source == status]
