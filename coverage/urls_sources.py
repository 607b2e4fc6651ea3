from django.urls import path  # noqa: F401

urlpatterns: list = []

# A source's places on a map, for a chosen range of days (issue 17).
from . import views_map  # noqa: E402

urlpatterns += [path("sources/<slug:slug>/map/", views_map.source_map, name="map")]

# A file set aside after its reading stopped too often, read once more (issue 14).
from . import views_read_again  # noqa: E402

urlpatterns += [path("receipts/<int:batch_id>/read-again/", views_read_again.read_again, name="read_again")]

# Mute reminders: what an export-only source offers instead of pause (issue 14).
from . import views_mute  # noqa: E402

urlpatterns += [
    path("sources/<slug:slug>/mute/", views_mute.mute, name="mute"),
    path("sources/<slug:slug>/unmute/", views_mute.unmute, name="unmute"),
]
