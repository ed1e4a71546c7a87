from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dibiao.accounts.choices import Role
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.core.models import AuditLog
from dibiao.projects import services
from dibiao.projects.choices import (
    ContractStatus,
    EntryKind,
    EntryStatus,
    ImplementationArea,
    ProgramStatus,
)
from dibiao.projects.errors import ProjectsError
from dibiao.projects.models import Allocation, Contract, FundEntry, Program, ProgramTarget
from dibiao.projects.targets import PLAN_TARGETS
from dibiao.testing.factories import ProductFactory, user_with_role

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


def _contract(actor, allocation, undertaker, amount="1000000.00", number="QX-2022-001", **extra):
    return services.contract_create(
        actor=actor,
        allocation=allocation,
        number=number,
        title="核心基地建设",
        party_b=undertaker,
        amount=amount,
        area=ImplementationArea.PRODUCTION,
        start_date=dt.date(2022, 3, 1),
        end_date=dt.date(2022, 12, 31),
        signed_on=dt.date(2022, 2, 20),
        deliverables=[("完成 500 亩标准化基地", dt.date(2022, 9, 30))],
        **extra,
    )


def _pay(actor, allocation, contract=None, amount="30000.00", voucher="PZ-001"):
    return services.entry_record(
        actor=actor,
        allocation=allocation,
        contract=contract,
        voucher_number=voucher,
        paid_on=TODAY,
        payee="清徐县葡萄专业合作社",
        amount=amount,
        area=ImplementationArea.PRODUCTION,
    )


# --- programs ------------------------------------------------------------------------------


def test_program_starts_from_the_plans_targets_and_is_audited(draft_program):
    program = draft_program
    assert program.status == ProgramStatus.DRAFT
    assert ProgramTarget.objects.filter(program=program).count() == len(PLAN_TARGETS)
    farmers = ProgramTarget.objects.get(program=program, code="farmers_driven")
    assert (farmers.value, farmers.unit) == (Decimal(500), "人")
    assert AuditLog.objects.filter(action="create", object_type="projects.program").count() == 1


def test_only_province_admin_creates_programs_and_only_for_its_province(
    tree, county_admin, province_admin
):
    with pytest.raises(ForbiddenError):
        services.program_create(
            actor=county_admin,
            province=tree["p"],
            year=2023,
            name="x",
            total_budget="1.00",
            annual_summary_deadline=dt.date(2023, 11, 30),
        )
    with pytest.raises(ProjectsError) as exc:
        services.program_create(
            actor=province_admin,
            province=tree["c1"],
            year=2023,
            name="x",
            total_budget="1.00",
            annual_summary_deadline=dt.date(2023, 11, 30),
        )
    assert exc.value.code == "invalid_province"


def test_one_program_per_province_and_year(program, province_admin, tree):
    with pytest.raises(ProjectsError) as exc:
        services.program_create(
            actor=province_admin,
            province=tree["p"],
            year=2022,
            name="重复",
            total_budget="1.00",
            annual_summary_deadline=dt.date(2022, 11, 30),
        )
    assert "已有保护工程" in exc.value.message


@pytest.mark.parametrize("amount", ["0", "-1", "12.345", "abc"])
def test_money_must_be_positive_yuan_with_two_places(tree, province_admin, amount):
    with pytest.raises(ProjectsError) as exc:
        services.program_create(
            actor=province_admin,
            province=tree["p"],
            year=2024,
            name="x",
            total_budget=amount,
            annual_summary_deadline=dt.date(2024, 11, 30),
        )
    assert exc.value.code == "invalid_amount"
    assert not Program.objects.filter(year=2024).exists()


def test_program_moves_only_along_its_workflow(draft_program, province_admin):
    program = draft_program
    with pytest.raises(ProjectsError) as exc:
        services.program_transition(
            actor=province_admin, program=program, status=ProgramStatus.IMPLEMENTING
        )
    assert exc.value.code == "invalid_transition"
    assert exc.value.status == 409
    for status in (
        ProgramStatus.OPEN,
        ProgramStatus.REVIEWING,
        ProgramStatus.IMPLEMENTING,
        ProgramStatus.CLOSED,
    ):
        services.program_transition(actor=province_admin, program=program, status=status)
    assert Program.objects.get(pk=program.pk).status == ProgramStatus.CLOSED
    assert services.program_next_statuses(Program.objects.get(pk=program.pk)) == []
    assert AuditLog.objects.filter(action="transition", object_type="projects.program").count() == 4


def test_budget_cannot_drop_below_what_is_allocated(program, allocation, province_admin):
    with pytest.raises(ProjectsError) as exc:
        services.program_update(
            actor=province_admin, program=program, data={"total_budget": "2999999.99"}
        )
    assert exc.value.code == "budget_below_allocated"
    services.program_update(
        actor=province_admin, program=program, data={"total_budget": "3000000.00"}
    )
    assert Program.objects.get(pk=program.pk).total_budget == Decimal("3000000.00")


# --- allocations ---------------------------------------------------------------------------


def test_allocation_adds_to_the_program_total_and_goes_to_the_products_county(
    program, allocation, tree
):
    assert allocation.division == tree["c1a"]
    assert Program.objects.get(pk=program.pk).allocated_total == Decimal("3000000.00")


def test_allocation_over_budget_is_refused_and_nothing_is_written(
    program, allocation, province_admin, tree
):
    other = ProductFactory.create(divisions=[tree["c1b"]])
    with pytest.raises(ProjectsError) as exc:
        services.allocation_create(
            actor=province_admin, program=program, product=other, amount="3000000.01"
        )
    assert exc.value.code == "over_budget"
    assert "尚可分配 3,000,000.00 元" in exc.value.message
    assert not Allocation.objects.filter(product=other).exists()
    assert Program.objects.get(pk=program.pk).allocated_total == Decimal("3000000.00")
    services.allocation_create(
        actor=province_admin, program=program, product=other, amount="3000000.00"
    )
    assert Program.objects.get(pk=program.pk).unallocated == Decimal("0.00")


def test_a_product_is_allocated_once_per_program(program, allocation, province_admin, product):
    with pytest.raises(ProjectsError) as exc:
        services.allocation_create(
            actor=province_admin, program=program, product=product, amount="1.00"
        )
    assert exc.value.code == "allocation_exists"


def test_product_spanning_counties_of_one_city_is_implemented_by_the_city(
    program, province_admin, tree
):
    spanning = ProductFactory.create(divisions=[tree["c1a"], tree["c1b"]])
    allocation = services.allocation_create(
        actor=province_admin, program=program, product=spanning, amount="1.00"
    )
    assert allocation.division == tree["c1"]


def test_only_the_province_allocates(program, product, county_admin):
    with pytest.raises(ForbiddenError):
        services.allocation_create(
            actor=county_admin, program=program, product=product, amount="1.00"
        )


def test_allocation_amount_change_keeps_within_budget_and_above_what_is_used(
    allocation, province_admin, county_admin, undertaker
):
    _contract(county_admin, allocation, undertaker, amount="1000000.00")
    with pytest.raises(ProjectsError) as exc:
        services.allocation_change_amount(
            actor=province_admin, allocation=allocation, amount="999999.99"
        )
    assert exc.value.code == "amount_below_used"
    with pytest.raises(ProjectsError) as exc:
        services.allocation_change_amount(
            actor=province_admin, allocation=allocation, amount="6000000.01"
        )
    assert exc.value.code == "over_budget"
    services.allocation_change_amount(
        actor=province_admin, allocation=allocation, amount="2000000.00"
    )
    assert Program.objects.get(pk=allocation.program_id).allocated_total == Decimal("2000000.00")


def test_responsible_person_must_work_in_the_implementing_bureau(
    allocation, county_admin, other_county_admin
):
    services.allocation_set_responsible(
        actor=county_admin, allocation=allocation, responsible=county_admin
    )
    assert Allocation.objects.get(pk=allocation.pk).responsible == county_admin
    with pytest.raises(ProjectsError) as exc:
        services.allocation_set_responsible(
            actor=county_admin, allocation=allocation, responsible=other_county_admin
        )
    assert exc.value.code == "invalid_responsible"


def test_other_county_cannot_touch_the_allocation(allocation, other_county_admin):
    with pytest.raises(NotFoundError):
        services.allocation_set_responsible(
            actor=other_county_admin, allocation=allocation, responsible=other_county_admin
        )


def test_disbursement_date_cannot_be_in_the_future(allocation, province_admin):
    with pytest.raises(ProjectsError):
        services.allocation_record_disbursement(
            actor=province_admin, allocation=allocation, disbursed_on=TODAY + dt.timedelta(days=1)
        )
    services.allocation_record_disbursement(
        actor=province_admin, allocation=allocation, disbursed_on=TODAY
    )
    assert Allocation.objects.get(pk=allocation.pk).disbursed_on == TODAY


# --- contracts -----------------------------------------------------------------------------


def test_contract_takes_the_implementing_bureau_as_party_a(allocation, county_admin, undertaker):
    contract = _contract(county_admin, allocation, undertaker)
    assert contract.party_a == county_admin.memberships.get().organization
    assert contract.deliverables.count() == 1
    assert Allocation.objects.get(pk=allocation.pk).contracted_total == Decimal("1000000.00")


def test_contract_over_the_allocation_is_refused_and_nothing_is_written(
    allocation, county_admin, undertaker
):
    _contract(county_admin, allocation, undertaker, amount="2500000.00")
    with pytest.raises(ProjectsError) as exc:
        _contract(county_admin, allocation, undertaker, amount="500000.01", number="QX-2022-002")
    assert exc.value.code == "over_allocation"
    assert Contract.objects.count() == 1
    assert Allocation.objects.get(pk=allocation.pk).contracted_total == Decimal("2500000.00")


def test_contract_period_and_number_are_validated(allocation, county_admin, undertaker):
    with pytest.raises(ProjectsError) as exc:
        services.contract_create(
            actor=county_admin,
            allocation=allocation,
            number="N1",
            title="t",
            party_b=undertaker,
            amount="1.00",
            area=ImplementationArea.BRAND,
            start_date=dt.date(2022, 5, 1),
            end_date=dt.date(2022, 4, 1),
            signed_on=dt.date(2022, 4, 1),
        )
    assert "结束日期不能早于开始日期" in exc.value.message
    _contract(county_admin, allocation, undertaker, amount="1.00", number="N2")
    with pytest.raises(ProjectsError) as exc:
        _contract(county_admin, allocation, undertaker, amount="1.00", number="N2")
    assert "合同编号已登记" in exc.value.message


def test_contract_party_must_be_in_scope_and_only_the_county_records(
    allocation, county_admin, province_admin, tree
):
    from dibiao.testing.factories import OrganizationFactory

    elsewhere = OrganizationFactory.create(division=tree["c2a"])
    with pytest.raises(ProjectsError) as exc:
        _contract(county_admin, allocation, elsewhere)
    assert exc.value.code == "party_out_of_scope"
    with pytest.raises(ForbiddenError):
        _contract(province_admin, allocation, elsewhere)


def test_terminating_a_contract_returns_its_unspent_amount(
    allocation, county_admin, reviewer, undertaker
):
    contract = _contract(county_admin, allocation, undertaker, amount="1000000.00")
    entry = _pay(county_admin, allocation, contract, amount="100000.00")
    services.entry_review(actor=reviewer, entry=entry, approve=True)
    services.contract_set_status(
        actor=county_admin, contract=contract, status=ContractStatus.TERMINATED, reason="乙方违约"
    )
    contract.refresh_from_db()
    assert (contract.status, contract.amount) == (ContractStatus.TERMINATED, Decimal("100000.00"))
    assert Allocation.objects.get(pk=allocation.pk).contracted_total == Decimal("100000.00")
    with pytest.raises(ProjectsError) as exc:
        services.contract_set_status(
            actor=county_admin, contract=contract, status=ContractStatus.COMPLETED, reason="x"
        )
    assert exc.value.code == "invalid_transition"
    with pytest.raises(ProjectsError) as exc:
        _pay(county_admin, allocation, contract, amount="1.00", voucher="PZ-9")
    assert exc.value.code == "contract_not_active"


# --- the fund ledger -----------------------------------------------------------------------


def test_payment_commits_funds_at_once_and_approval_keeps_them(
    allocation, county_admin, reviewer, undertaker
):
    contract = _contract(county_admin, allocation, undertaker)
    entry = _pay(county_admin, allocation, contract)
    assert entry.status == EntryStatus.PENDING
    assert Contract.objects.get(pk=contract.pk).committed_total == Decimal("30000.00")
    services.entry_review(actor=reviewer, entry=entry, approve=True)
    assert FundEntry.objects.get(pk=entry.pk).status == EntryStatus.APPROVED
    assert Allocation.objects.get(pk=allocation.pk).committed_total == Decimal("30000.00")


def test_expenditure_over_the_contract_is_refused_and_nothing_is_written(
    allocation, county_admin, undertaker
):
    contract = _contract(county_admin, allocation, undertaker, amount="50000.00")
    _pay(county_admin, allocation, contract, amount="30000.00")
    with pytest.raises(ProjectsError) as exc:
        _pay(county_admin, allocation, contract, amount="20000.01", voucher="PZ-002")
    assert exc.value.code == "over_contract"
    assert "合同余额 20,000.00 元" in exc.value.message
    assert FundEntry.objects.count() == 1
    assert Contract.objects.get(pk=contract.pk).committed_total == Decimal("30000.00")


def test_expenditure_over_the_allocation_without_contract_is_refused(allocation, county_admin):
    with pytest.raises(ProjectsError) as exc:
        _pay(county_admin, allocation, amount="3000000.01")
    assert exc.value.code == "over_allocation"
    assert not FundEntry.objects.exists()


def test_recorder_cannot_approve_own_entry(allocation, county_admin):
    entry = _pay(county_admin, allocation)
    with pytest.raises(ProjectsError) as exc:
        services.entry_review(actor=county_admin, entry=entry, approve=True)
    assert exc.value.code == "four_eyes"
    assert FundEntry.objects.get(pk=entry.pk).status == EntryStatus.PENDING


def test_rejecting_a_payment_releases_its_funds_and_needs_a_note(
    allocation, county_admin, reviewer
):
    entry = _pay(county_admin, allocation, amount="500.00")
    with pytest.raises(ProjectsError):
        services.entry_review(actor=reviewer, entry=entry, approve=False)
    services.entry_review(actor=reviewer, entry=entry, approve=False, note="凭证不全")
    assert Allocation.objects.get(pk=allocation.pk).committed_total == Decimal("0.00")
    with pytest.raises(ProjectsError) as exc:
        services.entry_review(actor=reviewer, entry=entry, approve=True)
    assert exc.value.code == "already_reviewed"


def test_a_correction_is_a_reversal_entry_that_frees_funds_when_approved(
    allocation, county_admin, reviewer
):
    entry = _pay(county_admin, allocation, amount="800.00")
    with pytest.raises(ProjectsError) as exc:
        services.entry_reverse(actor=county_admin, entry=entry, reason="金额错误")
    assert exc.value.code == "not_reversible"
    services.entry_review(actor=reviewer, entry=entry, approve=True)
    reversal = services.entry_reverse(actor=county_admin, entry=entry, reason="金额错误")
    assert (reversal.kind, reversal.reverses, reversal.amount) == (
        EntryKind.REVERSAL,
        entry,
        Decimal("800.00"),
    )
    assert Allocation.objects.get(pk=allocation.pk).committed_total == Decimal("800.00")
    services.entry_review(actor=reviewer, entry=reversal, approve=True)
    assert Allocation.objects.get(pk=allocation.pk).committed_total == Decimal("0.00")
    with pytest.raises(ProjectsError) as exc:
        services.entry_reverse(actor=county_admin, entry=entry, reason="再次")
    assert exc.value.code == "already_reversed"
    assert FundEntry.objects.count() == 2


def test_ledger_entries_cannot_be_deleted(allocation, county_admin):
    entry = _pay(county_admin, allocation)
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        FundEntry.objects.all().delete()


def test_payment_date_cannot_be_in_the_future_and_wrong_contract_is_refused(
    allocation, county_admin, undertaker, program, province_admin, tree
):
    with pytest.raises(ProjectsError):
        services.entry_record(
            actor=county_admin,
            allocation=allocation,
            contract=None,
            voucher_number="V",
            paid_on=TODAY + dt.timedelta(days=2),
            payee="x",
            amount="1.00",
            area=ImplementationArea.BRAND,
        )
    other_product = ProductFactory.create(divisions=[tree["c1a"]])
    other = services.allocation_create(
        actor=province_admin, program=program, product=other_product, amount="10.00"
    )
    contract = _contract(county_admin, other, undertaker, amount="10.00")
    with pytest.raises(ProjectsError) as exc:
        _pay(county_admin, allocation, contract, amount="1.00")
    assert exc.value.code == "contract_mismatch"


def test_other_county_cannot_record_or_review(allocation, county_admin, other_county_admin, tree):
    with pytest.raises(NotFoundError):
        _pay(other_county_admin, allocation)
    entry = _pay(county_admin, allocation)
    with pytest.raises(NotFoundError):
        services.entry_review(actor=other_county_admin, entry=entry, approve=True)
    producer = user_with_role(Role.PRODUCER, tree["c1a"])
    with pytest.raises(ForbiddenError):
        _pay(producer, allocation)


def test_database_refuses_totals_past_their_limits_even_if_a_check_is_skipped(allocation):
    from django.db import IntegrityError, transaction
    from django.db.models import F

    with pytest.raises(IntegrityError), transaction.atomic():
        Allocation.objects.filter(pk=allocation.pk).update(committed_total=F("amount") + 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Program.objects.filter(pk=allocation.program_id).update(
            allocated_total=F("total_budget") + 1
        )


def test_no_contracts_or_payments_before_selection_or_after_closing(
    draft_program, province_admin, county_admin, undertaker, product
):
    allocation = services.allocation_create(
        actor=province_admin, program=draft_program, product=product, amount="10.00"
    )
    with pytest.raises(ProjectsError) as exc:
        _contract(county_admin, allocation, undertaker, amount="1.00")
    assert exc.value.code == "program_not_running"
    with pytest.raises(ProjectsError) as exc:
        _pay(county_admin, allocation, amount="1.00")
    assert exc.value.code == "program_not_running"
    assert not FundEntry.objects.exists()


def test_cancelled_products_get_no_funds(program, province_admin, tree):
    cancelled = ProductFactory.create(divisions=[tree["c1b"]], status="cancelled")
    with pytest.raises(ProjectsError) as exc:
        services.allocation_create(
            actor=province_admin, program=program, product=cancelled, amount="1.00"
        )
    assert exc.value.code == "product_cancelled"


def test_terminating_an_unspent_contract_returns_all_of_it(allocation, county_admin, undertaker):
    contract = _contract(county_admin, allocation, undertaker, amount="1000000.00")
    services.contract_set_status(
        actor=county_admin, contract=contract, status=ContractStatus.TERMINATED, reason="取消"
    )
    contract.refresh_from_db()
    assert contract.amount == Decimal("0.00")
    assert Allocation.objects.get(pk=allocation.pk).contracted_total == Decimal("0.00")


def test_deliverables_are_added_within_the_period_and_delivered_once(
    allocation, county_admin, undertaker
):
    contract = _contract(county_admin, allocation, undertaker)
    with pytest.raises(ProjectsError) as exc:
        services.deliverable_add(
            actor=county_admin, contract=contract, description="验收", due_date=dt.date(2023, 1, 1)
        )
    assert exc.value.code == "due_outside_period"
    deliverable = services.deliverable_add(
        actor=county_admin, contract=contract, description="验收", due_date=dt.date(2022, 12, 1)
    )
    services.deliverable_mark_delivered(
        actor=county_admin, deliverable=deliverable, delivered_on=TODAY
    )
    with pytest.raises(ProjectsError) as exc:
        services.deliverable_mark_delivered(
            actor=county_admin, deliverable=deliverable, delivered_on=TODAY
        )
    assert exc.value.code == "already_delivered"


def test_program_targets_can_be_adjusted_by_the_province(program, province_admin, county_admin):
    target = program.targets.get(code="training")
    with pytest.raises(ForbiddenError):
        services.program_target_update(actor=county_admin, target=target, value="600")
    with pytest.raises(ProjectsError):
        services.program_target_update(actor=province_admin, target=target, value="-1")
    services.program_target_update(actor=province_admin, target=target, value="600")
    assert ProgramTarget.objects.get(pk=target.pk).value == Decimal("600")


def test_spending_grouped_by_area_and_month(allocation, county_admin, reviewer):
    from dibiao.projects.selectors import allocation_spending_by

    entry = _pay(county_admin, allocation, amount="1200.00")
    services.entry_review(actor=reviewer, entry=entry, approve=True)
    by_area = allocation_spending_by(allocation=allocation, field="area")
    assert by_area == [{"group": ImplementationArea.PRODUCTION, "spent": Decimal("1200.00")}]
    assert [
        row["spent"] for row in allocation_spending_by(allocation=allocation, field="month")
    ] == [Decimal("1200.00")]


def test_a_city_level_allocation_is_kept_by_the_city_bureau(
    program, province_admin, city_admin, county_admin, tree
):
    from dibiao.testing.factories import OrganizationFactory

    spanning = ProductFactory.create(divisions=[tree["c1a"], tree["c1b"]])
    allocation = services.allocation_create(
        actor=province_admin, program=program, product=spanning, amount="100.00"
    )
    assert allocation.division == tree["c1"]
    party_b = OrganizationFactory.create(division=tree["c1a"])
    contract = _contract(city_admin, allocation, party_b, amount="50.00")
    assert contract.party_a == city_admin.memberships.get().organization
    _pay(city_admin, allocation, contract, amount="10.00")
    with pytest.raises(NotFoundError):  # the city's allocation is outside a county's scope
        _pay(county_admin, allocation, contract, amount="10.00", voucher="PZ-2")
    assert FundEntry.objects.filter(allocation=allocation).count() == 1


def test_a_province_level_allocation_is_kept_by_the_provincial_department(
    program, province_admin, tree
):
    at_province = ProductFactory.create(divisions=[tree["p"]])
    allocation = services.allocation_create(
        actor=province_admin, program=program, product=at_province, amount="100.00"
    )
    entry = _pay(province_admin, allocation, amount="10.00")
    assert entry.recorded_by == province_admin


# --- review findings: ended contracts, rejected reversals ------------------------------------


def test_a_contract_with_payments_under_review_cannot_be_ended(
    allocation, county_admin, reviewer, undertaker
):
    contract = _contract(county_admin, allocation, undertaker)
    entry = _pay(county_admin, allocation, contract, amount="400000.00")
    with pytest.raises(ProjectsError) as exc:
        services.contract_set_status(
            actor=county_admin, contract=contract, status=ContractStatus.TERMINATED, reason="x"
        )
    assert exc.value.code == "pending_entries"
    services.entry_review(actor=reviewer, entry=entry, approve=False, note="凭证错误")
    services.contract_set_status(
        actor=county_admin, contract=contract, status=ContractStatus.TERMINATED, reason="x"
    )
    allocation.refresh_from_db()
    assert (allocation.contracted_total, allocation.committed_total) == (
        Decimal("0.00"),
        Decimal("0.00"),
    )


def test_completing_a_contract_returns_its_unspent_part(
    allocation, county_admin, reviewer, undertaker
):
    contract = _contract(county_admin, allocation, undertaker)
    services.entry_review(
        actor=reviewer,
        entry=_pay(county_admin, allocation, contract, amount="600000.00"),
        approve=True,
    )
    services.contract_set_status(
        actor=county_admin, contract=contract, status=ContractStatus.COMPLETED, reason="验收"
    )
    assert Contract.objects.get(pk=contract.pk).amount == Decimal("600000.00")
    assert Allocation.objects.get(pk=allocation.pk).contracted_total == Decimal("600000.00")


def test_reversal_on_an_ended_contract_keeps_contracted_equal_to_spent(
    allocation, county_admin, reviewer, undertaker
):
    contract = _contract(county_admin, allocation, undertaker)
    payment = _pay(county_admin, allocation, contract, amount="400000.00")
    services.entry_review(actor=reviewer, entry=payment, approve=True)
    services.contract_set_status(
        actor=county_admin, contract=contract, status=ContractStatus.TERMINATED, reason="x"
    )
    reversal = services.entry_reverse(actor=county_admin, entry=payment, reason="重复支付")
    services.entry_review(actor=reviewer, entry=reversal, approve=True)
    contract.refresh_from_db()
    allocation.refresh_from_db()
    assert (contract.amount, contract.committed_total) == (Decimal("0.00"), Decimal("0.00"))
    assert (allocation.contracted_total, allocation.committed_total) == (
        Decimal("0.00"),
        Decimal("0.00"),
    )


def test_a_rejected_reversal_does_not_block_a_new_one(allocation, county_admin, reviewer):
    payment = _pay(county_admin, allocation, amount="700.00")
    services.entry_review(actor=reviewer, entry=payment, approve=True)
    first = services.entry_reverse(actor=county_admin, entry=payment, reason="金额错")
    services.entry_review(actor=reviewer, entry=first, approve=False, note="原因写错")
    second = services.entry_reverse(
        actor=county_admin, entry=payment, reason="金额错误，应为 70 元"
    )
    with pytest.raises(ProjectsError) as exc:
        services.entry_reverse(actor=county_admin, entry=payment, reason="第三次")
    assert exc.value.code == "already_reversed"
    services.entry_review(actor=reviewer, entry=second, approve=True)
    assert Allocation.objects.get(pk=allocation.pk).committed_total == Decimal("0.00")


def test_city_admin_cannot_name_the_responsible_person_of_a_county_allocation(
    allocation, city_admin, county_admin
):
    with pytest.raises(ForbiddenError):
        services.allocation_set_responsible(
            actor=city_admin, allocation=allocation, responsible=county_admin
        )


@pytest.mark.parametrize("value", ["1e30", "NaN", "Infinity", "0.001"])
def test_absurd_target_values_are_refused_not_crashing(program, province_admin, value):
    with pytest.raises(ProjectsError) as exc:
        services.program_target_update(
            actor=province_admin, target=program.targets.first(), value=value
        )
    assert exc.value.code == "invalid_value"


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "-Infinity", "1e12", "1e400"])
def test_amounts_that_are_not_finite_money_are_refused(tree, province_admin, amount):
    with pytest.raises(ProjectsError) as exc:
        services.program_create(
            actor=province_admin,
            province=tree["p"],
            year=2025,
            name="x",
            total_budget=amount,
            annual_summary_deadline=dt.date(2025, 11, 30),
        )
    assert exc.value.code == "invalid_amount"
