"""Who may do what in the registry beyond the product editors (accounts.permissions): the
production regulations (生产技术规程). Which products: scoping (GIProduct.objects.restrict)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dibiao.accounts.choices import Role
from dibiao.accounts.models import Membership
from dibiao.accounts.permissions import has_role, holds_role_at

if TYPE_CHECKING:
    from dibiao.registry.models import GIProduct


def can_publish_regulation(user: Any, product: GIProduct) -> bool:
    """Publish a new version of a product's production regulation: the province, a county
    bureau of one of the product's counties, or the product's certificate holder."""
    if user is None or not user.is_authenticated:
        return False
    if has_role(user, Role.PROVINCE_ADMIN):
        return True
    if has_role(user, Role.COUNTY_ADMIN) and any(
        holds_role_at(user, Role.COUNTY_ADMIN, d.pk) for d in product.divisions.all()
    ):
        return True
    return (
        product.certificate_holder_id is not None
        and Membership.objects.filter(
            user_id=user.pk,
            organization_id=product.certificate_holder_id,
            organization__is_active=True,
        ).exists()
    )
