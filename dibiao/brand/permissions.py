"""Who may do what with brand records. Which rows: scoping (ScopedQuerySet.restrict).

Publicity is the government's work: province, city and county bureaus record media reports,
videos and events and see them for their scope (a county government reads them). A producer
holding a product's certificate knows its history best, so it may draft that product's stories;
publishing a story on the public page stays with the bureaus, and once published only they
change it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dibiao.accounts.choices import DIVISION_ROLES, Role
from dibiao.accounts.permissions import has_role

if TYPE_CHECKING:
    from dibiao.brand.models import BrandStory

BRAND_WRITER_ROLES = (Role.PROVINCE_ADMIN, Role.CITY_ADMIN, Role.COUNTY_ADMIN)


def can_view_brand(user: Any) -> bool:
    """Media reports, videos and events: government users (rows: scoping)."""
    return has_role(user, *DIVISION_ROLES)


def can_record_brand(user: Any) -> bool:
    return has_role(user, *BRAND_WRITER_ROLES)


def can_view_stories(user: Any) -> bool:
    """Stories: government users and producers (a producer sees its products' stories)."""
    return has_role(user, *DIVISION_ROLES, Role.PRODUCER)


def can_write_stories(user: Any) -> bool:
    return has_role(user, *BRAND_WRITER_ROLES, Role.PRODUCER)


def can_publish_stories(user: Any) -> bool:
    return can_record_brand(user)


def can_edit_story(user: Any, story: BrandStory) -> bool:
    """A bureau edits any story in its scope; a producer only a draft."""
    if can_publish_stories(user):
        return True
    return has_role(user, Role.PRODUCER) and not story.is_published
