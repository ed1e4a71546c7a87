"""API v1 of the protection program, one module per resource (programs, allocations,
contracts, the fund ledger). Every write takes an `Idempotency-Key` header (`@idempotent`).
Detail and action handlers fetch through the selector first, so another scope's object is a
404 whatever the caller's role; ids inside a request body that the caller cannot see are
refused like missing ids (400 `invalid`)."""

from dibiao.projects.api.allocations import (
    AllocationDetailApi,
    AllocationListApi,
    AllocationSpendingApi,
)
from dibiao.projects.api.contracts import ContractDetailApi, ContractListApi, ContractStatusApi
from dibiao.projects.api.ledger import EntryDetailApi, EntryListApi, EntryReverseApi, EntryReviewApi
from dibiao.projects.api.programs import ProgramDetailApi, ProgramListApi, ProgramTransitionApi

__all__ = [
    "AllocationDetailApi",
    "AllocationListApi",
    "AllocationSpendingApi",
    "ContractDetailApi",
    "ContractListApi",
    "ContractStatusApi",
    "EntryDetailApi",
    "EntryListApi",
    "EntryReverseApi",
    "EntryReviewApi",
    "ProgramDetailApi",
    "ProgramListApi",
    "ProgramTransitionApi",
]
