"""The acquisition pipeline: preview an artifact, commit it, and land live records.

Three entry points, one landing path:

- ``preview_artifact`` stores an uploaded file, hashes it, parses it with the connector's
  ``owner_artifact`` parser into the staging table, and measures it against what the
  connection already holds. Nothing reaches ``Record``. ``answer_preview`` re-parses a
  preview whose parser asked a question (WhatsApp's ambiguous date order).
- ``start_commit`` flips a preview to ``committing`` (one landing per artifact, enforced by
  the ``one_landed_batch_per_artifact`` constraint) and enqueues ``coverage.tasks.commit_batch``,
  which calls ``land_batch``: records, provenance, counts and coverage summaries in one
  transaction, then the staging rows go.
- ``acquire_records`` is the synchronous path for live sources (device pushes, calendar
  pulls): records in, committed batch out, through the same staging and landing code.

Staging (table ``coverage_stagedrecord``, created by migration 0002, plain SQL only):
parsed records are inserted in chunks of ``STAGE_CHUNK`` with ON CONFLICT DO NOTHING on
(batch, stream, key), so in-file duplicates collapse in the database and Python never keeps
a set of keys: memory stays flat whatever the size of the artifact. Every count, day
histogram and duplicate source is then one SQL aggregate over the staged rows.

Every landing locks the connection row first, so landings on one connection are serialized
(on SQLite the IMMEDIATE transaction mode does the same) and the summaries stay exact.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db import connection as db
from django.utils import timezone
from django.utils.text import get_valid_filename

from connections.connectors.base import (
    MAX_WARNINGS,
    Artifact,
    ArtifactRejected,
    BatchFacts,
    ParsedRecord,
    ParseOptions,
    clean_key,
    payload_json,
)
from connections.connectors.manifest import Manifest
from connections.models import CollectionRun, Connection, OwnerProfile

from . import claims
from .models import AcquisitionBatch, CoverageSummary, LaneSummary, Record, RecordProvenance

log = logging.getLogger(__name__)

Status = AcquisitionBatch.Status
LANDING = (Status.COMMITTING, Status.COMMITTED)

CHUNK_BYTES = 1 << 20  # storage and hashing read the upload this much at a time
STAGE_CHUNK = 50_000  # staged records per transaction (one executemany or COPY)
PROGRESS_EVERY = 10_000  # items between progress updates a poller can see
DEFAULT_GAP_AFTER = timedelta(days=3)  # batch gaps when the manifest declares no hole size
DATE_ORDERS = ("dmy", "mdy")

STAGING_TABLE = "coverage_stagedrecord"

Progress = Callable[[str, int], None]
"""Called as ``progress(phase, items)`` while a batch is worked on (the CLI draws a bar)."""


class CommitRefused(Exception):
    """The batch cannot be committed (rejected, read only partly, or its preview still asks a question).

    The message is in owner words: the API answers it as a 409's ``detail``.
    """


class _CommitFailed(Exception):
    """A commit that cannot succeed by trying again as it is; the message is in owner words."""


MAX_COMMIT_ATTEMPTS = 3  # failed landings of one batch before it is ``failed`` (a kill does not count)
FAILED_WORDS = (
    "Ownerhub ran into an error while saving this import, {tries}. Nothing from it was saved. "
    "Try again; if it stops again, tell whoever runs your Ownerhub."
)
NOT_READ_TO_THE_END = "This file was not read to the end, so it cannot be imported. Upload it again."


class NotAnArtifactSource(ValueError):
    """The connector takes no uploaded artifact (a device push or a feed)."""


# --- public services ---------------------------------------------------------------------------
def preview_artifact(
    connection: Connection,
    source: IO[bytes],
    filename: str,
    *,
    options: dict | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> AcquisitionBatch:
    """Store, hash and parse an uploaded artifact; measure it; write nothing to ``Record``.

    ``source`` is a binary file-like object (an ``UploadedFile`` or an open file), read in
    1 MB chunks. ``options`` may carry ``date_order`` (``"dmy"``/``"mdy"``). Returns the new
    batch: ``preview`` (possibly with a ``question``), ``duplicate`` (this connection already
    holds the same sha256; the stored copy is deleted) or ``rejected`` (too large or refused by
    the parser; nothing else written).
    """
    now = now or timezone.now()
    manifest = connection.manifest
    parser = _artifact_parser(manifest)
    batch = AcquisitionBatch.objects.create(
        connection=connection,
        method="owner_artifact",
        trigger="manual",
        artifact_filename=_display_name(filename),
        options=_clean_options(options),
        status=Status.PREVIEW,
        created_at=now,
        phases={},
    )
    batch.connection = connection
    limit = settings.OWNERHUB_MAX_UPLOAD_BYTES
    try:
        name, sha256, size = _store(source, connection.owner_id, batch.artifact_filename, limit)
    except _TooLarge as exc:
        batch.artifact_bytes = exc.read
        return _reject(batch, manifest, "too_large", f"The file is larger than the {_size_words(limit)} limit.")
    batch.artifact_name, batch.artifact_sha256, batch.artifact_bytes = name, sha256, size
    _stamp(batch, "received")
    batch.save(update_fields=["artifact_name", "artifact_sha256", "artifact_bytes", "phases"])

    # Only a committed import makes a file a duplicate: an unfinished or failed one must never
    # block the same file (its commit resolves a race with a landing one, see ``start_commit``).
    earlier = (
        AcquisitionBatch.objects.filter(connection=connection, artifact_sha256=sha256, status=Status.COMMITTED)
        .exclude(pk=batch.pk)
        .order_by("pk")
        .first()
    )
    if earlier is not None:
        return _mark_duplicate(batch, earlier)
    return _parse_and_measure(batch, parser, progress)


def answer_preview(batch: AcquisitionBatch, date_order: str, *, progress: Progress | None = None) -> AcquisitionBatch:
    """Re-read a preview with the owner's answer to its question (the day/month order)."""
    if date_order not in DATE_ORDERS:
        raise ValueError(f"date order must be one of {', '.join(DATE_ORDERS)}")
    batch = AcquisitionBatch.objects.select_related("connection").get(pk=batch.pk)
    if batch.status != Status.PREVIEW or not batch.artifact_name:
        raise CommitRefused("Only a preview that is still waiting can be answered.")
    batch.options = {**(batch.options or {}), "date_order": date_order}
    batch.question = None
    batch.save(update_fields=["options", "question"])
    return _parse_and_measure(batch, _artifact_parser(batch.connection.manifest), progress)


def start_commit(batch: AcquisitionBatch | int, *, enqueue: bool = True) -> AcquisitionBatch:
    """Commit a previewed batch (named by row or id): flip it to ``committing``, enqueue ``commit_batch``.

    A ``duplicate``, ``committing`` or ``committed`` batch is returned as it is. Raises
    ``CommitRefused`` for a rejected batch, an unanswered question, a preview whose parse never
    finished (the process was killed or stopped mid-file: its ``deduplicated`` phase is missing)
    and a ``failed`` one (``retry_commit`` is the way to try that again).

    When another batch of the same artifact is landing on this connection (exactly one may,
    ``one_landed_batch_per_artifact``): once that one is committed, this batch becomes its
    ``duplicate``. With ``enqueue=False`` the caller lands the batch itself (the CLI does, so it
    never waits for a worker); then an unfinished landing of the same file is finished here
    first (``land_batch`` waits for a live one on the connection lock), and when this call is
    what landed it, that batch is returned and this preview is discarded: re-running a killed
    import finishes it. With ``enqueue=True`` (the web and the API) a landing still running
    is ``CommitRefused``: the preview stays and can be committed once that one is done.
    """
    batch_id = batch if isinstance(batch, int) else batch.pk
    batch = AcquisitionBatch.objects.select_related("connection").get(pk=batch_id)
    if batch.status in (Status.DUPLICATE, Status.COMMITTING, Status.COMMITTED):
        return batch
    if batch.status == Status.REJECTED:
        raise CommitRefused("This file was rejected; it cannot be imported.")
    if batch.status == Status.FAILED:
        raise CommitRefused("This import stopped with an error. Choose “Try again now” to import it again.")
    if batch.question:
        raise CommitRefused("The preview is waiting for an answer (the date order) before it can be imported.")
    if not batch.is_measured:
        raise CommitRefused(NOT_READ_TO_THE_END)
    return _flip_and_commit(batch, Status.PREVIEW, enqueue=enqueue)


def retry_commit(batch: AcquisitionBatch | int, *, enqueue: bool = True) -> AcquisitionBatch:
    """Try a ``failed`` commit again from the start: its attempts are reset, the stored file is kept.

    The landing reads the stored artifact again when its staged rows are gone. Any other status
    is returned as it is (a retry asked twice is harmless). Same races as ``start_commit``.
    """
    batch_id = batch if isinstance(batch, int) else batch.pk
    batch = AcquisitionBatch.objects.select_related("connection").get(pk=batch_id)
    if batch.status != Status.FAILED:
        return batch
    return _flip_and_commit(batch, Status.FAILED, enqueue=enqueue)


def _flip_and_commit(batch: AcquisitionBatch, from_status: str, *, enqueue: bool) -> AcquisitionBatch:
    for _ in range(MAX_COMMIT_ATTEMPTS):
        try:
            with transaction.atomic():
                flipped = AcquisitionBatch.objects.filter(pk=batch.pk, status=from_status).update(
                    status=Status.COMMITTING,
                    commit_attempts=0,
                    failure_reason="",
                    # When the commit was asked for: a worker killed mid-commit is noticed from here.
                    commit_requested_at=timezone.now(),
                )
        except IntegrityError:
            settled = _settle_race(batch, enqueue=enqueue)
            if settled is not None:
                return settled
            continue  # the other landing failed meanwhile: this batch may land now
        if flipped and enqueue:
            from .tasks import commit_batch

            commit_batch.enqueue(batch.pk)
        batch.refresh_from_db()
        return batch
    raise CommitRefused("This same file is being imported already; its receipt shows the result when it is done.")


def _settle_race(batch: AcquisitionBatch, *, enqueue: bool) -> AcquisitionBatch | None:
    """Another batch of this artifact is committing or committed on this connection (see ``start_commit``).

    Returns what the caller should show, or None when that batch failed in the meantime.
    """
    winner = (
        AcquisitionBatch.objects.filter(
            connection_id=batch.connection_id, artifact_sha256=batch.artifact_sha256, status__in=LANDING
        )
        .order_by("pk")
        .first()
    )
    if winner is None:
        return None
    if winner.status == Status.COMMITTING:
        if enqueue:
            raise CommitRefused(
                "This same file is being imported already; its receipt shows the result when it is done."
            )
        winner, landed_here = _land_with_retries(winner.pk, None)
        if landed_here and winner.status == Status.COMMITTED:
            discard_preview(batch)
            return winner
    if winner.status == Status.COMMITTED:
        return _mark_duplicate(batch, winner)
    return None


STALLED_AFTER = timedelta(minutes=10)


def requeue_stalled(now: datetime, *, older_than: timedelta = STALLED_AFTER) -> list[int]:
    """Enqueue the commit again for batches left ``committing`` by a process that is gone.

    At once when the process that claimed the batch has ended (``claims.recover`` says how
    that is told, on any host); the task rows it left ``RUNNING`` are marked failed. A batch
    nobody claimed is enqueued again once no task for it is waiting, or after ``older_than``
    when its task is still marked running. A live claimer is left alone however long it
    takes. Returns the batch ids enqueued.
    """
    from .tasks import commit_batch

    return claims.recover(now, older_than=older_than, task_path=commit_batch.module_path, enqueue=commit_batch.enqueue)


def land_batch(batch_id: int, *, now: datetime | None = None) -> AcquisitionBatch:
    """Land a ``committing`` batch (the body of the ``commit_batch`` task, and of the CLI's commit).

    In one transaction: new records from staging, provenance rows, the recount (``data_changed``
    when it differs from the preview), status ``committed``, lane and coverage summaries; the
    staging rows go with it. Idempotent: any other status returns the batch untouched, and a
    crash (a killed process) leaves the batch ``committing`` with its staging rows, ready to be
    run again. A landing that raises is tried again at once; after ``MAX_COMMIT_ATTEMPTS``
    failed tries (counted on the batch, across processes) the batch is ``failed``, with the
    reason in owner words, and returned: nothing of it is visible and the file may be
    committed again (``retry_commit``) or uploaded again.
    """
    return _land_with_retries(batch_id, now)[0]


def _land_with_retries(batch_id: int, now: datetime | None) -> tuple[AcquisitionBatch, bool]:
    """``land_batch``, and whether this call is what landed the batch."""
    while True:
        try:
            return _land_committing(batch_id, now)
        except _CommitFailed as exc:
            batch = _note_failed_try(batch_id, str(exc), final=True)
        except Exception:
            log.exception("landing batch %s failed", batch_id)
            batch = _note_failed_try(batch_id, "", final=False)
        if batch.status != Status.COMMITTING:
            return batch, False
        time.sleep(0.2 * batch.commit_attempts)  # a lock timeout or a restarting server may pass


def _note_failed_try(batch_id: int, reason: str, *, final: bool) -> AcquisitionBatch:
    """Count a failed landing; the last allowed one (or a hopeless one) makes the batch ``failed``."""
    with transaction.atomic():
        batch = AcquisitionBatch.objects.select_for_update().get(pk=batch_id)
        if batch.status != Status.COMMITTING:
            return batch
        batch.commit_attempts += 1
        if final or batch.commit_attempts >= MAX_COMMIT_ATTEMPTS:
            tries = "once" if batch.commit_attempts == 1 else f"{batch.commit_attempts} times"
            batch.status = Status.FAILED
            batch.failure_reason = (reason or FAILED_WORDS.format(tries=tries))[:500]
        batch.save(update_fields=["commit_attempts", "status", "failure_reason"])
    return batch


def _land_committing(batch_id: int, now: datetime | None) -> tuple[AcquisitionBatch, bool]:
    connection_id = AcquisitionBatch.objects.values_list("connection_id", flat=True).get(pk=batch_id)
    with transaction.atomic():
        connection = Connection.objects.select_for_update().get(pk=connection_id)
        batch = AcquisitionBatch.objects.select_for_update().get(pk=batch_id)
        batch.connection = connection
        if batch.status != Status.COMMITTING:
            return batch, False
        if batch.is_measured or not batch.artifact_name:
            _restage_if_lost(batch)
        else:
            _read_whole_artifact(batch)
        now = now or timezone.now()
        round_ = _Round(
            parsed=batch.count_parsed,
            earliest=batch.event_earliest,
            latest=batch.event_latest,
            partial=batch.partial,
            media_not_attached=batch.media_missing + batch.media_omitted,
        )
        landed = _land(batch, round_, now, new_batch=True)
        batch.count_accepted = landed.accepted
        batch.count_duplicate = batch.count_parsed - landed.accepted
        batch.day_counts = landed.measure.day_counts
        batch.duplicate_sources = landed.measure.duplicate_sources
        if batch.preview_counts is not None and batch.preview_counts != _counts(batch):
            batch.data_changed = True
        batch.status = Status.COMMITTED
        batch.committed_at = now
        for phase in ("committed", "indexed", "health_projected"):
            _stamp(batch, phase)
        batch.save()
        _settle_failed_copies(batch)
    return batch, True


def _settle_failed_copies(batch: AcquisitionBatch) -> None:
    """Earlier failed imports of the file that just landed are now its duplicates (no retry left to offer)."""
    if not batch.artifact_sha256:
        return
    for failed in AcquisitionBatch.objects.filter(
        connection_id=batch.connection_id, artifact_sha256=batch.artifact_sha256, status=Status.FAILED
    ):
        _mark_duplicate(failed, batch)


def _read_whole_artifact(batch: AcquisitionBatch) -> None:
    """Stage the stored artifact again, all of it, for a batch whose preview never finished.

    An older Ownerhub let such a preview be committed, with the counts of half a file. The
    caller holds the connection lock. A file that cannot be read fails the commit for good.
    """
    log.warning("batch %s: its preview never finished; reading the stored artifact again", batch.pk)
    _drop_staging(batch.pk)
    facts = BatchFacts()
    options = ParseOptions(time_zone=_owner_zone(batch.connection), date_order=(batch.options or {}).get("date_order"))
    try:
        parser = _artifact_parser(batch.connection.manifest)
        with _local_path(batch.artifact_name) as path:
            staged = _stage(batch.pk, parser(Artifact(path=path, filename=batch.artifact_filename), facts, options),
                            None, None)
    except (ArtifactRejected, OSError, NotAnArtifactSource) as exc:
        raise _CommitFailed("The stored copy of this file could not be read again. Upload the file again.") from exc
    _add_facts(batch, facts, staged, replace=True)
    _stamp(batch, "parsed")
    _stamp(batch, "deduplicated")


def _restage_if_lost(batch: AcquisitionBatch) -> None:
    """Read the stored artifact again when a previewed batch's staged rows are gone.

    Staging is a cache of the artifact (on PostgreSQL an UNLOGGED table, emptied when the
    server restarts after a crash). The caller holds the connection lock. If the file cannot
    be read either, the batch lands what there is and its receipt says the data changed.
    """
    if not batch.count_parsed or not batch.artifact_name:
        return
    with db.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {_q(STAGING_TABLE)} WHERE batch_id = %s LIMIT 1", [batch.pk])
        if cursor.fetchone() is not None:
            return
    log.warning("batch %s: staged records are gone; reading the stored artifact again", batch.pk)
    facts = BatchFacts()
    options = ParseOptions(time_zone=_owner_zone(batch.connection), date_order=(batch.options or {}).get("date_order"))
    try:
        parser = _artifact_parser(batch.connection.manifest)
        with _local_path(batch.artifact_name) as path:
            _stage(batch.pk, parser(Artifact(path=path, filename=batch.artifact_filename), facts, options), None, None)
    except (ArtifactRejected, OSError):
        log.exception("batch %s: the stored artifact could not be read again", batch.pk)
        _drop_staging(batch.pk)


def acquire_records(
    connection: Connection,
    *,
    method: str,
    trigger: str,
    records: Iterable[ParsedRecord],
    facts: BatchFacts,
    window_key: str = "",
    run: CollectionRun | None = None,
    now: datetime | None = None,
) -> AcquisitionBatch:
    """Stage and commit records from a live source in one go (no artifact, no preview).

    For device pushes and provider pulls. ``records`` is consumed once; ``facts`` is read after
    it is exhausted, so a parser may fill it while streaming. With a ``window_key`` (e.g.
    ``"device:7:2024-05-01T10"``) records are appended to the committed batch of this connection
    and method with that key, if any, so pushes group into one batch per device per window;
    its counts, range and the summaries grow accordingly. Records already held (through any
    method) are not copied: they gain a provenance row for ``method`` if they had none.
    Returns the committed batch.
    """
    now = now or timezone.now()
    with transaction.atomic():
        connection = Connection.objects.select_for_update().get(pk=connection.pk)
        batch = None
        if window_key:
            batch = (
                AcquisitionBatch.objects.select_for_update()
                .filter(connection=connection, method=method, window_key=window_key, status=Status.COMMITTED)
                .order_by("-pk")
                .first()
            )
        new_batch = batch is None
        if new_batch:
            batch = AcquisitionBatch.objects.create(
                connection=connection,
                method=method,
                trigger=trigger,
                run=run,
                window_key=window_key,
                status=Status.COMMITTING,
                created_at=now,
                phases={},
            )
            _stamp(batch, "received")
        batch.connection = connection
        staged = _stage(batch.pk, records, None, None)
        _stamp(batch, "parsed")
        _add_facts(batch, facts, staged, replace=new_batch)
        round_ = _Round(
            parsed=staged.parsed,
            earliest=staged.earliest,
            latest=staged.latest,
            partial=facts.partial,
            media_not_attached=facts.media_missing + facts.media_omitted,
        )
        _stamp(batch, "deduplicated")
        landed = _land(batch, round_, now, new_batch=new_batch)
        batch.count_accepted += landed.accepted
        batch.count_duplicate += staged.parsed - landed.accepted
        batch.day_counts = _merge_counts(batch.day_counts if not new_batch else {}, landed.measure.day_counts)
        batch.duplicate_sources = _merge_sources(
            batch.duplicate_sources if not new_batch else [], landed.measure.duplicate_sources
        )
        earlier_days = [] if new_batch else [date.fromisoformat(d).toordinal() for d in batch.day_counts]
        days = sorted(set(earlier_days) | set(landed.measure.days))
        batch.gaps = _gaps(days, connection.manifest.hole_after or DEFAULT_GAP_AFTER)
        batch.media_days = sorted(set([] if new_batch else batch.media_days) | set(landed.measure.media_days))
        batch.status = Status.COMMITTED
        batch.committed_at = batch.committed_at or now
        if run is not None and batch.run_id is None:
            batch.run = run
        for phase in ("committed", "indexed", "health_projected"):
            _stamp(batch, phase)
        batch.save()
    return batch


def discard_staging(batch: AcquisitionBatch) -> None:
    """Drop a preview's staged records (an abandoned preview)."""
    _drop_staging(batch.pk)


def discard_preview(batch: AcquisitionBatch) -> bool:
    """Abandon a preview: its staged records, stored file and row go. Anything else is kept.

    Returns whether the batch was a preview (and so was discarded).
    """
    with transaction.atomic():
        if not AcquisitionBatch.objects.filter(pk=batch.pk, status=Status.PREVIEW).exists():
            return False
        _drop_staging(batch.pk)
        _delete_artifact(batch)
        batch.delete()
    return True


# --- storing the upload ------------------------------------------------------------------------
class _TooLarge(Exception):
    def __init__(self, read: int):
        super().__init__(read)
        self.read = read


class _HashingFile(File):
    """The owner's upload as storage sees it: every byte read passes through sha256 and the cap."""

    def __init__(self, source: IO[bytes], name: str, limit: int):
        super().__init__(source, name)
        self.limit = limit
        self._restart()

    def _restart(self) -> None:
        self.sha256 = hashlib.sha256()
        self.bytes = 0

    def _take(self, data: bytes) -> bytes:
        self.bytes += len(data)
        if self.bytes > self.limit:
            raise _TooLarge(self.bytes)
        self.sha256.update(data)
        return data

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(CHUNK_BYTES), b""))
        return self._take(self.file.read(size))

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        while data := self.read(chunk_size or CHUNK_BYTES):
            yield data

    def seek(self, offset: int, whence: int = 0) -> int:
        # A storage backend that rewinds to retry must not hash the bytes twice.
        if (offset, whence) == (0, 0):
            self._restart()
            return self.file.seek(0)
        raise OSError("an upload being stored can only be rewound to its start")

    def seekable(self) -> bool:
        return False

    @property
    def size(self):  # unknown until read: the cap is enforced while reading
        return getattr(self.file, "size", None)


def _store(source: IO[bytes], owner_id: int, filename: str, limit: int) -> tuple[str, str, int]:
    """Stream ``source`` into default storage; return (storage name, sha256, bytes).

    The name is ``artifacts/<owner>/<uuid>-<safe filename>``: the sha256 is only known once
    the stream ends and storage has no rename, so it is not part of the name.
    """
    declared = getattr(source, "size", None)
    if isinstance(declared, int) and declared > limit:
        raise _TooLarge(declared)  # known before reading (coverage.upload_limit stopped at the cap)
    if getattr(source, "seekable", lambda: False)():
        source.seek(0)
    wanted = f"artifacts/{owner_id}/{uuid.uuid4().hex}-{_safe_name(filename)}"
    content = _HashingFile(source, wanted, limit)
    try:
        name = default_storage.save(wanted, content)
    except _TooLarge:
        # Stop reading; the partial copy goes (the uuid makes the wanted name ours).
        if default_storage.exists(wanted):
            default_storage.delete(wanted)
        raise
    return name, content.sha256.hexdigest(), content.bytes


def _safe_name(filename: str) -> str:
    base = get_valid_filename(Path(filename).name) if filename else ""
    base = base or "artifact"
    stem, dot, ext = base.rpartition(".")
    if dot and len(ext) <= 10:
        return f"{stem[:80]}.{ext}"
    return base[:80]


def _display_name(filename: str) -> str:
    return (Path(filename or "").name or "upload")[:255]


def _size_words(n: int) -> str:
    for unit, size in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= size:
            return f"{n / size:g} {unit}"
    return f"{n} bytes"


@contextmanager
def _local_path(name: str) -> Iterator[Path]:
    """A path on local disk for a stored artifact (a temporary copy for remote storage)."""
    try:
        local = default_storage.path(name)
    except NotImplementedError:
        local = None
    if local is not None:
        yield Path(local)
        return
    suffix = Path(name).suffix
    with default_storage.open(name, "rb") as remote, tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
        shutil.copyfileobj(remote, tmp, CHUNK_BYTES)
        tmp.flush()
        yield Path(tmp.name)


def _delete_artifact(batch: AcquisitionBatch) -> None:
    if batch.artifact_name:
        try:
            default_storage.delete(batch.artifact_name)
        except OSError:  # a file already gone is not worth failing the owner's request
            log.warning("could not delete stored artifact %s", batch.artifact_name, exc_info=True)
        batch.artifact_name = ""


# --- preview -----------------------------------------------------------------------------------
def _artifact_parser(manifest: Manifest):
    path = manifest.path("owner_artifact")
    if path is None or path.parser is None:
        raise NotAnArtifactSource(f"{manifest.name} does not take an uploaded export.")
    return path.parser


def _clean_options(options: dict | None) -> dict:
    options = dict(options or {})
    order = options.get("date_order")
    if order in (None, ""):
        options.pop("date_order", None)
    elif order not in DATE_ORDERS:
        raise ValueError(f"date order must be one of {', '.join(DATE_ORDERS)}")
    return options


def _owner_zone(connection: Connection) -> ZoneInfo:
    profile = OwnerProfile.objects.filter(owner_id=connection.owner_id).first()
    name = profile.zone_name if profile is not None else settings.TIME_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def _parse_and_measure(batch: AcquisitionBatch, parser, progress: Progress | None) -> AcquisitionBatch:
    manifest = batch.connection.manifest
    # Committable only once this parse has ended: a process killed mid-file leaves no stamp.
    batch.phases = {k: v for k, v in (batch.phases or {}).items() if k not in ("parsed", "deduplicated")}
    AcquisitionBatch.objects.filter(pk=batch.pk).update(phases=batch.phases)
    _drop_staging(batch.pk)
    facts = BatchFacts()
    options = ParseOptions(time_zone=_owner_zone(batch.connection), date_order=batch.options.get("date_order"))
    try:
        with _local_path(batch.artifact_name) as path:
            records = parser(Artifact(path=path, filename=batch.artifact_filename), facts, options)
            staged = _stage(batch.pk, records, progress, "parsing")
    except ArtifactRejected as exc:
        _drop_staging(batch.pk)
        return _reject(batch, manifest, exc.reason, exc.detail)
    except Exception:
        # A parser bug: never leave a half-read preview that could be committed.
        log.exception("parsing batch %s failed", batch.pk)
        _drop_staging(batch.pk)
        _reject(batch, manifest, "internal_error", "This file could not be read because of an error in Ownerhub.")
        raise
    _add_facts(batch, facts, staged, replace=True)
    batch.progress = staged.parsed
    _stamp(batch, "parsed")
    if facts.needs_answer and not staged.parsed:
        batch.question = _question(facts.needs_answer)
        batch.count_accepted = batch.count_duplicate = 0
        batch.day_counts, batch.duplicate_sources, batch.gaps = {}, [], []
        batch.preview_counts = None
        batch.save()
        return batch
    batch.question = None
    measure = _measure(batch.pk, batch.connection_id)
    batch.count_accepted = measure.accepted
    batch.count_duplicate = staged.parsed - measure.accepted
    batch.day_counts = measure.day_counts
    batch.duplicate_sources = measure.duplicate_sources
    batch.media_days = measure.media_days
    hole = manifest.hole_after or DEFAULT_GAP_AFTER
    batch.gaps = _gaps(measure.days, hole)
    batch.warnings = batch.warnings + _seen_elsewhere(batch)
    batch.preview_counts = _counts(batch)
    _stamp(batch, "deduplicated")
    batch.save()
    if progress:
        progress("previewed", staged.parsed)
    return batch


def _question(needs: dict) -> dict:
    example = needs.get("example") or ""
    return {
        "kind": needs.get("question", "date_order"),
        "text": (
            f"Dates in this file, like {example}, could be day/month or month/day. "
            "Which does this phone use?"
        ),
        "choices": list(needs.get("choices") or DATE_ORDERS),
        "labels": {"dmy": "Day first (31/12)", "mdy": "Month first (12/31)"},
        "example": example,
    }


def _seen_elsewhere(batch: AcquisitionBatch) -> list[dict]:
    """Idempotency is per connection; still tell the owner the file already landed elsewhere."""
    names = list(
        AcquisitionBatch.objects.filter(
            connection__owner_id=batch.connection.owner_id,
            artifact_sha256=batch.artifact_sha256,
            status=Status.COMMITTED,
        )
        .exclude(connection_id=batch.connection_id)
        .values_list("connection__name", flat=True)
        .distinct()[:3]
    )
    if not names:
        return []
    return [
        {
            "kind": "seen_elsewhere",
            "detail": f"This same file was already imported into {', '.join(names)}.",
            "position": None,
        }
    ]


def _reject(batch: AcquisitionBatch, manifest: Manifest, reason: str, detail: str) -> AcquisitionBatch:
    _delete_artifact(batch)
    batch.status = Status.REJECTED
    batch.reject_reason = reason[:20]
    batch.reject_detail = f"{detail} {manifest.recovery}".strip()[:500]
    batch.question = None
    batch.count_parsed = batch.count_accepted = batch.count_duplicate = 0
    batch.preview_counts = None
    batch.save()
    return batch


def _mark_duplicate(batch: AcquisitionBatch, earlier: AcquisitionBatch | None) -> AcquisitionBatch:
    _drop_staging(batch.pk)
    _delete_artifact(batch)
    batch.status = Status.DUPLICATE
    batch.duplicate_of = earlier
    batch.question = None
    batch.save()
    return batch


def _add_facts(batch: AcquisitionBatch, facts: BatchFacts, staged: _Staged, *, replace: bool) -> None:
    """Copy what the parser learned onto the batch (replacing, or adding to an open window)."""
    if replace:
        batch.count_parsed = batch.count_skipped = batch.count_failed = 0
        batch.media_declared = batch.media_attached = batch.media_missing = batch.media_omitted = 0
        batch.warnings = []
        batch.event_earliest = batch.event_latest = None
        batch.partial = False
    batch.source_format = facts.source_format or batch.source_format
    batch.parser_version = facts.parser_version or batch.parser_version
    batch.count_parsed += staged.parsed
    batch.count_skipped += facts.skipped
    batch.count_failed += facts.failed
    batch.media_declared += facts.media_declared
    batch.media_attached += facts.media_attached
    batch.media_missing += facts.media_missing
    batch.media_omitted += facts.media_omitted
    warnings = list(batch.warnings or []) + [w.as_dict() for w in facts.warnings]
    dropped = facts.warnings_dropped + max(0, len(warnings) - MAX_WARNINGS)
    warnings = [w for w in warnings if w.get("kind") != "more_warnings"][:MAX_WARNINGS]
    if dropped:
        warnings.append({"kind": "more_warnings", "detail": f"{dropped:,} more warnings not shown.", "position": None})
    batch.warnings = warnings
    batch.completeness_claim = facts.completeness_claim or "observed"
    batch.time_zone_assumed = facts.time_zone_assumed or batch.time_zone_assumed or ""
    batch.partial = batch.partial or facts.partial
    batch.event_earliest = _min(batch.event_earliest, staged.earliest)
    batch.event_latest = _max(batch.event_latest, staged.latest)


def _counts(batch: AcquisitionBatch) -> dict:
    return {
        "parsed": batch.count_parsed,
        "accepted": batch.count_accepted,
        "duplicate": batch.count_duplicate,
        "skipped": batch.count_skipped,
        "failed": batch.count_failed,
    }


def _stamp(batch: AcquisitionBatch, phase: str) -> None:
    batch.phases = {**(batch.phases or {}), phase: timezone.now().isoformat()}


# --- staging -----------------------------------------------------------------------------------
@dataclass
class _Staged:
    parsed: int = 0  # records yielded
    staged: int = 0  # distinct (stream, key) rows kept
    earliest: datetime | None = None
    latest: datetime | None = None


def _q(name: str) -> str:
    return db.ops.quote_name(name)


def _stage(batch_id: int, records: Iterable[ParsedRecord], progress: Progress | None, phase: str | None) -> _Staged:
    """Insert records into staging in chunks; only the current chunk is held in memory.

    Per record the only Python work is one tuple (the payload serialized once by orjson);
    the chunk goes to the database in one call: ``executemany`` of a one-row prepared INSERT
    on SQLite, ``COPY`` through a temporary table on PostgreSQL (see ``_StageWriter``).
    """
    result = _Staged()
    writer = _StageWriter(batch_id)
    with _rare_checkpoints():
        _stage_into(writer, batch_id, records, progress, phase, result)
    return result


@contextmanager
def _rare_checkpoints() -> Iterator[None]:
    """SQLite: checkpoint the WAL every 64 MB instead of every 4 MB while staging.

    Each chunk is its own commit; with the default (1,000 pages) nearly every one would copy
    the WAL back into the database and sync it. The setting is per connection and restored.
    """
    if db.vendor != "sqlite":
        yield
        return
    with db.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        previous = cursor.fetchone()[0]
        cursor.execute("PRAGMA wal_autocheckpoint = 16384")
    try:
        yield
    finally:
        with db.cursor() as cursor:
            cursor.execute(f"PRAGMA wal_autocheckpoint = {int(previous)}")


def _stage_into(
    writer: _StageWriter,
    batch_id: int,
    records: Iterable[ParsedRecord],
    progress: Progress | None,
    phase: str | None,
    result: _Staged,
) -> None:
    # SQLite keeps datetimes as naive UTC text; PostgreSQL takes the aware value.
    as_text = db.vendor == "sqlite"
    dumps = payload_json  # JSON text with NUL, lone surrogates and endless strings cleaned
    chunk: list[tuple] = []
    append = chunk.append
    earliest = latest = None
    parsed = 0
    next_report = PROGRESS_EVERY
    for record in records:
        at = record.event_at
        if at.tzinfo is not UTC:
            at = at.astimezone(UTC)
        if earliest is None or at < earliest:
            earliest = at
        if latest is None or at > latest:
            latest = at
        append(
            (
                record.stream,
                clean_key(record.key),  # the same object unless it needs cleaning
                str(at)[:-6] if as_text else at,  # "2023-05-08 06:00:00[.ffffff]" without "+00:00"
                at.toordinal(),
                dumps(record.payload),
                record.media or "",
            )
        )
        parsed += 1
        if len(chunk) >= STAGE_CHUNK:
            result.staged += writer.write(chunk)
            chunk.clear()
        if parsed == next_report:
            next_report += PROGRESS_EVERY
            _report(batch_id, parsed, progress, phase)
    if chunk:
        result.staged += writer.write(chunk)
        chunk.clear()
    result.parsed = parsed
    result.earliest, result.latest = earliest, latest
    if progress and phase:
        _report(batch_id, result.parsed, progress, phase)


_STAGE_COLUMNS = ("stream", "key", "event_at", "event_day", "payload", "media")
_STAGE_INBOX = "ownerhub_stage_inbox_v2"  # PostgreSQL: per-session temporary table COPY fills


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(batch_id: int, rows: list[tuple]) -> tuple[str, int]:
    """PostgreSQL COPY text of staged rows (batch_id first), the first of each (stream, key) only.

    Returns the text and its number of rows. One f-string a row; a row whose fields hold a
    backslash, tab or line break (a quote in a message makes its JSON hold a backslash) is
    escaped field by field.
    """
    seen: set[tuple[str, str]] = set()
    add = seen.add
    lines: list[str] = []
    append = lines.append
    for stream, key, at, day, payload, media in rows:
        stream_key = (stream, key)
        if stream_key in seen:
            continue
        add(stream_key)
        line = f"{batch_id}\t{stream}\t{key}\t{at}\t{day}\t{payload}\t{media}\n"
        if line.count("\t") != 6 or "\\" in line or line.count("\n") != 1 or "\r" in line:
            fields = (stream, key, str(at), str(day), payload, media)
            line = f"{batch_id}\t" + "\t".join(f.translate(_COPY_ESCAPES) for f in fields) + "\n"
        append(line)
    return "".join(lines), len(lines)


class _StageWriter:
    """Writes chunks of staged rows ``(stream, key, event_at, event_day, payload, media)``.

    In-file duplicates collapse on (batch, stream, key), the first occurrence winning. Each
    chunk is one transaction (a savepoint when the caller is already in one); returns the
    rows kept.

    SQLite: ``executemany`` of one prepared INSERT with ON CONFLICT DO NOTHING.

    PostgreSQL: the chunk's repeats are dropped in Python, the rest is COPYed (text built in
    Python, see ``_copy_text``) into a temporary table and moved with a plain INSERT, which
    costs about a third of ON CONFLICT's per-row speculative insertion. Only when that
    INSERT meets a row an earlier chunk staged (a repeat far apart in the file) is the chunk,
    and every later one, moved with ON CONFLICT DO NOTHING instead. (COPY straight into
    staging, with the same fallback, measured no faster: 19–26 s against 21–23 s for the
    preview of 1M points.)
    """

    def __init__(self, batch_id: int):
        self.batch_id = int(batch_id)
        self.postgres = db.vendor == "postgresql"
        self.plain = True  # PostgreSQL: a plain INSERT until a chunk meets an earlier chunk's row
        columns = ", ".join(_q(c) for c in _STAGE_COLUMNS)
        conflict = f"ON CONFLICT (batch_id, stream, {_q('key')}) DO NOTHING"
        if self.postgres:
            self.copy_sql = f"COPY {_STAGE_INBOX} (batch_id, {columns}) FROM STDIN"
            self.move_sql = (
                f"INSERT INTO {_q(STAGING_TABLE)} (batch_id, {columns}) "
                f"SELECT {self.batch_id}, {columns} FROM {_STAGE_INBOX}"
            )
            self.move_again_sql = f"{self.move_sql} {conflict}"
        else:
            # The batch id is a literal: one prepared statement, six parameters a row.
            self.insert_sql = (
                f"INSERT INTO {_q(STAGING_TABLE)} (batch_id, {columns}) "
                f"VALUES ({self.batch_id}, %s, %s, %s, %s, %s, %s) {conflict}"
            )

    def write(self, rows: list[tuple]) -> int:
        with transaction.atomic(), db.cursor() as cursor:
            if not self.postgres:
                cursor.executemany(self.insert_sql, rows)
                return max(cursor.rowcount, 0)
            data, count = _copy_text(self.batch_id, rows)
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            raw.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGE_INBOX} (batch_id bigint, stream varchar(40), "
                f"{_q('key')} varchar(120), event_at timestamptz, event_day integer, payload jsonb, media varchar(10))"
            )
            raw.execute(f"TRUNCATE {_STAGE_INBOX}")
            with raw.copy(self.copy_sql) as copy:
                copy.write(data)
            if self.plain:
                try:
                    with transaction.atomic():
                        cursor.execute(self.move_sql)
                    return count
                except IntegrityError:
                    self.plain = False
            cursor.execute(self.move_again_sql)
            return max(cursor.rowcount, 0)


def _report(batch_id: int, items: int, progress: Progress | None, phase: str | None) -> None:
    AcquisitionBatch.objects.filter(pk=batch_id).update(progress=items)
    if progress and phase:
        progress(phase, items)


def _drop_staging(batch_id: int) -> None:
    """Delete a batch's staged rows.

    SQLite: when the batch is alone in staging (the usual case), ``DELETE`` without a WHERE
    clause, which SQLite turns into freeing whole pages instead of finding and removing every
    row and index entry (a million rows: 1.1–1.4 s measured, against 7.7 s for a million
    random-key rows the old way). The IMMEDIATE transaction holds the write lock from the
    check to the delete, so no other batch can slip in between.
    """
    table = _q(STAGING_TABLE)
    with transaction.atomic(), db.cursor() as cursor:
        if db.vendor == "sqlite":
            cursor.execute(f"SELECT MIN(batch_id) FROM {table}")
            lowest = cursor.fetchone()[0]
            cursor.execute(f"SELECT MAX(batch_id) FROM {table}")
            if lowest == batch_id == cursor.fetchone()[0]:
                cursor.execute(f"DELETE FROM {table}")
                return
        cursor.execute(f"DELETE FROM {table} WHERE batch_id = %s", [batch_id])


# --- measuring (preview and commit share it) ---------------------------------------------------
@dataclass
class _Measure:
    accepted: int = 0
    days: list[int] = field(default_factory=list)  # ordinal days with any staged record
    day_counts: dict[str, int] = field(default_factory=dict)  # would-be-new records per UTC day
    media_days: list[str] = field(default_factory=list)  # days with media missing or omitted
    duplicate_sources: list[dict] = field(default_factory=list)
    new_media: dict[str, int] = field(default_factory=dict)  # media state -> new records
    staged: int = 0  # distinct staged rows
    staged_media: dict[str, int] = field(default_factory=dict)  # media state -> staged rows
    held: bool = False  # the connection held records before (else every staged row is new)


def _sql_names() -> dict:
    return {
        "S": _q(STAGING_TABLE),
        "R": _q(Record._meta.db_table),
        "P": _q(RecordProvenance._meta.db_table),
        "B": _q(AcquisitionBatch._meta.db_table),
        "key": _q("key"),
    }


def _is_new(n: dict) -> str:
    """SQL: staged row ``s`` is not held by the connection (one parameter: connection id)."""
    return f"NOT EXISTS (SELECT 1 FROM {n['R']} r WHERE r.connection_id = %s AND r.stream = s.stream AND r.{n['key']} = s.{n['key']})"


def _holds_records(cursor, connection_id: int) -> bool:
    """Whether the connection holds any record (else every staged row is new: no lookups)."""
    n = _sql_names()
    cursor.execute(f"SELECT 1 FROM {n['R']} WHERE connection_id = %s LIMIT 1", [connection_id])
    return cursor.fetchone() is not None


def _measure(batch_id: int, connection_id: int) -> _Measure:
    """What landing the staged records would add, from one SQL aggregate over staging.

    One pass groups the staged rows by (day, media) and counts the new ones; the held
    records' earlier batches are looked up only when some staged rows are already held.
    """
    n = _sql_names()
    measure = _Measure()
    with db.cursor() as cursor:
        measure.held = _holds_records(cursor, connection_id)
        new = f"SUM(CASE WHEN {_is_new(n)} THEN 1 ELSE 0 END)" if measure.held else "COUNT(*)"
        params = [connection_id, batch_id] if measure.held else [batch_id]
        with _small_sorts(cursor):
            cursor.execute(
                f"SELECT s.event_day, s.media, COUNT(*), {new} FROM {n['S']} s WHERE s.batch_id = %s "
                "GROUP BY s.event_day, s.media ORDER BY s.event_day",
                params,
            )
            rows = cursor.fetchall()
        last = None
        day_new = day_media = 0
        for ordinal, media, count, fresh in [*rows, (None, "", 0, 0)]:
            if ordinal != last:
                if last is not None:
                    measure.days.append(last)
                    if day_new:
                        measure.day_counts[_day(last)] = day_new
                    if day_media:
                        measure.media_days.append(_day(last))
                last, day_new, day_media = ordinal, 0, 0
            if ordinal is None:
                break
            count, fresh = int(count or 0), int(fresh or 0)
            measure.staged += count
            measure.accepted += fresh
            day_new += fresh
            if media:
                measure.staged_media[media] = measure.staged_media.get(media, 0) + count
                if media in ("missing", "omitted"):
                    day_media += count
                if fresh:
                    measure.new_media[media] = measure.new_media.get(media, 0) + fresh
        held = []
        if measure.staged > measure.accepted:
            with _small_sorts(cursor):
                cursor.execute(
                    f"SELECT r.first_batch_id, COUNT(*) FROM {n['S']} s JOIN {n['R']} r "
                    f"ON r.connection_id = %s AND r.stream = s.stream AND r.{n['key']} = s.{n['key']} "
                    "WHERE s.batch_id = %s AND r.first_batch_id <> %s GROUP BY r.first_batch_id ORDER BY r.first_batch_id",
                    [connection_id, batch_id, batch_id],
                )
                held = [(int(first), int(count)) for first, count in cursor.fetchall()]
    if held:
        committed = dict(
            AcquisitionBatch.objects.filter(pk__in=[b for b, _ in held]).values_list("pk", "committed_at")
        )
        measure.duplicate_sources = [
            {
                "batch_id": b,
                "count": count,
                "committed_at": committed[b].isoformat() if committed.get(b) else None,
            }
            for b, count in held
        ]
    return measure


SORT_CACHE_KIB = 8192  # SQLite: page cache (and so sorter memory) while grouping staged rows


@contextmanager
def _small_sorts(cursor) -> Iterator[None]:
    """SQLite: a small page cache while a statement sorts every staged row.

    SQLite's sorter keeps up to ``cache_size`` of rows in memory before it spills to disk;
    with the 64 MB cache of settings a 4-million-row GROUP BY added ~70 MB to the peak that
    a 1-million-row one did not reach. With 8 MB it spills early and memory stays flat.
    """
    if db.vendor != "sqlite":
        yield
        return
    cursor.execute("PRAGMA cache_size")
    previous = int(cursor.fetchone()[0])
    cursor.execute(f"PRAGMA cache_size = -{SORT_CACHE_KIB}")
    try:
        yield
    finally:
        cursor.execute(f"PRAGMA cache_size = {previous}")


def _day(ordinal: int) -> str:
    return date.fromordinal(ordinal).isoformat()


def _gaps(days: list[int], longer_than: timedelta) -> list[dict]:
    """Runs of empty days between days that have records, longer than ``longer_than``."""
    gaps = []
    for before, after in zip(days, days[1:], strict=False):
        empty = after - before - 1
        if empty > 0 and timedelta(days=empty) > longer_than:
            gaps.append({"start": _day(before + 1), "end": _day(after - 1), "days": empty})
    return gaps


# --- landing (commit and live acquisition share it) ---------------------------------------------
@dataclass
class _Round:
    """What one staging round brings, for the summaries."""

    parsed: int
    earliest: datetime | None
    latest: datetime | None
    partial: bool
    media_not_attached: int


@dataclass
class _Landed:
    accepted: int
    measure: _Measure


def _land(batch: AcquisitionBatch, round_: _Round, now: datetime, *, new_batch: bool) -> _Landed:
    """Move the batch's staged records into ``Record``; update provenance and summaries.

    The caller holds the connection lock inside a transaction. Staging rows are dropped.
    """
    n = _sql_names()
    connection_id, method = batch.connection_id, batch.method
    measure = _measure(batch.pk, connection_id)
    with db.cursor() as cursor:
        # A record's first delivery is the record itself (``first_batch``, whose method is the
        # first lane); a held record this lane delivers for the first time gains a provenance
        # row: one that arrived before only through other methods.
        held_days: dict[str, int] = {}
        held_source = ""
        if measure.staged > measure.accepted:
            held_source = (
                f"FROM {n['S']} s JOIN {n['R']} r "
                f"ON r.connection_id = %s AND r.stream = s.stream AND r.{n['key']} = s.{n['key']} "
                f"JOIN {n['B']} b ON b.id = r.first_batch_id "
                f"WHERE s.batch_id = %s AND b.method <> %s AND NOT EXISTS "
                f"(SELECT 1 FROM {n['P']} p WHERE p.record_id = r.id AND p.method = %s)"
            )
            with _small_sorts(cursor):
                cursor.execute(
                    f"SELECT s.event_day, COUNT(*) {held_source} GROUP BY s.event_day",
                    [connection_id, batch.pk, method, method],
                )
                held_days = {_day(ordinal): int(count) for ordinal, count in cursor.fetchall()}
        if held_days:  # before the new records exist, so the join sees only the held ones
            cursor.execute(
                f"INSERT INTO {n['P']} (record_id, batch_id, method) SELECT r.id, %s, %s {held_source} "
                "ON CONFLICT (record_id, batch_id) DO NOTHING",
                [batch.pk, method, connection_id, batch.pk, method, method],
            )

        # ON CONFLICT skips the held records: the same test as NOT EXISTS, without a second lookup.
        # When the connection held nothing, staging's own key (batch, stream, key) already makes
        # every row distinct and the lock keeps other writers out: a plain INSERT (cheaper on
        # PostgreSQL, which otherwise inserts each row speculatively).
        cursor.execute(f"SELECT MAX(id) FROM {n['R']}")
        before = cursor.fetchone()[0] or 0
        conflict = f"ON CONFLICT (connection_id, stream, {n['key']}) DO NOTHING" if measure.held else ""
        cursor.execute(
            f"INSERT INTO {n['R']} (connection_id, stream, {n['key']}, event_at, payload, media, first_batch_id) "
            f"SELECT %s, s.stream, s.{n['key']}, s.event_at, s.payload, s.media, %s FROM {n['S']} s "
            f"WHERE s.batch_id = %s {conflict}",
            [connection_id, batch.pk, batch.pk],
        )
        accepted = max(cursor.rowcount, 0)
        new_days = measure.day_counts
        if accepted != measure.accepted:  # not under the lock; count the inserted records to be exact
            cursor.execute(
                f"SELECT s.event_day, COUNT(*) FROM {n['S']} s JOIN {n['R']} r "
                f"ON r.connection_id = %s AND r.stream = s.stream AND r.{n['key']} = s.{n['key']} "
                "WHERE s.batch_id = %s AND r.first_batch_id = %s AND r.id > %s GROUP BY s.event_day",
                [connection_id, batch.pk, batch.pk, before],
            )
            new_days = {_day(ordinal): int(count) for ordinal, count in cursor.fetchall()}
        lane_days = _merge_counts(held_days, new_days)

        # A re-export that now carries the media fills in what an earlier one lacked.
        upgraded = {"missing": 0, "omitted": 0}
        for state in ("missing", "omitted") if measure.staged_media.get("attached") and measure.staged > measure.accepted else ():
            cursor.execute(
                f"UPDATE {n['R']} SET media = 'attached' WHERE connection_id = %s AND media = %s AND EXISTS "
                f"(SELECT 1 FROM {n['S']} s WHERE s.batch_id = %s AND s.stream = {n['R']}.stream "
                f"AND s.{n['key']} = {n['R']}.{n['key']} AND s.media = 'attached')",
                [connection_id, state, batch.pk],
            )
            upgraded[state] = max(cursor.rowcount, 0)

    _update_lane(batch, round_, now, new_batch=new_batch, accepted=accepted, lane_days=lane_days, measure=measure)
    _update_summary(batch, round_, now, accepted=accepted, measure=measure, upgraded=upgraded)
    _drop_staging(batch.pk)
    return _Landed(accepted=accepted, measure=measure)


def _update_lane(
    batch: AcquisitionBatch,
    round_: _Round,
    now: datetime,
    *,
    new_batch: bool,
    accepted: int,
    lane_days: dict[str, int],
    measure: _Measure,
) -> None:
    lane, _ = LaneSummary.objects.select_for_update().get_or_create(
        connection_id=batch.connection_id, method=batch.method
    )
    lane.batches += 1 if new_batch else 0
    lane.records += sum(lane_days.values())
    lane.accepted += accepted
    lane.earliest_event_at = _min(lane.earliest_event_at, round_.earliest)
    lane.covered_through = _max(lane.covered_through, round_.latest)
    lane.last_batch_at = now
    lane.last_batch = batch
    if new_batch:
        # The newest batch of the lane decides whether its data looked cut short.
        lane.partial_batch = batch if round_.partial else None
    elif round_.partial:
        lane.partial_batch = batch
    lane.day_counts = _merge_counts(lane.day_counts, lane_days)
    lane.media_days = sorted(set(lane.media_days or ()) | set(measure.media_days))
    lane.save()


def _update_summary(
    batch: AcquisitionBatch,
    round_: _Round,
    now: datetime,
    *,
    accepted: int,
    measure: _Measure,
    upgraded: dict[str, int],
) -> None:
    summary, _ = CoverageSummary.objects.select_for_update().get_or_create(connection_id=batch.connection_id)
    summary.record_count += accepted
    summary.earliest_event_at = _min(summary.earliest_event_at, round_.earliest)
    summary.covered_through = _max(summary.covered_through, round_.latest)
    new_media = measure.new_media
    summary.media_declared += sum(new_media.values())
    summary.media_attached += new_media.get("attached", 0) + sum(upgraded.values())
    summary.media_missing = max(0, summary.media_missing + new_media.get("missing", 0) - upgraded["missing"])
    summary.media_omitted = max(0, summary.media_omitted + new_media.get("omitted", 0) - upgraded["omitted"])
    if not (summary.media_missing or summary.media_omitted):
        summary.media_batch = None
    elif round_.media_not_attached:
        summary.media_batch = batch
    hole_after = batch.connection.manifest.hole_after
    if hole_after is None:
        summary.holes = []
    else:
        days: set[int] = set()
        for counts in LaneSummary.objects.filter(connection_id=batch.connection_id).values_list(
            "day_counts", flat=True
        ):
            days.update(date.fromisoformat(d).toordinal() for d, c in (counts or {}).items() if c)
        summary.holes = _gaps(sorted(days), hole_after)
    summary.latest_batch = batch
    summary.updated_at = now
    summary.save()


def _merge_counts(left: dict | None, right: dict) -> dict:
    merged = dict(left or {})
    for day, count in right.items():
        merged[day] = merged.get(day, 0) + count
    return dict(sorted(merged.items()))


def _merge_sources(left: list, right: list) -> list:
    merged: dict[int, dict] = {s["batch_id"]: dict(s) for s in left or ()}
    for source in right:
        if source["batch_id"] in merged:
            merged[source["batch_id"]]["count"] += source["count"]
        else:
            merged[source["batch_id"]] = dict(source)
    return [merged[k] for k in sorted(merged)]


def _min(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _max(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)
