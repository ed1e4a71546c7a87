"""What the fund ledger writes to the verifiable ledger (dibiao/ledger): allocations, contracts
and fund entries, each at every change of the fields below. Running totals (contracted_total,
committed_total) are left out: they follow from the entries, which are logged."""

from __future__ import annotations

from django.db.models import Q

from dibiao.ledger.types import SnapshotType, register
from dibiao.projects.models import Allocation, Contract, FundEntry

ALLOCATION = register(
    SnapshotType(
        name="projects.allocation",
        version=1,
        model=Allocation,
        label="资金分配",
        fields=("program", "product", "division", "amount", "allocated_at", "disbursed_on"),
        logged=Q(),
    )
)
CONTRACT = register(
    SnapshotType(
        name="projects.contract",
        version=1,
        model=Contract,
        label="合同",
        fields=(
            "allocation",
            "number",
            "title",
            "party_a",
            "party_b",
            "amount",
            "area",
            "start_date",
            "end_date",
            "signed_on",
            "status",
            "created_at",
        ),
        logged=Q(),
    )
)
FUND_ENTRY = register(
    SnapshotType(
        name="projects.fund_entry",
        version=1,
        model=FundEntry,
        label="资金台账分录",
        fields=(
            "allocation",
            "contract",
            "kind",
            "reverses",
            "voucher_number",
            "paid_on",
            "payee",
            "amount",
            "area",
            "description",
            "status",
            "recorded_by",
            "recorded_at",
            "reviewed_by",
            "reviewed_at",
            "review_note",
        ),
        logged=Q(),
    )
)
