"""Full-text search over the owner's text records (issue 17)."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate

from .backends import ensure_index


def _ensure_index(sender, using="default", **kwargs) -> None:
    # Sent once per app with models; the search app has none, so it listens for coverage's.
    if sender.label == "coverage":
        ensure_index(using)


class SearchConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "search"

    def ready(self) -> None:
        # SQLite rebuilds a table to alter it, and its triggers go with the old one.
        post_migrate.connect(_ensure_index, dispatch_uid="search.ensure_index")
