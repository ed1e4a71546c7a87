"""Pages of the protection program, one module per resource."""

from dibiao.projects.views.allocations import (
    allocation_amount,
    allocation_create,
    allocation_detail,
    allocation_disbursement,
    allocation_export,
    allocation_responsible,
)
from dibiao.projects.views.common import LEDGER_HEADERS
from dibiao.projects.views.contracts import contract_create, contract_detail, contract_status
from dibiao.projects.views.ledger import entry_create, entry_detail, entry_reverse, entry_review
from dibiao.projects.views.programs import (
    program_create,
    program_detail,
    program_edit,
    program_export,
    program_list,
    program_transition,
)

__all__ = [
    "LEDGER_HEADERS",
    "allocation_amount",
    "allocation_create",
    "allocation_detail",
    "allocation_disbursement",
    "allocation_export",
    "allocation_responsible",
    "contract_create",
    "contract_detail",
    "contract_status",
    "entry_create",
    "entry_detail",
    "entry_reverse",
    "entry_review",
    "program_create",
    "program_detail",
    "program_edit",
    "program_export",
    "program_list",
    "program_transition",
]
