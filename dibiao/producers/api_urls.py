"""API v1 routes of the producers app: each api module lists its own routes."""

from django.urls import URLPattern, URLResolver

from dibiao.producers.api import authorizations, bases, directory, farmers

urlpatterns: list[URLPattern | URLResolver] = []
urlpatterns += authorizations.urlpatterns
urlpatterns += directory.urlpatterns
urlpatterns += bases.urlpatterns
urlpatterns += farmers.urlpatterns
