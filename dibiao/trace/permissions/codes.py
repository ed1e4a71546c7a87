"""Who may act on label codes (一物一码). Which issuances they see: scoping
(`CodeIssuance.objects.restrict`), so a county sees its producers' issuances and a producer its
own.

- Issuing codes under an authorization: the authorized entity's own staff, or the county bureau
  of its county on its behalf (DESIGN.md: the county "manages producers and labels").
- Binding (activating) a range to a batch: the entity's own staff only; it knows which labels
  went on which batch.
- Voiding a range: the entity's staff, or its county bureau (supervision).
- Label files (PDF sheets, CSV): the entity's staff, or its county bureau (printing for small
  entities).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dibiao.accounts.choices import DIVISION_ROLES, Role
from dibiao.accounts.permissions import has_role
from dibiao.producers.authorization_permissions import is_county_admin_of, works_for

if TYPE_CHECKING:
    from dibiao.producers.models import LabelAuthorization, Producer
    from dibiao.trace.models import CodeIssuance


def is_producer_staff(user: Any, producer: Producer) -> bool:
    return works_for(user, producer.organization_id)


def can_view_codes(user: Any) -> bool:
    """Issuance and label-job pages: government users and producers (rows: scoping)."""
    return has_role(user, *DIVISION_ROLES, Role.PRODUCER)


def may_issue_codes(user: Any) -> bool:
    """Whether to offer the issuance form at all."""
    return has_role(user, Role.PRODUCER, Role.COUNTY_ADMIN)


def can_issue_codes(user: Any, authorization: LabelAuthorization) -> bool:
    producer = authorization.producer
    return is_producer_staff(user, producer) or is_county_admin_of(user, producer)


def can_bind_codes(user: Any, issuance: CodeIssuance) -> bool:
    return is_producer_staff(user, issuance.producer)


def can_void_codes(user: Any, issuance: CodeIssuance) -> bool:
    producer = issuance.producer
    return is_producer_staff(user, producer) or is_county_admin_of(user, producer)


def can_make_labels(user: Any, issuance: CodeIssuance) -> bool:
    producer = issuance.producer
    return is_producer_staff(user, producer) or is_county_admin_of(user, producer)


def issuance_actions(user: Any, issuance: CodeIssuance) -> frozenset[str]:
    """What the user may do on the issuance page now ("bind", "void", "labels")."""
    actions: set[str] = set()
    if can_bind_codes(user, issuance):
        actions.add("bind")
    if can_void_codes(user, issuance):
        actions.add("void")
    if can_make_labels(user, issuance):
        actions.add("labels")
    return frozenset(actions)
