"""Issue 8's demo records of the 2021 program's execution: what its evaluation reads.

- Funds: the province passes each allocation's funds down (most within a month of the plan's
  issue, two late); the implementing body signs one contract with the product's cooperative (the
  undertaking unit) and pays it in three instalments, the first within a month of receiving the
  funds for most products (two late), bringing execution to 85–98 % by the end of 2021. Every
  payment is recorded by the implementing body and approved by another person (four eyes): the
  city bureau for a county's product, the province for a city's, and a second provincial account
  (`province_finance`) for the product the province implements itself.
- Dispatch: each implementing body files its 2021 monthly reports and the annual summary (what
  the indicators read; the quarterly summaries are left to try the pages with). They are loaded
  as historical submissions (`report_submit(submitted_at=...)`, the data-loading option, audited
  with the real time of loading): each monthly report a few days after its month, by the
  dispatch day, except two late ones (`LATE_MONTHLY`), and the annual summary a few days before
  its deadline, so that 月报按时报送 reads as a real year would.
- Supervision: the city visits each county it oversees, the province the products it oversees.
- Training: the 2021 sessions (the production demo's are in the current season).
- The default evaluation scheme of the program, ready for a first evaluation round.

All through the owning apps' services, as their users would, so the fund ledger, the audit log
and the verifiable ledger record them. Idempotent: skipped when the program has contracts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone

from dibiao.accounts.choices import Role
from dibiao.accounts.models import Organization, User
from dibiao.core.choices import DivisionLevel
from dibiao.dispatch.choices import ReportKind
from dibiao.dispatch.periods import Period
from dibiao.dispatch.selectors import allocation_periods
from dibiao.dispatch.services.reports import report_save, report_submit
from dibiao.dispatch.services.supervision import inspection_record
from dibiao.evaluation.models import EvaluationScheme
from dibiao.evaluation.services import scheme_create_default
from dibiao.producers.models import Producer
from dibiao.production.models import TrainingSession
from dibiao.production.services.training import training_create
from dibiao.projects.choices import ImplementationArea
from dibiao.projects.models import Allocation, Contract, Program
from dibiao.projects.services import (
    allocation_record_disbursement,
    contract_create,
    entry_record,
    entry_review,
)

if TYPE_CHECKING:
    from dibiao.demo.services import DemoResult

CENT = Decimal("0.01")
# The day the 2021 implementation plan was issued; the province passes the funds down after it.
PLAN_ISSUED = dt.date(2021, 5, 20)
FINANCE_USERNAME = "province_finance"


@dataclass(frozen=True)
class Schedule:
    """One product's 2021: days from the plan to the funds passed down, days from there to the
    first payment, the execution rate at the end of the year, training person-times."""

    disbursed_after: int
    first_payment_after: int
    execution: Decimal
    training: tuple[int, ...]


# Most products on time; 王官屯京杏 received its funds late, 偏关羊肉 paid late, 灵石酸枣仁 both.
SCHEDULES: dict[str, Schedule] = {
    "清徐葡萄": Schedule(22, 12, Decimal("0.98"), (210, 180, 160)),
    "王官屯京杏": Schedule(62, 18, Decimal("0.92"), (200, 170, 150)),
    "斗山杏仁": Schedule(25, 20, Decimal("0.95"), (190, 160, 170)),
    "冠山连翘茶": Schedule(24, 26, Decimal("0.90"), (160, 150, 140)),
    "上党高粱": Schedule(28, 15, Decimal("0.96"), (240, 180, 150)),
    "沁水刺槐蜂蜜": Schedule(23, 21, Decimal("0.88"), (150, 140, 130)),
    "平鲁红山荞麦": Schedule(26, 28, Decimal("0.93"), (180, 170, 160)),
    "灵石酸枣仁": Schedule(75, 47, Decimal("0.85"), (140, 120, 110)),
    "七里坡山楂": Schedule(21, 9, Decimal("0.97"), (220, 190, 170)),
    "偏关羊肉": Schedule(27, 58, Decimal("0.91"), (200, 160, 150)),
    "隆化小米": Schedule(24, 14, Decimal("0.94"), (230, 200, 180)),
    "临县开阳大枣": Schedule(29, 23, Decimal("0.89"), (170, 160, 150)),
}
# The two monthly reports that came in after their due date, and by how many days.
LATE_MONTHLY: dict[tuple[str, int], int] = {("偏关羊肉", 7): 4, ("灵石酸枣仁", 8): 6}
TRAINING_MONTHS = (3, 6, 9)
VISIT_DAY = dt.date(2021, 9, 15)


def _keeper(allocation: Allocation) -> User:
    """The implementing body's demo account (it keeps the ledger and files the reports)."""
    division = allocation.division
    username = {
        DivisionLevel.COUNTY: f"county_{division.code}",
        DivisionLevel.CITY: f"city_{division.code}",
    }.get(DivisionLevel(division.level), "province_admin")
    return User.objects.get(username=username)


def _reviewer(allocation: Allocation) -> User:
    """Four eyes: someone else in scope approves the payments."""
    division = allocation.division
    if division.level == DivisionLevel.COUNTY and division.parent is not None:
        return User.objects.get(username=f"city_{division.parent.code}")
    if division.level == DivisionLevel.CITY:
        return User.objects.get(username="province_admin")
    return User.objects.get(username=FINANCE_USERNAME)


def _supervisor(allocation: Allocation) -> User:
    division = allocation.division
    if division.level == DivisionLevel.COUNTY and division.parent is not None:
        return User.objects.get(username=f"city_{division.parent.code}")
    return User.objects.get(username="province_admin")


def _undertaking_unit(allocation: Allocation) -> Organization:
    operator = (
        Producer.objects.filter(products=allocation.product, is_scale_operator=True)
        .exclude(organization=None)
        .select_related("organization")
        .order_by("pk")
        .first()
    )
    if operator is None or operator.organization is None:
        raise LookupError(f"{allocation.product.name} has no demo cooperative")
    return operator.organization


def funds_demo_load(result: DemoResult) -> None:
    from dibiao.demo import services as demo

    program = Program.objects.filter(province__code=demo.PROVINCE_CODE, year=2021).first()
    if program is None or Contract.objects.filter(allocation__program=program).exists():
        return
    dept = Organization.objects.get(name=demo.PROVINCE_DEPT)
    demo._account(result, FINANCE_USERNAME, "省厅计划财务处（演示）", dept, Role.PROVINCE_ADMIN)
    allocations = (
        Allocation.objects.filter(program=program)
        .select_related("program", "product", "division__parent")
        .order_by("product__name")
    )
    for n, allocation in enumerate(allocations, start=1):
        schedule = SCHEDULES.get(allocation.product.name)
        if schedule is None:
            continue
        _funds(allocation, schedule, n)
        _reports(allocation, n)
        inspection_record(
            actor=_supervisor(allocation),
            program=program,
            division=allocation.division,
            visited_on=VISIT_DAY + dt.timedelta(days=n),
            inspectors="市农业农村局项目督导组（演示）"
            if allocation.division.level == DivisionLevel.COUNTY
            else "省农业农村厅项目督导组（演示）",
            findings="基地建设按合同推进，资金专账核算；部分档案资料归档不及时（演示）。",
            recommendations="按月整理项目档案，加快资金支付进度（演示）。",
        )
        _training(allocation, schedule)
    if not EvaluationScheme.objects.filter(program=program).exists():
        scheme_create_default(actor=None, program=program)


def _funds(allocation: Allocation, schedule: Schedule, n: int) -> None:
    disbursed_on = PLAN_ISSUED + dt.timedelta(days=schedule.disbursed_after)
    allocation = allocation_record_disbursement(
        actor=None, allocation=allocation, disbursed_on=disbursed_on
    )
    keeper, reviewer = _keeper(allocation), _reviewer(allocation)
    unit = _undertaking_unit(allocation)
    first_paid = disbursed_on + dt.timedelta(days=schedule.first_payment_after)
    contract = contract_create(
        actor=keeper,
        allocation=allocation,
        number=f"DB2021-{allocation.division.code}-{n:02d}",
        title=f"{allocation.product.name}地理标志农产品保护工程项目实施合同（演示）",
        party_b=unit,
        amount=allocation.amount,
        area=ImplementationArea.PRODUCTION,
        start_date=first_paid - dt.timedelta(days=3),
        end_date=dt.date(2022, 6, 30),
        signed_on=first_paid - dt.timedelta(days=3),
        deliverables=[
            ("核心基地基础设施和仓储保鲜设施建设", dt.date(2021, 10, 31)),
            ("按标生产培训、检验检测和品牌宣传", dt.date(2021, 12, 15)),
        ],
    )
    spent = (allocation.amount * schedule.execution).quantize(CENT)
    first = (allocation.amount * Decimal("0.30")).quantize(CENT)
    second = (allocation.amount * Decimal("0.35")).quantize(CENT)
    payments = (
        (first_paid, first, "首期款：基地建设启动"),
        (dt.date(2021, 9, 10), second, "二期款：设施建设与培训"),
        (dt.date(2021, 12, 10), spent - first - second, "三期款：检测、品牌宣传与追溯体系"),
    )
    for number, (paid_on, amount, description) in enumerate(payments, start=1):
        entry = entry_record(
            actor=keeper,
            allocation=allocation,
            contract=contract,
            voucher_number=f"{allocation.division.code}-2021-{number:03d}",
            paid_on=paid_on,
            payee=unit.name,
            amount=amount,
            area=ImplementationArea.PRODUCTION,
            description=f"{description}（演示）",
        )
        entry_review(actor=reviewer, entry=entry, approve=True, note="单据齐全，同意（演示）")


def _submitted_at(allocation: Allocation, period: Period, n: int) -> dt.datetime:
    """When the demo's report of `period` came in: a monthly one on the 1st–3rd day after its
    month (by its due date), late by the days of `LATE_MONTHLY`; the annual summary four days
    before its deadline. In office hours, varying with the product."""
    if period.kind == ReportKind.ANNUAL:
        day = period.due - dt.timedelta(days=4)
    else:
        late = LATE_MONTHLY.get((allocation.product.name, period.start.month))
        on_time = min(period.end + dt.timedelta(days=1 + (n + period.start.month) % 3), period.due)
        day = period.due + dt.timedelta(days=late) if late else on_time
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9 + n % 8, 5 * n % 60)))


def _reports(allocation: Allocation, n: int) -> None:
    """The 2021 monthly reports and the annual summary, submitted on their historical dates."""
    keeper = _keeper(allocation)
    product = allocation.product.name
    texts = {
        ReportKind.MONTHLY: "项目按合同推进，资金专账核算（演示）。",
        ReportKind.ANNUAL: "保护工程完成年度任务，总结成效与问题（演示）。",
    }
    for period in allocation_periods(allocation):
        if period.kind not in texts:
            continue
        text = f"{period.label}{product}{texts[ReportKind(period.kind)]}"
        report = report_save(
            actor=keeper,
            allocation=allocation,
            kind=period.kind,
            period_start=period.start,
            data={"summary": text, "problems": "无（演示）", "next_steps": "按计划推进（演示）"},
        )
        report_submit(
            actor=keeper, report=report, submitted_at=_submitted_at(allocation, period, n)
        )


def _training(allocation: Allocation, schedule: Schedule) -> None:
    """The 2021 sessions, held by the bureau that holds the product's current-season session."""
    season = (
        TrainingSession.objects.filter(product=allocation.product)
        .select_related("organizer", "division")
        .order_by("held_on", "pk")
        .first()
    )
    if season is None:
        return
    for month, attendees in zip(TRAINING_MONTHS, schedule.training, strict=True):
        training_create(
            actor=None,
            organizer=season.organizer,
            data={
                "product": allocation.product,
                "division": season.division,
                "held_on": dt.date(2021, month, 16),
                "place": season.place,
                "topic": f"{allocation.product.name}按标生产技术培训（{month}月，演示）",
                "trainer": "省级产业技术体系专家（演示）",
                "attendee_count": attendees,
                "notes": "2021年保护工程培训（演示数据）",
            },
        )
