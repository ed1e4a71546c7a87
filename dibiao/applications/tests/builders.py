"""Builders for application tests: an application at a given step, a full set of scores."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from dibiao.applications import services
from dibiao.applications.models import Application
from dibiao.applications.selectors import criteria_for
from dibiao.applications.services import BudgetLineInput, ScoreInput

REQUEST = Decimal("3000000.00")
LINES = [
    BudgetLineInput("production", "核心生产基地建设", "1500000.00"),
    BudgetLineInput("quality", "按标生产培训与检测", "600000.00"),
    BudgetLineInput("brand", "宣传片与展会", "500000.00"),
    BudgetLineInput("digital", "追溯与一张图", "400000.00"),
]


def draft(county_admin, program, product, **overrides) -> Application:
    values: dict[str, Any] = {
        "plan": "建设核心基地，开展按标生产培训，推进品牌与数字化建设。",
        "requested_amount": REQUEST,
        "budget_lines": LINES,
    }
    values.update(overrides)
    return services.application_create(
        actor=county_admin, program=program, product=product, **values
    )


def recommended(county_admin, county_gov, city_admin, program, product) -> Application:
    application = draft(county_admin, program, product)
    services.application_submit(actor=county_admin, application=application)
    services.application_confirm(actor=county_gov, application=application)
    return services.application_recommend(actor=city_admin, application=application)


def full_scores(application, points=None) -> list[ScoreInput]:
    criteria = criteria_for(program_id=application.program_id)
    points = points or [c.max_points for c in criteria]
    return [ScoreInput(c.pk, p) for c, p in zip(criteria, points, strict=True)]
