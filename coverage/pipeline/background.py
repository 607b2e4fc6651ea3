"""Previews read by the background worker: the upload request only stores the file.

``start_preview`` is the entry of the upload page and of ``POST .../previews``. It stores and
hashes the upload (``preview.receive_artifact``: a duplicate or a file over the limit is
answered at once). A file larger than ``OWNERHUB_BACKGROUND_PREVIEW_BYTES`` (by default the
size Django spools to disk, ``FILE_UPLOAD_MAX_MEMORY_SIZE``) is then read by the worker: the
batch stays ``preview`` with ``reading_requested_at`` set, and the task
``coverage.tasks.read_preview`` parses and measures it (``read_preview``), counting what it
has read so far on ``batch.progress`` for the owner's page to poll. A smaller file is read in
the request, as before: it takes less time than the first poll would.

In the embedded default the worker is the ``db_worker`` child process ``manage.py up`` starts;
with django-tasks' immediate backend the task runs inside ``enqueue``.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import IO

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from connections.models import Connection

from ..models import AcquisitionBatch
from .preview import artifact_parser, parse_and_measure, receive_artifact

log = logging.getLogger(__name__)

Status = AcquisitionBatch.Status
# Looked up by path, as the worker does, so ``coverage.tasks`` and the pipeline do not import each other.
READ_TASK = "coverage.tasks.read_preview"


def background_from_bytes() -> int:
    """Files at least this large are read by the worker, not in the request."""
    default = settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    return int(getattr(settings, "OWNERHUB_BACKGROUND_PREVIEW_BYTES", default))


def _declared_size(source: IO[bytes]) -> int | None:
    size = getattr(source, "size", None)
    return size if isinstance(size, int) else None


def start_preview(
    connection: Connection,
    source: IO[bytes],
    filename: str,
    *,
    options: dict | None = None,
    now: datetime | None = None,
) -> AcquisitionBatch:
    """Store the upload, then read it here (a small file) or in the worker (a large one).

    Returns the batch: ``preview`` (measured, or ``is_reading`` while the worker reads it),
    ``duplicate`` or ``rejected``. Raises ``NotAnArtifactSource`` before storing anything.
    """
    size = _declared_size(source)
    background = size is not None and size >= background_from_bytes()
    batch = receive_artifact(connection, source, filename, options=options, now=now)
    if batch.status != Status.PREVIEW:
        return batch
    if not background:
        return parse_and_measure(batch, artifact_parser(connection.manifest), None)
    batch.reading_requested_at = timezone.now()
    batch.save(update_fields=["reading_requested_at"])
    import_string(READ_TASK).enqueue(batch.pk)
    batch.refresh_from_db()
    return batch


def read_preview(batch_id: int) -> str:
    """Read and measure a stored preview (the body of the ``read_preview`` task); returns its status.

    Safe to run twice: a batch that is gone, no longer a preview, or already read is left as it is.
    """
    batch = AcquisitionBatch.objects.select_related("connection").filter(pk=batch_id).first()
    if batch is None or not batch.is_reading:
        return batch.status if batch is not None else "gone"
    return parse_and_measure(batch, artifact_parser(batch.connection.manifest), None).status
