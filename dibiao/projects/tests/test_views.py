"""Pages of the protection program. Data is built through the services; the fixtures
`program`, `product`, `allocation` (c1a), `reviewer` and `undertaker` come from conftest.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dibiao.accounts.choices import Role
from dibiao.core.choices import AuditAction
from dibiao.core.models import AuditLog
from dibiao.projects import services
from dibiao.projects.choices import ContractStatus, EntryStatus, ImplementationArea, ProgramStatus
from dibiao.projects.models import Allocation, Contract, Deliverable, FundEntry, Program
from dibiao.projects.templatetags.projects import rate, yuan
from dibiao.projects.views import LEDGER_HEADERS
from dibiao.registry.choices import ProductStatus
from dibiao.testing.factories import (
    OrganizationFactory,
    ProductFactory,
    division_tree,
    user_with_role,
)
from dibiao.testing.responses import xlsx_rows

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def client_as(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _html(response) -> str:
    return response.content.decode()


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def _contract(actor, allocation, party, *, amount="1000000.00", number="QX-2022-001"):
    return services.contract_create(
        actor=actor,
        allocation=allocation,
        number=number,
        title="核心基地建设",
        party_b=party,
        amount=amount,
        area=ImplementationArea.PRODUCTION,
        start_date=dt.date(2022, 3, 1),
        end_date=dt.date(2022, 12, 31),
        signed_on=dt.date(2022, 2, 20),
        deliverables=[("完成 500 亩标准化基地", dt.date(2022, 9, 30))],
    )


def _pay(actor, allocation, contract=None, *, amount="30000.00", voucher="PZ-001", payee="合作社"):
    return services.entry_record(
        actor=actor,
        allocation=allocation,
        contract=contract,
        voucher_number=voucher,
        paid_on=TODAY,
        payee=payee,
        amount=amount,
        area=ImplementationArea.PRODUCTION,
    )


@pytest.fixture
def contract(allocation, county_admin, undertaker):
    return _contract(county_admin, allocation, undertaker)


@pytest.fixture
def entry(allocation, contract, county_admin):
    return _pay(county_admin, allocation, contract)


@pytest.fixture
def foreign(tree, program, province_admin, other_county_admin):
    """Another county's (c2a) allocation, contract and pending entry."""
    product = ProductFactory.create(name="沁水刺槐蜂蜜", divisions=[tree["c2a"]])
    allocation = services.allocation_create(
        actor=province_admin, program=program, product=product, amount="1000000.00"
    )
    party = OrganizationFactory.create(name="沁水县蜂业合作社", division=tree["c2a"])
    contract = _contract(other_county_admin, allocation, party, amount="500000.00", number="QS-1")
    entry = _pay(other_county_admin, allocation, contract, amount="1000.00", voucher="QS-PZ-1")
    return {"allocation": allocation, "contract": contract, "entry": entry}


# --- filters -------------------------------------------------------------------------------


def test_money_and_rate_filters():
    assert yuan(Decimal("1234")) == "¥1,234.00"
    assert yuan(Decimal("35400000.5")) == "¥35,400,000.50"
    assert yuan(Decimal("-12.3")) == "-¥12.30"
    assert yuan(None) == "—"
    assert rate(Decimal("12.34")) == "12.3%"
    assert rate(None) == "—"


# --- access --------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(program):
    response = client_as(None).get(reverse("projects:program-list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.SYSADMIN, Role.PRODUCER, Role.EXPERT])
def test_non_government_roles_get_403(tree, program, allocation, role):
    user = user_with_role(role, tree["c1a"])
    client = client_as(user)
    for name, args in (
        ("projects:program-list", []),
        ("projects:program-detail", [program.pk]),
        ("projects:allocation-detail", [allocation.pk]),
        ("projects:program-export", [program.pk]),
    ):
        assert client.get(reverse(name, args=args)).status_code == 403


# --- program list and detail ---------------------------------------------------------------


def test_program_list_for_each_government_role(tree, program, allocation, city_admin, county_admin):
    province_admin = Program.objects.get(pk=program.pk).created_by
    county_gov = user_with_role(Role.COUNTY_GOV, tree["c1a"])
    for user, can_create in (
        (province_admin, True),
        (city_admin, False),
        (county_admin, False),
        (county_gov, False),
    ):
        response = client_as(user).get(reverse("projects:program-list"))
        assert response.status_code == 200
        html = _html(response)
        assert program.name in html
        assert "¥6,000,000.00" in html  # budget
        assert "¥3,000,000.00" in html  # allocated (and in scope for c1a and its city)
        assert (reverse("projects:program-create") in html) is can_create


def test_empty_program_list(province_admin, county_admin):
    assert "新建保护工程" in _html(client_as(province_admin).get(reverse("projects:program-list")))
    html = _html(client_as(county_admin).get(reverse("projects:program-list")))
    assert "还没有保护工程" in html


def test_program_detail_shows_calendar_targets_and_allocations(county_admin, program, allocation):
    response = client_as(county_admin).get(reverse("projects:program-detail", args=[program.pk]))

    assert response.status_code == 200
    html = _html(response)
    assert "每月 5 日前报送上月进展" in html
    for day in ("2022年3月31日", "2022年6月30日", "2022年9月30日", "2022年12月31日"):
        assert day in html
    assert "2022年11月30日" in html
    assert "带动农户" in html
    assert reverse("projects:allocation-detail", args=[allocation.pk]) in html
    # a county user has no province controls
    assert reverse("projects:allocation-create", args=[program.pk]) not in html
    assert reverse("projects:program-transition", args=[program.pk]) not in html
    assert reverse("projects:allocation-amount", args=[allocation.pk]) not in html


def test_program_detail_for_province_offers_actions_and_only_free_products(
    tree, province_admin, program, allocation, product
):
    free = ProductFactory.create(name="阳高京杏", divisions=[tree["c1b"]])
    ProductFactory.create(
        name="已注销产品", divisions=[tree["c1b"]], status=ProductStatus.CANCELLED
    )
    elsewhere = division_tree("150000")
    ProductFactory.create(name="外省产品", divisions=[elsewhere["c1a"]])

    response = client_as(province_admin).get(reverse("projects:program-detail", args=[program.pk]))

    html = _html(response)
    choices = list(response.context["allocation_form"].fields["product"].queryset)
    assert choices == [free]
    assert reverse("projects:allocation-create", args=[program.pk]) in html
    assert reverse("projects:allocation-amount", args=[allocation.pk]) in html
    assert reverse("projects:allocation-disbursement", args=[allocation.pk]) in html
    assert 'value="closed"' in html  # implementing → closed is the only transition
    assert 'value="implementing"' not in html


def test_county_sees_only_its_allocations_on_the_program(
    county_admin, program, allocation, foreign
):
    response = client_as(county_admin).get(reverse("projects:program-detail", args=[program.pk]))
    assert list(response.context["allocations"]) == [allocation]
    assert "沁水刺槐蜂蜜" not in _html(response)


def test_program_in_another_province_is_404(program):
    elsewhere = division_tree("150000")
    outsider = user_with_role(Role.PROVINCE_ADMIN, elsewhere["p"])
    client = client_as(outsider)
    assert client.get(reverse("projects:program-detail", args=[program.pk])).status_code == 404
    assert client.get(reverse("projects:program-export", args=[program.pk])).status_code == 404
    assert client.get(reverse("projects:program-edit", args=[program.pk])).status_code == 404


# --- program forms -------------------------------------------------------------------------


def test_province_admin_creates_a_program(tree, province_admin):
    response = client_as(province_admin).post(
        reverse("projects:program-create"),
        {
            "province": tree["p"].pk,
            "year": 2023,
            "name": "2023年保护工程",
            "total_budget": "5000000.00",
            "monthly_dispatch_day": 6,
            "annual_summary_deadline": "2023-11-30",
        },
    )
    program = Program.objects.get(year=2023)
    assert response.status_code == 302
    assert response["Location"] == reverse("projects:program-detail", args=[program.pk])
    assert program.monthly_dispatch_day == 6
    assert program.targets.count() > 0


def test_duplicate_program_shows_the_service_message(tree, province_admin, program):
    response = client_as(province_admin).post(
        reverse("projects:program-create"),
        {
            "province": tree["p"].pk,
            "year": 2022,
            "name": "重复",
            "total_budget": "1.00",
            "monthly_dispatch_day": 5,
            "annual_summary_deadline": "2022-11-30",
        },
    )
    assert response.status_code == 200
    assert "该省该年度已有保护工程" in _html(response)
    assert Program.objects.count() == 1


def test_only_province_admin_reaches_program_forms(county_admin, program):
    client = client_as(county_admin)
    assert client.get(reverse("projects:program-create")).status_code == 403
    assert client.get(reverse("projects:program-edit", args=[program.pk])).status_code == 403
    transition = client.post(
        reverse("projects:program-transition", args=[program.pk]), {"status": "open"}
    )
    assert transition.status_code == 403


def test_program_edit_refuses_budget_below_allocated(province_admin, program, allocation):
    url = reverse("projects:program-edit", args=[program.pk])
    data = {
        "name": program.name,
        "total_budget": "100.00",
        "monthly_dispatch_day": 5,
        "annual_summary_deadline": "2022-11-30",
    }
    refused = client_as(province_admin).post(url, data)
    saved = client_as(province_admin).post(url, {**data, "total_budget": "8000000.00"})

    assert refused.status_code == 200
    assert "总预算不能低于已分配的 3,000,000.00 元" in _html(refused)
    assert saved.status_code == 302
    assert Program.objects.get(pk=program.pk).total_budget == Decimal("8000000.00")


def test_status_buttons_move_the_program(province_admin, draft_program):
    program = draft_program
    client = client_as(province_admin)
    url = reverse("projects:program-transition", args=[program.pk])
    ok = client.post(url, {"status": "open"}, follow=True)
    refused = client.post(url, {"status": "closed"}, follow=True)

    assert "已改为“申报中”" in _html(ok)
    assert "不能改为“已结束”" in _html(refused)
    assert Program.objects.get(pk=program.pk).status == ProgramStatus.OPEN


# --- allocations ---------------------------------------------------------------------------


def test_province_admin_allocates_through_the_form(tree, province_admin, program, allocation):
    free = ProductFactory.create(name="阳高京杏", divisions=[tree["c1b"]])
    response = client_as(province_admin).post(
        reverse("projects:allocation-create", args=[program.pk]),
        {"product": free.pk, "amount": "1500000.00"},
    )
    assert response.status_code == 302
    assert Allocation.objects.get(product=free).amount == Decimal("1500000.00")


def test_allocation_over_budget_shows_the_error_and_writes_nothing(
    tree, province_admin, program, allocation
):
    free = ProductFactory.create(divisions=[tree["c1b"]])
    response = client_as(province_admin).post(
        reverse("projects:allocation-create", args=[program.pk]),
        {"product": free.pk, "amount": "3000000.01"},
    )
    assert response.status_code == 200
    assert "超过总预算" in _html(response)
    assert not Allocation.objects.filter(product=free).exists()


def test_province_admin_changes_amount_and_records_disbursement(province_admin, allocation):
    client = client_as(province_admin)
    amount = client.post(
        reverse("projects:allocation-amount", args=[allocation.pk]),
        {"amount": "2500000.00"},
        follow=True,
    )
    disbursed = client.post(
        reverse("projects:allocation-disbursement", args=[allocation.pk]),
        {"disbursed_on": "2022-03-01", "next": reverse("projects:program-list")},
    )
    over = client.post(
        reverse("projects:allocation-amount", args=[allocation.pk]),
        {"amount": "9000000.00"},
        follow=True,
    )

    assert "补助资金已调整" in _html(amount)
    assert disbursed["Location"] == reverse("projects:program-list")
    assert "超过总预算" in _html(over)
    allocation.refresh_from_db()
    assert allocation.amount == Decimal("2500000.00")
    assert allocation.disbursed_on == dt.date(2022, 3, 1)


def test_next_may_not_leave_the_site(province_admin, allocation):
    response = client_as(province_admin).post(
        reverse("projects:allocation-disbursement", args=[allocation.pk]),
        {"disbursed_on": "2022-03-01", "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("projects:allocation-detail", args=[allocation.pk])


def test_county_admin_names_the_responsible_person(county_admin, reviewer, allocation):
    response = client_as(county_admin).post(
        reverse("projects:allocation-responsible", args=[allocation.pk]),
        {"responsible": reviewer.pk},
        follow=True,
    )
    assert "资金专管员已指定" in _html(response)
    assert Allocation.objects.get(pk=allocation.pk).responsible == reviewer


def test_allocation_page_for_the_county_admin(county_admin, allocation, contract, entry):
    response = client_as(county_admin).get(
        reverse("projects:allocation-detail", args=[allocation.pk])
    )
    html = _html(response)
    assert response.status_code == 200
    assert reverse("projects:contract-create", args=[allocation.pk]) in html
    assert reverse("projects:entry-create", args=[allocation.pk]) in html
    assert reverse("projects:allocation-responsible", args=[allocation.pk]) in html
    assert reverse("projects:allocation-export", args=[allocation.pk]) in html
    # the recorder cannot review its own entry
    assert reverse("projects:entry-review", args=[entry.pk]) not in html
    assert "待他人审核" in html
    assert reverse("projects:allocation-amount", args=[allocation.pk]) not in html
    assert "¥2,970,000.00" in html  # running balance after the pending payment


def test_allocation_page_for_a_reviewer_and_the_city(reviewer, city_admin, allocation, entry):
    for user in (reviewer, city_admin):
        html = _html(
            client_as(user).get(reverse("projects:allocation-detail", args=[allocation.pk]))
        )
        assert reverse("projects:entry-review", args=[entry.pk]) in html
    city_html = _html(
        client_as(city_admin).get(reverse("projects:allocation-detail", args=[allocation.pk]))
    )
    assert reverse("projects:contract-create", args=[allocation.pk]) not in city_html
    assert reverse("projects:entry-create", args=[allocation.pk]) not in city_html


def test_empty_allocation_page(county_admin, allocation):
    html = _html(
        client_as(county_admin).get(reverse("projects:allocation-detail", args=[allocation.pk]))
    )
    assert "尚未登记合同" in html
    assert "资金台账还没有分录" in html
    assert "还没有已审核的支出" in html


def test_other_countys_allocation_is_404_on_every_page(county_admin, foreign):
    client = client_as(county_admin)
    pk = foreign["allocation"].pk
    assert client.get(reverse("projects:allocation-detail", args=[pk])).status_code == 404
    assert client.get(reverse("projects:allocation-export", args=[pk])).status_code == 404
    for name, data in (
        ("projects:allocation-responsible", {"responsible": county_admin.pk}),
        ("projects:contract-create", {}),
        ("projects:entry-create", {}),
    ):
        assert client.post(reverse(name, args=[pk]), data).status_code == 404
    assert FundEntry.objects.filter(allocation=foreign["allocation"]).count() == 1


# --- contracts -----------------------------------------------------------------------------


def _contract_form(party, **extra):
    data = {
        "number": "QX-2022-002",
        "title": "品牌宣传片拍摄",
        "party_b": party.pk,
        "amount": "200000.00",
        "area": ImplementationArea.BRAND,
        "signed_on": "2022-03-25",
        "start_date": "2022-04-01",
        "end_date": "2022-10-31",
        "deliverables-TOTAL_FORMS": "3",
        "deliverables-INITIAL_FORMS": "0",
        "deliverables-0-description": "宣传片脚本",
        "deliverables-0-due_date": "2022-05-31",
        "deliverables-1-description": "成片 5 分钟",
        "deliverables-1-due_date": "2022-10-15",
        "deliverables-2-description": "",
        "deliverables-2-due_date": "",
    }
    return {**data, **extra}


def test_county_admin_records_a_contract_with_deliverables(county_admin, allocation, undertaker):
    response = client_as(county_admin).post(
        reverse("projects:contract-create", args=[allocation.pk]), _contract_form(undertaker)
    )
    contract = Contract.objects.get(number="QX-2022-002")
    assert response.status_code == 302
    assert response["Location"] == reverse("projects:contract-detail", args=[contract.pk])
    assert list(contract.deliverables.values_list("description", flat=True)) == [
        "宣传片脚本",
        "成片 5 分钟",
    ]


def test_contract_over_allocation_shows_the_error(county_admin, allocation, undertaker):
    response = client_as(county_admin).post(
        reverse("projects:contract-create", args=[allocation.pk]),
        _contract_form(undertaker, amount="3000000.01"),
    )
    assert response.status_code == 200
    assert "将超过资金分配" in _html(response)
    assert not Contract.objects.exists()
    assert not Deliverable.objects.exists()


def test_deliverable_without_due_date_is_refused(county_admin, allocation, undertaker):
    response = client_as(county_admin).post(
        reverse("projects:contract-create", args=[allocation.pk]),
        _contract_form(undertaker, **{"deliverables-1-due_date": ""}),
    )
    assert response.status_code == 200
    assert "请填写到期日" in _html(response)
    assert not Contract.objects.exists()


def test_only_county_admin_records_contracts(province_admin, allocation, undertaker):
    response = client_as(province_admin).post(
        reverse("projects:contract-create", args=[allocation.pk]), _contract_form(undertaker)
    )
    assert response.status_code == 403


def test_contract_page_shows_deliverables_entries_and_attachment_place(
    county_admin, contract, entry
):
    response = client_as(county_admin).get(reverse("projects:contract-detail", args=[contract.pk]))
    html = _html(response)
    assert response.status_code == 200
    assert "完成 500 亩标准化基地" in html
    assert entry.voucher_number in html
    assert 'id="attachments"' in html
    assert reverse("projects:contract-status", args=[contract.pk]) in html


def test_contract_status_change_through_the_page(county_admin, city_admin, contract):
    refused = client_as(city_admin).post(
        reverse("projects:contract-status", args=[contract.pk]),
        {"status": "completed", "reason": "验收"},
    )
    no_reason = client_as(county_admin).post(
        reverse("projects:contract-status", args=[contract.pk]),
        {"status": "completed", "reason": ""},
        follow=True,
    )
    done = client_as(county_admin).post(
        reverse("projects:contract-status", args=[contract.pk]),
        {"status": "completed", "reason": "验收合格"},
        follow=True,
    )
    assert refused.status_code == 403
    assert "原因" in _html(no_reason)
    assert "已改为“已完成”" in _html(done)
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.COMPLETED
    assert reverse("projects:contract-status", args=[contract.pk]) not in _html(done)


def test_other_countys_contract_is_404(county_admin, foreign):
    client = client_as(county_admin)
    pk = foreign["contract"].pk
    assert client.get(reverse("projects:contract-detail", args=[pk])).status_code == 404
    response = client.post(
        reverse("projects:contract-status", args=[pk]), {"status": "completed", "reason": "x"}
    )
    assert response.status_code == 404
    assert Contract.objects.get(pk=pk).status == ContractStatus.ACTIVE


# --- fund ledger ---------------------------------------------------------------------------


def _entry_form(contract=None, **extra):
    data = {
        "contract": contract.pk if contract else "",
        "voucher_number": "PZ-009",
        "paid_on": TODAY.isoformat(),
        "payee": "清徐县葡萄专业合作社",
        "amount": "25000.00",
        "area": ImplementationArea.PRODUCTION,
        "description": "首期款",
    }
    return {**data, **extra}


def test_county_admin_records_an_expenditure(county_admin, allocation, contract):
    response = client_as(county_admin).post(
        reverse("projects:entry-create", args=[allocation.pk]), _entry_form(contract)
    )
    assert response.status_code == 302
    entry = FundEntry.objects.get(voucher_number="PZ-009")
    assert entry.status == EntryStatus.PENDING
    assert entry.recorded_by == county_admin


def test_expenditure_over_contract_shows_the_error(county_admin, allocation, contract):
    response = client_as(county_admin).post(
        reverse("projects:entry-create", args=[allocation.pk]),
        _entry_form(contract, amount="1000000.01"),
    )
    assert response.status_code == 200
    assert "将超过合同金额" in _html(response)
    assert not FundEntry.objects.exists()


def test_recorder_approving_own_entry_is_refused(county_admin, entry):
    response = client_as(county_admin).post(
        reverse("projects:entry-review", args=[entry.pk]), {"decision": "approve"}, follow=True
    )
    assert "记账人不能审核自己记录的分录" in _html(response)
    assert FundEntry.objects.get(pk=entry.pk).status == EntryStatus.PENDING


def test_reviewer_approves_then_recorder_reverses(county_admin, reviewer, allocation, entry):
    approve = client_as(reviewer).post(
        reverse("projects:entry-review", args=[entry.pk]),
        {"decision": "approve", "note": "同意"},
        follow=True,
    )
    assert "已审核通过" in _html(approve)
    page = _html(
        client_as(county_admin).get(reverse("projects:allocation-detail", args=[allocation.pk]))
    )
    assert reverse("projects:entry-reverse", args=[entry.pk]) in page

    reverse_ = client_as(county_admin).post(
        reverse("projects:entry-reverse", args=[entry.pk]), {"reason": "重复支付"}, follow=True
    )
    reversal = FundEntry.objects.get(reverses=entry)
    assert "已登记冲销分录" in _html(reverse_)
    assert reverse("projects:entry-reverse", args=[entry.pk]) not in _html(reverse_)

    client_as(reviewer).post(
        reverse("projects:entry-review", args=[reversal.pk]), {"decision": "approve"}
    )
    allocation.refresh_from_db()
    assert allocation.committed_total == Decimal("0.00")
    final = client_as(county_admin).get(reverse("projects:allocation-detail", args=[allocation.pk]))
    assert [row.balance for row in final.context["ledger"]] == [
        Decimal("2970000.00"),
        Decimal("3000000.00"),
    ]


def test_reject_needs_a_note(reviewer, entry):
    response = client_as(reviewer).post(
        reverse("projects:entry-review", args=[entry.pk]), {"decision": "reject"}, follow=True
    )
    assert "退回时请填写审核意见" in _html(response)
    assert FundEntry.objects.get(pk=entry.pk).status == EntryStatus.PENDING


def test_entry_page_shows_review_and_attachment_place(reviewer, county_admin, entry):
    for_reviewer = _html(client_as(reviewer).get(reverse("projects:entry-detail", args=[entry.pk])))
    for_recorder = _html(
        client_as(county_admin).get(reverse("projects:entry-detail", args=[entry.pk]))
    )
    assert 'id="attachments"' in for_reviewer
    assert reverse("projects:entry-review", args=[entry.pk]) in for_reviewer
    assert reverse("projects:entry-review", args=[entry.pk]) not in for_recorder
    assert "须由另一位工作人员审核" in for_recorder


def test_other_countys_ledger_is_404(county_admin, foreign):
    client = client_as(county_admin)
    pk = foreign["entry"].pk
    assert client.get(reverse("projects:entry-detail", args=[pk])).status_code == 404
    review = client.post(reverse("projects:entry-review", args=[pk]), {"decision": "approve"})
    reverse_ = client.post(reverse("projects:entry-reverse", args=[pk]), {"reason": "x"})
    assert review.status_code == reverse_.status_code == 404
    assert FundEntry.objects.get(pk=pk).status == EntryStatus.PENDING


# --- Excel exports -------------------------------------------------------------------------


def test_allocation_ledger_export_has_running_balance_and_is_audited(
    county_admin, reviewer, allocation, contract
):
    first = _pay(county_admin, allocation, contract, payee='=HYPERLINK("http://x")')
    services.entry_review(actor=reviewer, entry=first, approve=True)
    _pay(county_admin, allocation, contract, amount="10000.00", voucher="PZ-002")

    response = client_as(county_admin).get(
        reverse("projects:allocation-export", args=[allocation.pk])
    )

    assert response.status_code == 200
    rows = xlsx_rows(response)
    assert list(rows[0]) == LEDGER_HEADERS
    assert len(rows) == 3
    header = {name: i for i, name in enumerate(LEDGER_HEADERS)}
    assert rows[1][header["凭证号"]] == "PZ-001"
    assert rows[1][header["收款单位"]] == '\'=HYPERLINK("http://x")'  # neutralised
    assert rows[1][header["状态"]] == "已审核"
    assert Decimal(str(rows[1][header["余额（元）"]])) == Decimal("2970000")
    assert Decimal(str(rows[2][header["余额（元）"]])) == Decimal("2960000")
    log = AuditLog.objects.get(action=AuditAction.EXPORT)
    assert log.object_type == "projects.allocation"
    assert log.object_id == str(allocation.pk)
    assert "2 条" in log.detail


def test_program_ledger_export_is_scoped_and_audited(
    county_admin, province_admin, program, allocation, entry, foreign
):
    own = xlsx_rows(
        client_as(county_admin).get(reverse("projects:program-export", args=[program.pk]))
    )
    everything = xlsx_rows(
        client_as(province_admin).get(reverse("projects:program-export", args=[program.pk]))
    )

    assert [row[3] for row in own[1:]] == ["PZ-001"]
    assert sorted(row[3] for row in everything[1:]) == ["PZ-001", "QS-PZ-1"]
    logs = AuditLog.objects.filter(action=AuditAction.EXPORT, object_type="projects.program")
    assert logs.count() == 2
    assert {log.username for log in logs} == {county_admin.username, province_admin.username}
