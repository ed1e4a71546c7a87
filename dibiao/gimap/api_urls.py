"""API v1 routes of the map (staff under map/, public twins under public/map/)."""

from dibiao.gimap.api import urlpatterns

__all__ = ["urlpatterns"]
