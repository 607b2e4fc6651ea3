from django.urls import path

from . import ingest, views

app_name = "connections"

urlpatterns = [
    path("sources/new/", views.catalog, name="catalog"),
    path("sources/new/<slug:connector>/", views.create, name="create"),
    path("sources/<slug:slug>/pause/", views.pause, name="pause"),
    path("sources/<slug:slug>/resume/", views.resume, name="resume"),
    path("sources/<slug:slug>/retry/", views.retry, name="retry"),
    path("sources/<slug:slug>/remove/", views.remove, name="remove"),
    path("sources/<slug:slug>/token/", views.device_token, name="device_token"),
    path("sources/<slug:slug>/feed/", views.feed, name="feed"),
    path("ingest/owntracks", ingest.owntracks, name="ingest-owntracks"),
    path("ingest/overland", ingest.overland, name="ingest-overland"),
]
