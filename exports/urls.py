from django.urls import path

from . import views

app_name = "exports"

urlpatterns = [
    path("settings/export/", views.panel, name="panel"),
    path("settings/export/new/", views.create, name="create"),
    path("exports/<uuid:token>/download/", views.download, name="download"),
]
