app_name = "dispatch"
urlpatterns: list[object] = []
