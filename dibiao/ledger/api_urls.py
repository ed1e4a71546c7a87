"""API v1 routes of the ledger (public)."""

from dibiao.ledger.api import urlpatterns

__all__ = ["urlpatterns"]
