from django.urls import path

from . import views

app_name = "connections"

urlpatterns = [
    path("sources/new/", views.catalog, name="catalog"),
    path("sources/new/<slug:connector>/", views.create, name="create"),
    path("sources/<slug:slug>/pause/", views.pause, name="pause"),
    path("sources/<slug:slug>/resume/", views.resume, name="resume"),
    path("sources/<slug:slug>/retry/", views.retry, name="retry"),
    path("sources/<slug:slug>/remove/", views.remove, name="remove"),
]
