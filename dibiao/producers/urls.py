"""Pages of the producers app: each views module lists its own routes."""

from django.urls import URLPattern, URLResolver

app_name = "producers"
urlpatterns: list[URLPattern | URLResolver] = []
