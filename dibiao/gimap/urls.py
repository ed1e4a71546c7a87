from django.urls import path

from dibiao.gimap import views

app_name = "gimap"
urlpatterns = [
    path("map/", views.province_map, name="map-province"),
    path("map/county/<str:code>/", views.county_map, name="map-county"),
    path(
        "map/county/<str:code>/print.png", views.county_print, {"fmt": "png"}, name="map-print-png"
    ),
    path(
        "map/county/<str:code>/print.pdf", views.county_print, {"fmt": "pdf"}, name="map-print-pdf"
    ),
    path("map/boundary/<str:code>/", views.boundary_upload, name="boundary-upload"),
    # Public, no login: the public layers only.
    path("public/map/", views.public_province_map, name="public-map-province"),
    path("public/map/county/<str:code>/", views.public_county_map, name="public-map-county"),
]
