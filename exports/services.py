"""Asking for an export, building it in the worker, and letting it expire.

``request_export`` records the owner's request and enqueues ``exports.tasks.build_export`` once
the request is committed; ``building.build`` writes the zip to a temporary file (``archive.write``), then
copies it into Django's default storage as ``exports/<owner>/<token>.zip``. The download lasts
``OWNERHUB_EXPORT_HOURS`` (24 by default); an expired export's file is deleted the next time the
owner's exports are looked at.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from .models import Export
from .tasks import build_export

log = logging.getLogger(__name__)


def latest(owner, now: datetime | None = None) -> Export | None:
    """The owner's newest export, after letting old ones go."""
    purge_expired(owner, now or timezone.now())
    return Export.objects.filter(owner=owner).order_by("-created_at", "-pk").first()


def in_flight(owner) -> Export | None:
    return Export.objects.filter(owner=owner, status__in=[Export.Status.QUEUED, Export.Status.BUILDING]).first()


def request_export(owner, now: datetime | None = None) -> Export:
    """A new export for the owner, queued for the worker; one already on its way is returned as it is."""
    now = now or timezone.now()
    with transaction.atomic():
        running = in_flight(owner)
        if running is not None:
            return running
        export = Export.objects.create(owner=owner, created_at=now)
        transaction.on_commit(lambda: build_export.enqueue(export.pk))
    return export


def purge_expired(owner, now: datetime) -> None:
    """Delete the files of the owner's expired exports (the rows stay, to say they expired)."""
    for export in Export.objects.filter(owner=owner, status=Export.Status.READY, expires_at__lte=now).exclude(
        file_name=""
    ):
        try:
            default_storage.delete(export.file_name)
        except OSError:
            log.warning("could not delete expired export %s", export.file_name, exc_info=True)
        Export.objects.filter(pk=export.pk).update(file_name="")
