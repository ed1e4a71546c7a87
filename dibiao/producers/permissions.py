"""Who may do what with producers. Which rows they may touch: scoping (ScopedQuerySet.restrict)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dibiao.accounts.choices import Role
from dibiao.accounts.permissions import has_role, holds_role_at
from dibiao.accounts.scoping import scope_for

if TYPE_CHECKING:
    from dibiao.producers.models import Producer


# --- Directory, bases, farmers (services/directory.py, bases.py, farmers.py) ----------------


def is_own_producer(user: Any, producer: Producer) -> bool:
    """The user works for the producer's own organization (holds the producer role there; the
    only organization role an organization of kind `producer` can carry)."""
    return (
        producer.organization_id is not None
        and has_role(user, Role.PRODUCER)
        and producer.organization_id in scope_for(user).organization_ids
    )


def is_producer_county_admin(user: Any, producer: Producer) -> bool:
    return holds_role_at(user, Role.COUNTY_ADMIN, producer.division_id)


def can_edit_directory(user: Any) -> bool:
    """Create directory entries and change their status: the county bureau (in its own county)
    and the province."""
    return has_role(user, Role.PROVINCE_ADMIN, Role.COUNTY_ADMIN)


def can_edit_producer(user: Any, producer: Producer) -> bool:
    """Edit every field of an entry and change its status: the county bureau of the entry's
    county, or the province. The caller has already found the entry in the user's scope."""
    return has_role(user, Role.PROVINCE_ADMIN) or is_producer_county_admin(user, producer)


def can_edit_producer_contact(user: Any, producer: Producer) -> bool:
    """Edit the contact details (contact person, phone, address) only: also the producer itself,
    because it knows them best; its name, kind, codes and county are the bureau's record."""
    return can_edit_producer(user, producer) or is_own_producer(user, producer)


def can_view_personal_data(user: Any, producer: Producer) -> bool:
    """See the unmasked phone and ID number (each view is audited): the county bureau of the
    entry's county, the province, and the producer's own staff."""
    return (
        has_role(user, Role.PROVINCE_ADMIN)
        or is_producer_county_admin(user, producer)
        or is_own_producer(user, producer)
    )


def can_manage_bases(user: Any, producer: Producer | None = None) -> bool:
    """Create and edit production bases and the farmers driven (带动农户): the producer for its
    own, the county bureau of its county, the province. Without a producer: whether the user
    manages any (to show the buttons)."""
    if producer is None:
        return has_role(user, Role.PROVINCE_ADMIN, Role.COUNTY_ADMIN, Role.PRODUCER)
    return can_edit_producer(user, producer) or is_own_producer(user, producer)


def can_manage_farmers(user: Any, producer: Producer | None = None) -> bool:
    return can_manage_bases(user, producer)
