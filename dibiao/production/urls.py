"""Pages of the production app: each views module lists its own routes."""

from django.urls import URLPattern, URLResolver

app_name = "production"
urlpatterns: list[URLPattern | URLResolver] = []
