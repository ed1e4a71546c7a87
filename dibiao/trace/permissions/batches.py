"""Who may do what with batches and trace events. Which rows: the selectors (scoping).

A producer manages its own batches and records events for itself; a county bureau does both for
the producers of its county. Cities, county governments and the province read."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dibiao.accounts.choices import DIVISION_ROLES, Role
from dibiao.accounts.permissions import has_role, holds_role_at
from dibiao.accounts.scoping import scope_for

if TYPE_CHECKING:
    from dibiao.producers.models import Producer
    from dibiao.trace.models import Batch


def can_view_batches(user: Any) -> bool:
    """Batch and event pages: government users and producers (rows: scoping)."""
    return has_role(user, *DIVISION_ROLES, Role.PRODUCER)


def can_keep_batches(user: Any) -> bool:
    """Create batches and record trace events (for which producer: `can_act_for`)."""
    return has_role(user, Role.PRODUCER, Role.COUNTY_ADMIN)


def can_act_for(user: Any, producer: Producer) -> bool:
    """The producer itself (its organization's producer login) or its county's bureau."""
    if (
        has_role(user, Role.PRODUCER)
        and producer.organization_id is not None
        and producer.organization_id in scope_for(user).organization_ids
    ):
        return True
    return holds_role_at(user, Role.COUNTY_ADMIN, producer.division_id)


def can_manage_batch(user: Any, batch: Batch) -> bool:
    """Release, recall, link reports: the batch's producer or its county's bureau."""
    return can_act_for(user, batch.producer)
