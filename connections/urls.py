from django.urls import path

from . import account, ingest, views

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
    path("settings/", account.owner_settings, name="settings"),
    path("settings/time-zone/", account.time_zone, name="settings-time-zone"),
    path("settings/password/", account.password, name="settings-password"),
    path("settings/tokens/", account.create_token, name="settings-create-token"),
    path("settings/tokens/<int:token_id>/revoke/", account.revoke_token, name="settings-revoke-token"),
    path("ingest/owntracks", ingest.owntracks, name="ingest-owntracks"),
    path("ingest/overland", ingest.overland, name="ingest-overland"),
]
