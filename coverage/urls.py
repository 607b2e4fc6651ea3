from django.urls import path

from . import urls_imports, urls_reread, urls_sources, views, views_days, views_media
from .pipeline import push

app_name = "coverage"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("sources/<slug:slug>/", views.source, name="source"),
    path("sources/<slug:slug>/days/<str:day>/", views_days.day, name="day"),
    path("sources/<slug:slug>/card/", views.card, name="card"),
    path("sources/<slug:slug>/upload/", views.upload, name="upload"),
    path("sources/<slug:slug>/pause/", views.pause, name="pause"),
    path("sources/<slug:slug>/resume/", views.resume, name="resume"),
    path("sources/<slug:slug>/retry/", views.retry_collect, name="retry_collect"),
    path("sources/<slug:slug>/remove/", views.remove, name="remove"),
    path("sources/<slug:slug>/import/retry/", views.retry_import, name="retry_import"),
    path("sources/<slug:slug>/media/required/", views_media.media_rule, {"required": True}, name="require_media"),
    path("sources/<slug:slug>/media/optional/", views_media.media_rule, {"required": False}, name="media_optional"),
    path("receipts/<int:batch_id>/", views.receipt, name="receipt"),
    path("receipts/<int:batch_id>/status/", views.receipt_status, name="receipt_status"),
    path("receipts/<int:batch_id>/import/", views.commit, name="commit"),
    path("receipts/<int:batch_id>/answer/", views.answer, name="answer"),
    path("receipts/<int:batch_id>/same-people/", views.same_people, name="same_people"),
    path("receipts/<int:batch_id>/retry/", views.retry, name="retry"),
    path("receipts/<int:batch_id>/cancel/", views.cancel, name="cancel"),
    path("ingest/<slug:endpoint>", push.ingest, name="ingest"),  # /ingest/owntracks, /ingest/overland
]
# Pages added by later work, each in its own module (names stay in the "coverage" namespace).
urlpatterns += urls_reread.urlpatterns + urls_imports.urlpatterns + urls_sources.urlpatterns
