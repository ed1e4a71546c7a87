app_name = "archive"
urlpatterns: list[object] = []
