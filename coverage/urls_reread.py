from django.urls import path

from . import views_reread

urlpatterns: list = [
    path("sources/<slug:slug>/reread/", views_reread.reread, name="reread"),
    path("reread/zone/", views_reread.reread_zone, name="reread_zone"),
]
