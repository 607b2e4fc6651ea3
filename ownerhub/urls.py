"""Wiring only: each app owns its urls."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from coverage.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/owner/", api.urls),
    path("", include("connections.urls")),
    path("", include("coverage.urls")),
    path("", include("search.urls")),
    path("", include("exports.urls")),
    path("", include("reminders.urls")),
]

handler404 = "coverage.views_gone.not_found"  # a gone preview's address says what became of it
