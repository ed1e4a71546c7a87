"""Pages of the producers app: each views module lists its own routes."""

from django.urls import URLPattern, URLResolver

from dibiao.producers.views import authorizations, bases, directory, farmers

app_name = "producers"
urlpatterns: list[URLPattern | URLResolver] = []
urlpatterns += authorizations.urlpatterns
urlpatterns += directory.urlpatterns
urlpatterns += bases.urlpatterns
urlpatterns += farmers.urlpatterns
