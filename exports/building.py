"""Building an export in the worker: the zip written to a temporary file, then kept in storage."""

from __future__ import annotations

import logging
import tempfile
from datetime import timedelta

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.utils import timezone

from . import archive
from .models import Export

log = logging.getLogger(__name__)

PROGRESS_EVERY = 0.5  # seconds between progress writes


def hours() -> int:
    """How long a download lasts (``OWNERHUB_EXPORT_HOURS``, 24 by default)."""
    return int(getattr(settings, "OWNERHUB_EXPORT_HOURS", 24))


def build(export_id: int) -> Export:
    """Write the export's zip and keep it in storage; the export ends ``ready`` or ``failed``."""
    export = Export.objects.select_related("owner").get(pk=export_id)
    if export.status not in (Export.Status.QUEUED, Export.Status.BUILDING):
        return export
    export.status, export.started_at = Export.Status.BUILDING, timezone.now()
    export.save(update_fields=["status", "started_at"])
    last = [0.0]

    def progress(done: int, total: int) -> None:
        moment = timezone.now().timestamp()
        if moment - last[0] >= PROGRESS_EVERY or done == total:
            last[0] = moment
            Export.objects.filter(pk=export.pk).update(done=done, total=total)

    try:
        with tempfile.TemporaryFile(suffix=".zip") as tmp:
            archive.write(export.owner, tmp, progress=progress)
            size = tmp.tell()
            tmp.seek(0)
            name = default_storage.save(f"exports/{export.owner_id}/{export.token}.zip", File(tmp))
    except Exception as exc:  # the owner is told it failed; the details go to the log
        log.exception("export %s failed", export.pk)
        Export.objects.filter(pk=export.pk).update(
            status=Export.Status.FAILED, finished_at=timezone.now(), error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        export.refresh_from_db()
        return export
    finished = timezone.now()
    Export.objects.filter(pk=export.pk).update(
        status=Export.Status.READY,
        finished_at=finished,
        expires_at=finished + timedelta(hours=hours()),
        file_name=name,
        bytes=size,
    )
    export.refresh_from_db()
    return export


