"""Who may act on 承诺达标合格证 and the trace exports. Which rows they see: scoping
(`ComplianceCertificate.objects.restrict`, `Batch.objects.restrict`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dibiao.accounts.choices import DIVISION_ROLES, Role
from dibiao.accounts.permissions import has_role, holds_role_at
from dibiao.accounts.scoping import scope_for

if TYPE_CHECKING:
    from dibiao.producers.models import Producer


def works_for_producer(user: Any, producer: Producer) -> bool:
    """The user holds the producer role in the producer's own (active) organization."""
    return (
        producer.organization_id is not None
        and has_role(user, Role.PRODUCER)
        and producer.organization_id in scope_for(user).organization_ids
    )


def can_view_certificates(user: Any) -> bool:
    """Certificate and export pages: government users and producers (rows: scoping)."""
    return has_role(user, *DIVISION_ROLES, Role.PRODUCER)


def can_issue_certificates(user: Any) -> bool:
    """Whether to offer the issue form at all: producers and county bureaus."""
    return has_role(user, Role.PRODUCER, Role.COUNTY_ADMIN)


def can_issue_certificate_for(user: Any, producer: Producer) -> bool:
    """The producer issues its own certificates; the county bureau of its county may issue
    on its behalf (a farmer without an account brings the batch to the bureau)."""
    return works_for_producer(user, producer) or holds_role_at(
        user, Role.COUNTY_ADMIN, producer.division_id
    )


def can_void_certificate_for(user: Any, producer: Producer) -> bool:
    """Whoever may issue for the producer may void its certificates."""
    return can_issue_certificate_for(user, producer)


def can_export_trace(user: Any) -> bool:
    """Download a batch's EPCIS or national-platform document (rows: scoping)."""
    return can_view_certificates(user)


def can_submit_national(user: Any, producer: Producer) -> bool:
    """Send a batch's trace to the national platform: the producer itself, the county bureau
    of its county, or the province."""
    return has_role(user, Role.PROVINCE_ADMIN) or can_issue_certificate_for(user, producer)
