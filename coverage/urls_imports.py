from django.urls import path

from . import views_imports, views_runs

urlpatterns: list = [
    path("receipts/<int:batch_id>/remove/", views_imports.remove, name="remove_import"),
    path("receipts/<int:batch_id>/receipt.json", views_imports.receipt_json_download, name="receipt_json"),
    path("receipts/<int:batch_id>/print/", views_imports.receipt_print, name="receipt_print"),
    path("receipts/<int:batch_id>/file/", views_imports.original_file, name="original_file"),
    path("sources/<slug:slug>/imports/", views_imports.imports, name="imports"),
    # The runs page lives here rather than in urls_sources (another helper's routes sit there).
    path("sources/<slug:slug>/runs/", views_runs.runs, name="runs"),
]
