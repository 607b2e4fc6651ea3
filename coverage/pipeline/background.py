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

Never stuck: a reader claims the preview (``read_by``: ``host:pid:start``; on PostgreSQL it also
holds the batch's advisory lock, as ``claims.landing`` does) and counts the attempt
(``read_attempts``). The sweep (``requeue_stalled_reading``) reads again a preview whose reader is
gone, or whose task vanished before any reading began; after ``MAX_READ_ATTEMPTS`` readings that
stopped, the preview is rejected in owner words and its stored file is kept (``retry_reading``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import IO

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks_db.models import DBTaskResult

from connections.models import Connection
from connections.runtime import PROCESS

from ..models import AcquisitionBatch
from .claims import _claimer_gone, batch_lock, queued_batches
from .preview import artifact_parser, parse_and_measure, receive_artifact, replace_waiting_previews
from .staging import drop_staging

log = logging.getLogger(__name__)

Status = AcquisitionBatch.Status
# Looked up by path, as the worker does, so ``coverage.tasks`` and the pipeline do not import each other.
READ_TASK = "coverage.tasks.read_preview"
MAX_READ_ATTEMPTS = 3  # readings that may stop midway (a killed worker) before the file is set aside
UNCLAIMED_GRACE = timedelta(minutes=1)  # a reading asked for, with no task and no reader
READ_STALL = timedelta(hours=1)  # a task marked running with no reader, or a reader on another host
# How the worker reads a stored preview, by acquisition method: ``backup`` adds ``device_backup`` (a phone
# backup read with the backup reader, then asked which chat); any other is read as an export.
READERS: dict[str, Callable[[AcquisitionBatch], AcquisitionBatch]] = {}
# How the worker reads a stored preview that is no upload, by its trigger: ``reread``, an import read again
# (``reread`` registers it; ``coverage.apps`` imports that module in every process).
TRIGGER_READERS: dict[str, Callable[[AcquisitionBatch], AcquisitionBatch]] = {}


def background_from_bytes() -> int:
    """Files at least this large are read by the worker, not in the request."""
    default = settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    return int(getattr(settings, "OWNERHUB_BACKGROUND_PREVIEW_BYTES", default))


def _declared_size(source: IO[bytes]) -> int | None:
    size = getattr(source, "size", None)
    return size if isinstance(size, int) else None


def start_preview(connection: Connection, source: IO[bytes], filename: str, **received) -> AcquisitionBatch:
    """Store the upload, then read it here (a small file) or in the worker (a large one).

    Returns the batch: ``preview`` (measured, or ``is_reading`` while the worker reads it),
    ``duplicate`` or ``rejected``. Raises ``NotAnArtifactSource`` before storing anything.
    ``received`` are ``receive_artifact``'s keywords (``options``, ``now``).
    """
    batch = receive_artifact(connection, source, filename, **received)
    replace_waiting_previews(batch)  # the same file uploaded again: one preview of it waits, not two
    if batch.status != Status.PREVIEW or read_later(batch, source):
        return batch
    return parse_and_measure(batch, artifact_parser(connection.manifest), None)


def read_later(batch: AcquisitionBatch, source: IO[bytes]) -> bool:
    """Ask the worker to read a stored preview when its upload is large (True); else the caller reads it.

    The worker reads it by its method (``READERS``), so a large phone backup goes the same way as a large export.
    """
    size = _declared_size(source)
    if size is None or size < background_from_bytes():
        return False
    batch.reading_requested_at = timezone.now()
    batch.save(update_fields=["reading_requested_at"])
    import_string(READ_TASK).enqueue(batch.pk)
    batch.refresh_from_db()
    return True


def read_preview(batch_id: int) -> str:
    """Read and measure a stored preview (the body of the ``read_preview`` task); returns its status.

    Safe to run twice: a batch that is gone, no longer a preview, or already read is left as it is.
    """
    with reading(batch_id):
        batch = AcquisitionBatch.objects.select_related("connection").filter(pk=batch_id).first()
        if batch is None or not batch.is_reading:
            return batch.status if batch is not None else "gone"
        AcquisitionBatch.objects.filter(pk=batch_id).update(read_by=PROCESS, read_attempts=F("read_attempts") + 1)
        batch.read_by, batch.read_attempts = PROCESS, batch.read_attempts + 1  # ``parse_and_measure`` saves them
        reader = TRIGGER_READERS.get(batch.trigger) or READERS.get(batch.method)
        if reader is not None:
            return reader(batch).status
        return parse_and_measure(batch, artifact_parser(batch.connection.manifest), None).status


def reading(batch_id: int):
    """Hold the batch's lock while the block reads it (PostgreSQL), then let go of the reading claim."""
    return batch_lock(batch_id, "read_by")


def requeue_stalled_reading(now: datetime) -> list[int]:
    """Read again the previews whose reader is gone (see the module text); returns the batch ids enqueued."""
    ready, running = queued_batches(READ_TASK, "READY"), queued_batches(READ_TASK, "RUNNING")
    requeued = []
    waiting = AcquisitionBatch.objects.filter(status=Status.PREVIEW, reading_requested_at__isnull=False)
    for batch in waiting.only("pk", "status", "phases", "reading_requested_at", "read_by", "read_attempts", "trigger"):
        if not batch.is_reading:
            continue
        asked = batch.reading_requested_at
        if batch.read_by:
            if not _claimer_gone(batch.pk, batch.read_by, asked, now, READ_STALL):
                continue
        elif batch.pk in ready or now - asked <= (READ_STALL if batch.pk in running else UNCLAIMED_GRACE):
            continue
        if _take_over(batch, now):
            requeued.append(batch.pk)
    return requeued


def _take_over(batch: AcquisitionBatch, now: datetime) -> bool:
    """Drop a gone reader's claim and read again, or set the file aside after too many stops.

    Guarded by what was read (the claim and when the reading was asked for), so two sweeps take it once.
    """
    with transaction.atomic():
        rows = AcquisitionBatch.objects.filter(
            pk=batch.pk, status=Status.PREVIEW, read_by=batch.read_by, reading_requested_at=batch.reading_requested_at
        )
        give_up = batch.read_attempts >= MAX_READ_ATTEMPTS
        if give_up:
            taken = rows.update(
                status=Status.REJECTED,
                read_by="",
                reject_reason="reading_stopped",
                reject_detail=_set_aside_words(batch),
                preview_counts=None,
            )
        else:
            taken = rows.update(read_by="", reading_requested_at=now, progress=0)
        if not taken:
            return False
        _close_running_tasks(batch.pk, now)
        if give_up:
            drop_staging(batch.pk)
            log.warning("batch %s: reading stopped %d times; set aside", batch.pk, batch.read_attempts)
            return False
        import_string(READ_TASK).enqueue(batch.pk)
        log.warning("batch %s: its reader is gone; the file is read again", batch.pk)
    return True


def _set_aside_words(batch: AcquisitionBatch) -> str:
    """Why a reading was set aside, and what the owner may do: an upload's, or an import's read again."""
    stopped = (f"stopped {batch.read_attempts} times before the end, each time because the background worker "
               "stopped, so Ownerhub set it aside.")
    if batch.trigger == "reread":
        return (f"Reading this import again {stopped} The import is as it was, in the zone it was read in; "
                "once the background worker runs steadily, the page that offered to read it again offers it once more.")
    return (f"Reading this file {stopped} Your file is kept: upload it again to read it once more, or upload a "
            "smaller export.")


def _close_running_tasks(batch_id: int, now: datetime) -> None:
    for task_id, args in DBTaskResult.objects.filter(task_path=READ_TASK, status="RUNNING").values_list(
        "pk", "args_kwargs"
    ):
        if ((args or {}).get("args") or [None])[0] == batch_id:
            DBTaskResult.objects.filter(pk=task_id, status="RUNNING").update(
                status="FAILED", finished_at=now, return_value=None,
                traceback="WorkerGone: the worker stopped before this task finished.\n",
            )


def retry_reading(batch: AcquisitionBatch) -> AcquisitionBatch:
    """Read a file set aside after its reading stopped too often once more, from the start (its file was kept)."""
    taken = AcquisitionBatch.objects.filter(
        pk=batch.pk, status=Status.REJECTED, reject_reason="reading_stopped"
    ).exclude(artifact_name="").update(
        status=Status.PREVIEW, reject_reason="", reject_detail="", read_by="", read_attempts=0, progress=0,
        reading_requested_at=timezone.now(),
    )
    if taken:
        import_string(READ_TASK).enqueue(batch.pk)
    batch.refresh_from_db()
    return batch


def read_in_owner_zone(batch: AcquisitionBatch) -> AcquisitionBatch:
    """Read a waiting preview's stored file again from the start, in the owner's zone now (``zone_previews``).

    The worker reads it, as it reads a large upload: until it is done the preview cannot be committed.
    """
    taken = AcquisitionBatch.objects.filter(pk=batch.pk, status=Status.PREVIEW).exclude(artifact_name="").update(
        phases={k: v for k, v in (batch.phases or {}).items() if k not in ("parsed", "deduplicated")},
        read_by="", read_attempts=0, progress=0, reading_requested_at=timezone.now(),
    )
    if taken:
        import_string(READ_TASK).enqueue(batch.pk)
    batch.refresh_from_db()
    return batch
