from django.urls import path

from . import views_imports

urlpatterns: list = [
    path("receipts/<int:batch_id>/remove/", views_imports.remove, name="remove_import"),
]
