from django.urls import path

from . import account, views

app_name = "connections"

urlpatterns = [
    path("sources/new/", views.catalog, name="catalog"),
    path("sources/new/<slug:connector>/", views.create, name="create"),
    path("sources/<slug:slug>/token/", views.device_token, name="device_token"),
    path("sources/<slug:slug>/feed/", views.feed, name="feed"),
    path("settings/", account.owner_settings, name="settings"),
    path("settings/time-zone/", account.time_zone, name="settings-time-zone"),
    path("settings/password/", account.password, name="settings-password"),
    path("settings/tokens/", account.create_token, name="settings-create-token"),
    path("settings/tokens/<int:token_id>/revoke/", account.revoke_token, name="settings-revoke-token"),
]
