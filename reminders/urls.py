from django.urls import path

from . import views

app_name = "reminders"

urlpatterns: list = [
    path("settings/digest/", views.digest_settings, name="settings"),
]
