from django.urls import path  # noqa: F401

urlpatterns: list = []

# A source's places on a map, for a chosen range of days (issue 17).
from . import views_map  # noqa: E402

urlpatterns += [path("sources/<slug:slug>/map/", views_map.source_map, name="map")]
