"""The fund ledger's fixtures (a running program with an allocation) serve the ledger's tests:
allocations, contracts and fund entries are records the ledger logs."""

from dibiao.projects.tests.conftest import (  # noqa: F401
    allocation,
    draft_program,
    product,
    program,
    reviewer,
    undertaker,
)
