"""Who may add to or withdraw from the work archive. Which rows they see is scoping's job."""

from __future__ import annotations

from typing import Any

from dibiao.accounts.choices import DIVISION_ROLES, Role
from dibiao.accounts.models import Membership, Organization
from dibiao.accounts.permissions import has_role
from dibiao.accounts.scoping import scope_for
from dibiao.archive.errors import ArchiveError
from dibiao.archive.targets import filing_for
from dibiao.core.models import Division


def can_attach_archive(user: Any) -> bool:
    """Government users (province, city, county, county government) and producers."""
    return has_role(user, *DIVISION_ROLES, Role.PRODUCER)


def can_file_under(user: Any, *, division: Division, organization: Organization | None) -> bool:
    """May `user` add or withdraw a document filed under this division and organization?

    A government user may, for a division in its scope; a producer may, for its own
    organization's documents (checked on the membership, so a lab membership does not count).
    """
    if has_role(user, *DIVISION_ROLES) and division.pk in scope_for(user).division_ids:
        return True
    return (
        organization is not None
        and has_role(user, Role.PRODUCER)
        and Membership.objects.filter(
            user_id=user.pk,
            organization_id=organization.pk,
            role=Role.PRODUCER,
            organization__is_active=True,
        ).exists()
    )


def can_attach_to(user: Any, target: Any) -> bool:
    """May `user` attach a document to `target` where `filing_for` would file it? The same
    rule the services apply, asked before showing an upload form (a producer who can see a
    contract it is party to, say, cannot file government documents on it)."""
    if not can_attach_archive(user):
        return False
    try:
        division, organization = filing_for(actor=user, target=target)
    except ArchiveError:  # not attachable, or without a division
        return False
    return can_file_under(user, division=division, organization=organization)
