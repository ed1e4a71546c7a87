"""Staff pages of the trace app (mounted at /trace/): each views module lists its own routes."""

from django.urls import URLPattern, URLResolver

app_name = "trace"
urlpatterns: list[URLPattern | URLResolver] = []
