"""API v1 of the protection program. Data is built through the services; the fixtures
`program`, `product`, `allocation` (c1a), `reviewer` and `undertaker` come from conftest.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from dibiao.accounts.choices import Role
from dibiao.core.models import AuditLog
from dibiao.projects import services
from dibiao.projects.choices import ContractStatus, EntryStatus, ImplementationArea
from dibiao.projects.models import Allocation, Contract, FundEntry, Program, ProgramTarget
from dibiao.projects.targets import PLAN_TARGETS
from dibiao.testing.factories import (
    OrganizationFactory,
    ProductFactory,
    division_tree,
    user_with_role,
)

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def api_as(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


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


def _pay(actor, allocation, contract=None, *, amount="30000.00", voucher="PZ-001"):
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


@pytest.fixture
def contract(allocation, county_admin, undertaker):
    return _contract(county_admin, allocation, undertaker)


@pytest.fixture
def entry(allocation, contract, county_admin):
    return _pay(county_admin, allocation, contract)


@pytest.fixture
def approved(entry, reviewer):
    return services.entry_review(actor=reviewer, entry=entry, approve=True)


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
    return {"allocation": allocation, "contract": contract, "entry": entry, "party": party}


def _entry_body(allocation, contract=None, **extra):
    body = {
        "allocation": allocation.pk,
        "contract": contract.pk if contract else None,
        "voucher_number": "PZ-101",
        "paid_on": TODAY.isoformat(),
        "payee": "清徐县葡萄专业合作社",
        "amount": "25000.00",
        "area": ImplementationArea.PRODUCTION,
        "description": "基地建设首期款",
    }
    return {**body, **extra}


def _contract_body(allocation, party, **extra):
    body = {
        "allocation": allocation.pk,
        "number": "QX-2022-009",
        "title": "品牌宣传片拍摄",
        "party_b": party.pk,
        "amount": "200000.00",
        "area": ImplementationArea.BRAND,
        "start_date": "2022-04-01",
        "end_date": "2022-10-31",
        "signed_on": "2022-03-25",
        "deliverables": [
            {"description": "宣传片脚本", "due_date": "2022-05-31"},
            {"description": "成片 5 分钟", "due_date": "2022-10-15"},
        ],
    }
    return {**body, **extra}


# --- programs ------------------------------------------------------------------------------


def test_program_list_shows_budget_allocations_and_calendar(province_admin, program, allocation):
    response = api_as(province_admin).get("/api/v1/programs/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    (row,) = body["results"]
    assert row["year"] == 2022
    assert row["province"] == program.province.code
    assert row["total_budget"] == "6000000.00"
    assert row["allocated_total"] == "3000000.00"
    assert row["unallocated"] == "3000000.00"
    assert row["status"] == "implementing"
    assert row["monthly_dispatch_day"] == 5
    assert row["quarter_ends"] == ["2022-03-31", "2022-06-30", "2022-09-30", "2022-12-31"]
    assert row["annual_summary_deadline"] == "2022-11-30"
    assert len(row["targets"]) == len(PLAN_TARGETS)
    (item,) = row["allocations"]
    assert item == {
        "id": allocation.pk,
        "product": {"id": allocation.product_id, "name": "清徐葡萄"},
        "division": allocation.division.code,
        "division_name": allocation.division.name,
        "amount": "3000000.00",
        "contracted_total": "0.00",
        "committed_total": "0.00",
        "balance": "3000000.00",
        "execution_rate": "0.0",
        "responsible": None,
        "disbursed_on": None,
    }


def test_county_user_sees_the_program_with_only_its_own_allocations(
    county_admin, other_county_admin, allocation, foreign
):
    own = api_as(county_admin).get("/api/v1/programs/").json()["results"][0]
    other = api_as(other_county_admin).get("/api/v1/programs/").json()["results"][0]

    assert [a["id"] for a in own["allocations"]] == [allocation.pk]
    assert [a["id"] for a in other["allocations"]] == [foreign["allocation"].pk]


def test_program_list_filters_by_year(province_admin, program):
    client = api_as(province_admin)
    assert client.get("/api/v1/programs/", {"year": 2022}).json()["count"] == 1
    assert client.get("/api/v1/programs/", {"year": 2023}).json()["count"] == 0
    bad = client.get("/api/v1/programs/", {"year": "x"})
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid"


def test_province_admin_creates_a_program_in_its_province(tree, province_admin):
    response = api_as(province_admin).post(
        "/api/v1/programs/",
        {
            "year": 2023,
            "name": "2023年地理标志农产品保护工程",
            "total_budget": 5000000,
            "annual_summary_deadline": "2023-11-30",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["province"] == tree["p"].code
    assert body["total_budget"] == "5000000.00"
    assert body["monthly_dispatch_day"] == 5
    assert body["allocations"] == []
    program = Program.objects.get(pk=body["id"])
    assert ProgramTarget.objects.filter(program=program).count() == len(PLAN_TARGETS)
    assert AuditLog.objects.filter(action="create", object_type="projects.program").count() == 1


@pytest.mark.parametrize("role", [Role.COUNTY_ADMIN, Role.CITY_ADMIN, Role.COUNTY_GOV])
def test_only_the_province_creates_programs(tree, role):
    user = user_with_role(role, tree["c1a"] if role != Role.CITY_ADMIN else tree["c1"])
    response = api_as(user).post(
        "/api/v1/programs/",
        {
            "year": 2023,
            "name": "x",
            "total_budget": "1.00",
            "annual_summary_deadline": "2023-11-30",
        },
        format="json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not Program.objects.exists()


def test_program_money_with_three_decimals_is_invalid(province_admin):
    response = api_as(province_admin).post(
        "/api/v1/programs/",
        {
            "year": 2023,
            "name": "x",
            "total_budget": "1.234",
            "annual_summary_deadline": "2023-11-30",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "total_budget" in response.json()["errors"]


def test_program_patch_changes_budget_but_never_below_allocated(
    province_admin, program, allocation
):
    client = api_as(province_admin)
    url = f"/api/v1/programs/{program.pk}/"

    ok = client.patch(
        url, {"total_budget": "7000000.00", "monthly_dispatch_day": 10}, format="json"
    )
    low = client.patch(url, {"total_budget": "2999999.99"}, format="json")

    assert ok.status_code == 200
    assert ok.json()["total_budget"] == "7000000.00"
    assert ok.json()["monthly_dispatch_day"] == 10
    assert low.status_code == 400
    assert low.json()["code"] == "budget_below_allocated"
    assert Program.objects.get(pk=program.pk).total_budget == Decimal("7000000.00")


def test_program_transition_follows_the_workflow(province_admin, draft_program):
    program = draft_program
    client = api_as(province_admin)
    url = f"/api/v1/programs/{program.pk}/transition/"

    opened = client.post(url, {"status": "open"}, format="json")
    skipped = client.post(url, {"status": "closed"}, format="json")

    assert opened.status_code == 200
    assert opened.json()["status"] == "open"
    assert skipped.status_code == 409
    assert skipped.json()["code"] == "invalid_transition"


def test_county_admin_cannot_change_a_program(county_admin, program):
    client = api_as(county_admin)
    assert client.get(f"/api/v1/programs/{program.pk}/").status_code == 200
    patch = client.patch(f"/api/v1/programs/{program.pk}/", {"name": "改名"}, format="json")
    transition = client.post(
        f"/api/v1/programs/{program.pk}/transition/", {"status": "open"}, format="json"
    )
    assert patch.status_code == transition.status_code == 403
    assert Program.objects.get(pk=program.pk).name == program.name


def test_another_provinces_program_is_404(program):
    other = division_tree("150000")
    outsider = user_with_role(Role.PROVINCE_ADMIN, other["p"])
    client = api_as(outsider)
    assert client.get("/api/v1/programs/").json()["count"] == 0
    for response in (
        client.get(f"/api/v1/programs/{program.pk}/"),
        client.patch(f"/api/v1/programs/{program.pk}/", {"name": "x"}, format="json"),
        client.post(f"/api/v1/programs/{program.pk}/transition/", {"status": "open"}),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_anonymous_api_calls_get_401(program):
    assert APIClient().get("/api/v1/programs/").status_code == 401
    assert APIClient().get("/api/v1/fund-entries/").status_code == 401


# --- allocations ---------------------------------------------------------------------------


def test_allocation_list_is_scoped_and_filters_by_program(
    province_admin, county_admin, program, allocation, foreign
):
    everything = api_as(province_admin).get("/api/v1/allocations/", {"program": program.pk})
    own = api_as(county_admin).get("/api/v1/allocations/")

    assert everything.json()["count"] == 2
    assert [row["id"] for row in own.json()["results"]] == [allocation.pk]
    assert own.json()["results"][0]["program"] == program.pk
    assert api_as(province_admin).get("/api/v1/allocations/", {"program": 0}).json()["count"] == 0


def test_province_admin_allocates_to_a_product(tree, province_admin, program, allocation):
    other = ProductFactory.create(name="阳高京杏", divisions=[tree["c1b"]])
    response = api_as(province_admin).post(
        "/api/v1/allocations/",
        {"program": program.pk, "product": other.pk, "amount": "2500000.50"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["amount"] == "2500000.50"
    assert response.json()["division"] == tree["c1b"].code
    assert Program.objects.get(pk=program.pk).allocated_total == Decimal("5500000.50")


def test_allocation_over_the_budget_is_refused_and_nothing_is_written(
    tree, province_admin, program, allocation
):
    other = ProductFactory.create(divisions=[tree["c1b"]])
    response = api_as(province_admin).post(
        "/api/v1/allocations/",
        {"program": program.pk, "product": other.pk, "amount": "3000000.01"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "over_budget"
    assert response.json()["message"]
    assert Allocation.objects.count() == 1
    assert Program.objects.get(pk=program.pk).allocated_total == Decimal("3000000.00")


def test_allocation_create_refuses_other_roles_and_unseen_products(
    tree, county_admin, province_admin, program, product, allocation
):
    other = ProductFactory.create(divisions=[tree["c1b"]])
    body = {"program": program.pk, "product": other.pk, "amount": "1.00"}
    foreign_province = division_tree("150000")
    unseen = ProductFactory.create(divisions=[foreign_province["p"]])

    as_county = api_as(county_admin).post("/api/v1/allocations/", body, format="json")
    unseen_product = api_as(province_admin).post(
        "/api/v1/allocations/", {**body, "product": unseen.pk}, format="json"
    )
    twice = api_as(province_admin).post(
        "/api/v1/allocations/", {**body, "product": product.pk}, format="json"
    )

    assert as_county.status_code == 403
    assert unseen_product.status_code == 400
    assert unseen_product.json()["code"] == "invalid"
    assert twice.status_code == 409
    assert twice.json()["code"] == "allocation_exists"
    assert Allocation.objects.count() == 1


def test_allocation_patch_changes_amount_disbursement_and_responsible(
    province_admin, county_admin, reviewer, allocation
):
    url = f"/api/v1/allocations/{allocation.pk}/"
    by_province = api_as(province_admin).patch(
        url, {"amount": "2800000", "disbursed_on": "2022-03-01"}, format="json"
    )
    by_county = api_as(county_admin).patch(url, {"responsible": reviewer.pk}, format="json")

    assert by_province.status_code == 200
    assert by_province.json()["amount"] == "2800000.00"
    assert by_province.json()["disbursed_on"] == "2022-03-01"
    assert by_county.status_code == 200
    assert by_county.json()["responsible"] == {"id": reviewer.pk, "name": str(reviewer)}


def test_allocation_patch_refusals(
    tree, province_admin, county_admin, other_county_admin, program, allocation
):
    url = f"/api/v1/allocations/{allocation.pk}/"
    over = api_as(province_admin).patch(url, {"amount": "6000000.01"}, format="json")
    county_amount = api_as(county_admin).patch(url, {"amount": "1.00"}, format="json")
    outsider = api_as(county_admin).patch(
        url, {"responsible": other_county_admin.pk}, format="json"
    )
    other_county = api_as(other_county_admin).patch(url, {"amount": "1.00"}, format="json")

    assert over.status_code == 400
    assert over.json()["code"] == "over_budget"
    assert county_amount.status_code == 403
    assert outsider.status_code == 400
    assert outsider.json()["code"] == "invalid"
    assert other_county.status_code == 404
    allocation.refresh_from_db()
    assert allocation.amount == Decimal("3000000.00")
    assert allocation.responsible is None


def test_allocation_patch_is_all_or_nothing(province_admin, allocation):
    response = api_as(province_admin).patch(
        f"/api/v1/allocations/{allocation.pk}/",
        {"amount": "2000000.00", "disbursed_on": (TODAY + dt.timedelta(days=3)).isoformat()},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "date_in_future"
    allocation.refresh_from_db()
    assert allocation.amount == Decimal("3000000.00")


def test_allocation_spending_by_area_and_month(allocation, contract, approved, county_admin):
    client = api_as(county_admin)
    by_area = client.get(f"/api/v1/allocations/{allocation.pk}/spending/", {"by": "area"})
    by_month = client.get(f"/api/v1/allocations/{allocation.pk}/spending/", {"by": "month"})
    bad = client.get(f"/api/v1/allocations/{allocation.pk}/spending/", {"by": "week"})

    assert by_area.status_code == 200
    assert by_area.json()["rows"] == [
        {
            "key": "production",
            "name": "增强综合生产能力",
            "spent": "30000.00",
            "share": "1.0",
            "cumulative": "30000.00",
            "cumulative_rate": "1.0",
        }
    ]
    (month,) = by_month.json()["rows"]
    assert month["key"] == f"{TODAY:%Y-%m}"
    assert month["spent"] == "30000.00"
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid"


def test_other_countys_allocation_is_404_everywhere(county_admin, foreign):
    client = api_as(county_admin)
    pk = foreign["allocation"].pk
    for response in (
        client.get(f"/api/v1/allocations/{pk}/"),
        client.patch(f"/api/v1/allocations/{pk}/", {"amount": "1.00"}, format="json"),
        client.get(f"/api/v1/allocations/{pk}/spending/"),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


# --- contracts -----------------------------------------------------------------------------


def test_county_admin_records_a_contract_with_deliverables(county_admin, allocation, undertaker):
    response = api_as(county_admin).post(
        "/api/v1/contracts/", _contract_body(allocation, undertaker), format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["amount"] == "200000.00"
    assert body["party_b"] == {"id": undertaker.pk, "name": undertaker.name}
    assert body["party_a"]["id"] == county_admin.memberships.get().organization_id
    assert body["status"] == "active"
    assert [d["description"] for d in body["deliverables"]] == ["宣传片脚本", "成片 5 分钟"]
    allocation.refresh_from_db()
    assert allocation.contracted_total == Decimal("200000.00")


def test_contract_over_its_allocation_is_refused_and_nothing_is_written(
    county_admin, allocation, undertaker
):
    response = api_as(county_admin).post(
        "/api/v1/contracts/",
        _contract_body(allocation, undertaker, amount="3000000.01"),
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "over_allocation"
    assert not Contract.objects.exists()
    allocation.refresh_from_db()
    assert allocation.contracted_total == Decimal("0.00")


def test_contract_create_refusals(province_admin, county_admin, allocation, undertaker, foreign):
    as_province = api_as(province_admin).post(
        "/api/v1/contracts/", _contract_body(allocation, undertaker), format="json"
    )
    foreign_allocation = api_as(county_admin).post(
        "/api/v1/contracts/", _contract_body(foreign["allocation"], undertaker), format="json"
    )
    foreign_party = api_as(county_admin).post(
        "/api/v1/contracts/", _contract_body(allocation, foreign["party"]), format="json"
    )
    backwards = api_as(county_admin).post(
        "/api/v1/contracts/",
        _contract_body(allocation, undertaker, end_date="2022-01-01"),
        format="json",
    )

    assert as_province.status_code == 403
    assert foreign_allocation.status_code == foreign_party.status_code == 400
    assert foreign_allocation.json()["code"] == foreign_party.json()["code"] == "invalid"
    assert backwards.status_code == 400
    assert backwards.json()["code"] == "invalid_contract"
    assert Contract.objects.filter(allocation=allocation).count() == 0


def test_contract_list_is_scoped_and_filtered(county_admin, allocation, contract, foreign):
    client = api_as(county_admin)
    everything = client.get("/api/v1/contracts/").json()
    by_allocation = client.get("/api/v1/contracts/", {"allocation": allocation.pk}).json()
    by_text = client.get("/api/v1/contracts/", {"q": "核心"}).json()
    by_status = client.get("/api/v1/contracts/", {"status": "completed"}).json()

    assert [c["id"] for c in everything["results"]] == [contract.pk]
    assert by_allocation["count"] == by_text["count"] == 1
    assert by_status["count"] == 0


def test_contract_detail_and_status_change(county_admin, allocation, contract):
    client = api_as(county_admin)
    detail = client.get(f"/api/v1/contracts/{contract.pk}/")
    terminated = client.post(
        f"/api/v1/contracts/{contract.pk}/status/",
        {"status": "terminated", "reason": "承担单位无法履约"},
        format="json",
    )
    again = client.post(
        f"/api/v1/contracts/{contract.pk}/status/",
        {"status": "completed", "reason": "x"},
        format="json",
    )

    assert detail.status_code == 200
    assert detail.json()["deliverables"][0]["due_date"] == "2022-09-30"
    assert terminated.status_code == 200
    assert terminated.json()["status"] == ContractStatus.TERMINATED
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"
    allocation.refresh_from_db()
    assert allocation.contracted_total <= Decimal("0.01")  # the unspent part went back


def test_contract_status_needs_the_county_role(city_admin, contract):
    response = api_as(city_admin).post(
        f"/api/v1/contracts/{contract.pk}/status/",
        {"status": "completed", "reason": "验收"},
        format="json",
    )
    assert response.status_code == 403
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.ACTIVE


def test_other_countys_contract_is_404(county_admin, foreign):
    client = api_as(county_admin)
    pk = foreign["contract"].pk
    assert client.get("/api/v1/contracts/").json()["count"] == 0
    for response in (
        client.get(f"/api/v1/contracts/{pk}/"),
        client.post(
            f"/api/v1/contracts/{pk}/status/", {"status": "completed", "reason": "x"}, format="json"
        ),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert Contract.objects.get(pk=pk).status == ContractStatus.ACTIVE


# --- fund ledger ---------------------------------------------------------------------------


def test_county_admin_records_an_expenditure_pending_review(county_admin, allocation, contract):
    response = api_as(county_admin).post(
        "/api/v1/fund-entries/", _entry_body(allocation, contract), format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "pending"
    assert body["kind"] == "payment"
    assert body["amount"] == "25000.00"
    assert body["contract"] == {"id": contract.pk, "number": contract.number}
    assert body["recorded_by"]["id"] == county_admin.pk
    assert body["reviewed_by"] is None
    allocation.refresh_from_db()
    assert allocation.committed_total == Decimal("25000.00")


def test_expenditure_takes_its_allocation_from_the_contract(county_admin, allocation, contract):
    body = _entry_body(allocation, contract)
    del body["allocation"]
    response = api_as(county_admin).post("/api/v1/fund-entries/", body, format="json")
    assert response.status_code == 201
    assert response.json()["allocation"] == allocation.pk


def test_expenditure_over_its_contract_is_refused_and_nothing_is_written(
    county_admin, allocation, contract
):
    response = api_as(county_admin).post(
        "/api/v1/fund-entries/",
        _entry_body(allocation, contract, amount="1000000.01"),
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "over_contract"
    assert not FundEntry.objects.exists()
    contract.refresh_from_db()
    assert contract.committed_total == Decimal("0.00")


def test_expenditure_over_the_allocation_is_refused(county_admin, allocation):
    response = api_as(county_admin).post(
        "/api/v1/fund-entries/", _entry_body(allocation, amount="3000000.01"), format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "over_allocation"
    assert not FundEntry.objects.exists()


def test_expenditure_refusals(city_admin, county_admin, allocation, foreign):
    as_city = api_as(city_admin).post(
        "/api/v1/fund-entries/", _entry_body(allocation), format="json"
    )
    foreign_allocation = api_as(county_admin).post(
        "/api/v1/fund-entries/", _entry_body(foreign["allocation"]), format="json"
    )
    neither = api_as(county_admin).post(
        "/api/v1/fund-entries/", {**_entry_body(allocation), "allocation": None}, format="json"
    )
    assert as_city.status_code == 403
    assert foreign_allocation.status_code == neither.status_code == 400
    assert FundEntry.objects.filter(allocation=allocation).count() == 0


def test_recorder_cannot_approve_own_entry(county_admin, entry):
    response = api_as(county_admin).post(
        f"/api/v1/fund-entries/{entry.pk}/review/", {"approve": True}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "four_eyes"
    assert FundEntry.objects.get(pk=entry.pk).status == EntryStatus.PENDING


def test_another_user_approves_or_rejects(reviewer, city_admin, allocation, contract, county_admin):
    first = _pay(county_admin, allocation, contract, voucher="PZ-1")
    second = _pay(county_admin, allocation, contract, voucher="PZ-2")

    approved = api_as(reviewer).post(
        f"/api/v1/fund-entries/{first.pk}/review/", {"approve": True, "note": "同意"}, format="json"
    )
    no_note = api_as(city_admin).post(
        f"/api/v1/fund-entries/{second.pk}/review/", {"approve": False}, format="json"
    )
    rejected = api_as(city_admin).post(
        f"/api/v1/fund-entries/{second.pk}/review/",
        {"approve": False, "note": "凭证不全"},
        format="json",
    )

    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    assert approved.json()["reviewed_by"]["id"] == reviewer.pk
    assert no_note.status_code == 400
    assert no_note.json()["code"] == "note_required"
    assert rejected.json()["status"] == "rejected"
    allocation.refresh_from_db()
    assert allocation.committed_total == Decimal("30000.00")


def test_county_government_cannot_review(tree, entry):
    county_gov = user_with_role(Role.COUNTY_GOV, tree["c1a"])
    response = api_as(county_gov).post(
        f"/api/v1/fund-entries/{entry.pk}/review/", {"approve": True}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_reversal_flow_releases_funds_once_approved(county_admin, reviewer, allocation, approved):
    client = api_as(county_admin)
    reversed_ = client.post(
        f"/api/v1/fund-entries/{approved.pk}/reverse/", {"reason": "重复支付"}, format="json"
    )
    again = client.post(
        f"/api/v1/fund-entries/{approved.pk}/reverse/", {"reason": "重复支付"}, format="json"
    )

    assert reversed_.status_code == 201
    reversal = reversed_.json()
    assert reversal["kind"] == "reversal"
    assert reversal["reverses"] == approved.pk
    assert reversal["status"] == "pending"
    assert again.status_code == 409
    assert again.json()["code"] == "already_reversed"
    allocation.refresh_from_db()
    assert allocation.committed_total == Decimal("30000.00")

    review = api_as(reviewer).post(
        f"/api/v1/fund-entries/{reversal['id']}/review/", {"approve": True}, format="json"
    )
    assert review.status_code == 200
    allocation.refresh_from_db()
    assert allocation.committed_total == Decimal("0.00")
    assert FundEntry.objects.count() == 2  # append-only: the payment is still there


def test_only_approved_payments_can_be_reversed(county_admin, entry):
    response = api_as(county_admin).post(
        f"/api/v1/fund-entries/{entry.pk}/reverse/", {"reason": "x"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "not_reversible"


def test_entry_list_and_detail_are_scoped(county_admin, allocation, contract, entry, foreign):
    client = api_as(county_admin)
    rows = client.get("/api/v1/fund-entries/").json()
    by_contract = client.get("/api/v1/fund-entries/", {"contract": contract.pk}).json()
    by_status = client.get("/api/v1/fund-entries/", {"status": "approved"}).json()
    by_allocation = client.get("/api/v1/fund-entries/", {"allocation": allocation.pk}).json()

    assert [r["id"] for r in rows["results"]] == [entry.pk]
    assert by_contract["count"] == by_allocation["count"] == 1
    assert by_status["count"] == 0
    assert client.get(f"/api/v1/fund-entries/{entry.pk}/").json()["voucher_number"] == "PZ-001"


def test_other_countys_ledger_is_404(county_admin, foreign):
    client = api_as(county_admin)
    pk = foreign["entry"].pk
    for response in (
        client.get(f"/api/v1/fund-entries/{pk}/"),
        client.post(f"/api/v1/fund-entries/{pk}/review/", {"approve": True}, format="json"),
        client.post(f"/api/v1/fund-entries/{pk}/reverse/", {"reason": "x"}, format="json"),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert FundEntry.objects.get(pk=pk).status == EntryStatus.PENDING


# --- Idempotency-Key -----------------------------------------------------------------------


def test_repeated_key_records_one_entry_and_replays_the_first_answer(
    county_admin, allocation, contract
):
    client = api_as(county_admin)
    body = _entry_body(allocation, contract)

    first = client.post("/api/v1/fund-entries/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    second = client.post("/api/v1/fund-entries/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert FundEntry.objects.count() == 1
    allocation.refresh_from_db()
    assert allocation.committed_total == Decimal("25000.00")


def test_same_key_with_another_body_is_422(county_admin, allocation, contract):
    client = api_as(county_admin)
    client.post(
        "/api/v1/fund-entries/",
        _entry_body(allocation, contract),
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-2",
    )
    response = client.post(
        "/api/v1/fund-entries/",
        _entry_body(allocation, contract, amount="99.00"),
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-2",
    )
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert FundEntry.objects.count() == 1


def test_refused_write_does_not_use_up_its_key(county_admin, allocation, contract):
    client = api_as(county_admin)
    refused = client.post(
        "/api/v1/fund-entries/",
        _entry_body(allocation, contract, amount="1000000.01"),
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-3",
    )
    corrected = client.post(
        "/api/v1/fund-entries/",
        _entry_body(allocation, contract, amount="1000000.00"),
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-3",
    )
    assert refused.status_code == 400
    assert corrected.status_code == 201
    assert FundEntry.objects.count() == 1


def test_repeated_review_with_a_key_is_replayed_not_refused(reviewer, entry):
    client = api_as(reviewer)
    url = f"/api/v1/fund-entries/{entry.pk}/review/"
    first = client.post(url, {"approve": True}, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    second = client.post(url, {"approve": True}, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    without_key = client.post(url, {"approve": True}, format="json")

    assert first.status_code == second.status_code == 200
    assert second["Idempotent-Replayed"] == "true"
    assert without_key.status_code == 409
    assert without_key.json()["code"] == "already_reviewed"
    assert (
        AuditLog.objects.filter(object_type="projects.fundentry", action="transition").count() == 1
    )


@pytest.mark.parametrize(
    "make_request",
    [
        "program_create",
        "program_patch",
        "program_transition",
        "allocation_create",
        "allocation_patch",
        "contract_create",
        "contract_status",
        "entry_reverse",
    ],
)
def test_every_write_replays_a_repeated_key(
    make_request, tree, province_admin, county_admin, program, allocation, contract, approved
):
    other = ProductFactory.create(divisions=[tree["c1b"]])
    calls = {
        "program_create": (
            province_admin,
            "post",
            "/api/v1/programs/",
            {
                "year": 2030,
                "name": "x",
                "total_budget": "1.00",
                "annual_summary_deadline": "2030-11-30",
            },
        ),
        "program_patch": (
            province_admin,
            "patch",
            f"/api/v1/programs/{program.pk}/",
            {"name": "改名"},
        ),
        "program_transition": (
            province_admin,
            "post",
            f"/api/v1/programs/{program.pk}/transition/",
            {"status": "closed"},
        ),
        "allocation_create": (
            province_admin,
            "post",
            "/api/v1/allocations/",
            {"program": program.pk, "product": other.pk, "amount": "10.00"},
        ),
        "allocation_patch": (
            province_admin,
            "patch",
            f"/api/v1/allocations/{allocation.pk}/",
            {"amount": "2900000.00"},
        ),
        "contract_create": (
            county_admin,
            "post",
            "/api/v1/contracts/",
            _contract_body(allocation, contract.party_b),
        ),
        "contract_status": (
            county_admin,
            "post",
            f"/api/v1/contracts/{contract.pk}/status/",
            {"status": "completed", "reason": "验收合格"},
        ),
        "entry_reverse": (
            county_admin,
            "post",
            f"/api/v1/fund-entries/{approved.pk}/reverse/",
            {"reason": "重复支付"},
        ),
    }
    user, method, url, body = calls[make_request]
    client = api_as(user)
    audit_before = AuditLog.objects.count()

    first = getattr(client, method)(url, body, format="json", HTTP_IDEMPOTENCY_KEY="same")
    audit_after_first = AuditLog.objects.count()
    second = getattr(client, method)(url, body, format="json", HTTP_IDEMPOTENCY_KEY="same")

    assert first.status_code in (200, 201), first.json()
    assert second.status_code == first.status_code
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert audit_after_first == audit_before + 1
    assert AuditLog.objects.count() == audit_after_first  # no second effect


def test_a_county_sees_only_its_part_of_the_program_totals(
    tree, province_admin, county_admin, program, allocation
):
    from dibiao.projects.services import allocation_create

    other = ProductFactory.create(divisions=[tree["c2a"]])
    allocation_create(actor=province_admin, program=program, product=other, amount="2000000.00")
    county = api_as(county_admin).get(f"/api/v1/programs/{program.pk}/").json()
    assert (county["allocated_total"], county["unallocated"]) == ("3000000.00", None)
    province = api_as(province_admin).get(f"/api/v1/programs/{program.pk}/").json()
    assert (province["allocated_total"], province["unallocated"]) == ("5000000.00", "1000000.00")
    listed = api_as(county_admin).get("/api/v1/programs/").json()["results"][0]
    assert listed["allocated_total"] == "3000000.00"
    from django.test import Client

    browser = Client()
    browser.force_login(county_admin)
    page = browser.get(f"/projects/{program.pk}/").content.decode()
    assert "5,000,000.00" not in page
    assert "1,000,000.00" not in page
