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
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
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
)
from connections.connectors.manifest import Manifest
from connections.models import CollectionRun, Connection, OwnerProfile

from . import claims
from .landing import (
    Round,
    Tally,
    earliest_of,
    gaps,
    land,
    land_chunk,
    latest_of,
    measure_staged,
    merge_counts,
    merge_sources,
    tally_json,
    undo_landing,
    update_summaries,
)
from .models import AcquisitionBatch
from .staging import STAGING_TABLE, Progress, Staged, drop_staging, quote, stage

log = logging.getLogger(__name__)

Status = AcquisitionBatch.Status
LANDING = (Status.COMMITTING, Status.COMMITTED)

CHUNK_BYTES = 1 << 20  # storage and hashing read the upload this much at a time
DEFAULT_GAP_AFTER = timedelta(days=3)  # batch gaps when the manifest declares no hole size
DATE_ORDERS = ("dmy", "mdy")


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
        return _reject(batch, manifest, "too_large", f"The file is larger than the {size_words(limit)} limit.")
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
            if batch.landing:
                # The chunks landed so far go ("nothing from it was saved"), and so do the staged
                # rows left: landed chunks took theirs, so a retry reads the stored file again.
                undo_landing(batch)
                drop_staging(batch.pk)
                batch.landing = None
        batch.save(update_fields=["commit_attempts", "status", "failure_reason", "landing"])
    return batch


def _land_committing(batch_id: int, now: datetime | None) -> tuple[AcquisitionBatch, bool]:
    """Land the batch chunk by chunk (``landing.land_chunk``), each chunk one short transaction.

    The connection lock is taken and let go for every chunk, so pushes to the same source
    wait for one chunk at most. The last chunk moves the summaries and sets ``committed``
    in its transaction: until then the owner sees none of the batch.
    """
    connection_id = AcquisitionBatch.objects.values_list("connection_id", flat=True).get(pk=batch_id)
    first = True
    while True:
        with transaction.atomic():
            connection = Connection.objects.select_for_update().get(pk=connection_id)
            batch = AcquisitionBatch.objects.select_for_update().get(pk=batch_id)
            batch.connection = connection
            if batch.status != Status.COMMITTING:
                return batch, False
            if first and not batch.landing and batch.artifact_name and not batch.is_measured:
                _read_whole_artifact(batch)
            elif first:
                _restage_if_lost(batch)
            first = False
            tally = Tally.load(batch)
            done = land_chunk(batch, tally)
            batch.landing = tally_json(tally)
            batch.progress = tally.staged
            if not done:
                batch.save()
                continue
            _finish_commit(batch, tally, now or timezone.now())
        return batch, True


def _finish_commit(batch: AcquisitionBatch, tally: Tally, now: datetime) -> None:
    """The last chunk's transaction: summaries, counts, status ``committed``, leftovers of staging."""
    round_ = Round(
        parsed=batch.count_parsed,
        earliest=batch.event_earliest,
        latest=batch.event_latest,
        partial=batch.partial,
        media_not_attached=batch.media_missing + batch.media_omitted,
    )
    landed = tally.as_landed()
    update_summaries(batch, round_, now, new_batch=True, landed=landed)
    drop_staging(batch.pk)  # rows of a span landed before a lost staging was read again
    batch.count_accepted = landed.accepted
    batch.count_duplicate = batch.count_parsed - landed.accepted
    batch.day_counts = landed.measure.day_counts
    batch.duplicate_sources = landed.measure.duplicate_sources
    if batch.preview_counts is not None and batch.preview_counts != _counts(batch):
        batch.data_changed = True
    batch.landing = None
    batch.status = Status.COMMITTED
    batch.committed_at = now
    for phase in ("committed", "indexed", "health_projected"):
        _stamp(batch, phase)
    batch.save()
    _settle_failed_copies(batch)


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
    drop_staging(batch.pk)
    facts = BatchFacts()
    options = ParseOptions(time_zone=_owner_zone(batch.connection), date_order=(batch.options or {}).get("date_order"))
    try:
        parser = _artifact_parser(batch.connection.manifest)
        with _local_path(batch.artifact_name) as path:
            staged = stage(batch.pk, parser(Artifact(path=path, filename=batch.artifact_filename), facts, options),
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
        cursor.execute(f"SELECT 1 FROM {quote(STAGING_TABLE)} WHERE batch_id = %s LIMIT 1", [batch.pk])
        if cursor.fetchone() is not None:
            return
    log.warning("batch %s: staged records are gone; reading the stored artifact again", batch.pk)
    facts = BatchFacts()
    options = ParseOptions(time_zone=_owner_zone(batch.connection), date_order=(batch.options or {}).get("date_order"))
    try:
        parser = _artifact_parser(batch.connection.manifest)
        with _local_path(batch.artifact_name) as path:
            stage(batch.pk, parser(Artifact(path=path, filename=batch.artifact_filename), facts, options), None, None)
    except (ArtifactRejected, OSError):
        log.exception("batch %s: the stored artifact could not be read again", batch.pk)
        drop_staging(batch.pk)


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
        staged = stage(batch.pk, records, None, None)
        _stamp(batch, "parsed")
        _add_facts(batch, facts, staged, replace=new_batch)
        round_ = Round(
            parsed=staged.parsed,
            earliest=staged.earliest,
            latest=staged.latest,
            partial=facts.partial,
            media_not_attached=facts.media_missing + facts.media_omitted,
        )
        _stamp(batch, "deduplicated")
        landed = land(batch, round_, now, new_batch=new_batch)
        batch.count_accepted += landed.accepted
        batch.count_duplicate += staged.parsed - landed.accepted
        batch.day_counts = merge_counts(batch.day_counts if not new_batch else {}, landed.measure.day_counts)
        batch.duplicate_sources = merge_sources(
            batch.duplicate_sources if not new_batch else [], landed.measure.duplicate_sources
        )
        earlier_days = [] if new_batch else [date.fromisoformat(d).toordinal() for d in batch.day_counts]
        days = sorted(set(earlier_days) | set(landed.measure.days))
        batch.gaps = gaps(days, connection.manifest.hole_after or DEFAULT_GAP_AFTER)
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
    drop_staging(batch.pk)


def discard_preview(batch: AcquisitionBatch) -> bool:
    """Abandon a preview: its staged records, stored file and row go. Anything else is kept.

    Returns whether the batch was a preview (and so was discarded).
    """
    with transaction.atomic():
        if not AcquisitionBatch.objects.filter(pk=batch.pk, status=Status.PREVIEW).exists():
            return False
        drop_staging(batch.pk)
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


def size_words(n: int) -> str:
    """A byte count in owner words ("4 GB"), as the upload limit is stated."""
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
    drop_staging(batch.pk)
    facts = BatchFacts()
    options = ParseOptions(time_zone=_owner_zone(batch.connection), date_order=batch.options.get("date_order"))
    try:
        with _local_path(batch.artifact_name) as path:
            records = parser(Artifact(path=path, filename=batch.artifact_filename), facts, options)
            staged = stage(batch.pk, records, progress, "parsing")
    except ArtifactRejected as exc:
        drop_staging(batch.pk)
        return _reject(batch, manifest, exc.reason, exc.detail)
    except Exception:
        # A parser bug: never leave a half-read preview that could be committed.
        log.exception("parsing batch %s failed", batch.pk)
        drop_staging(batch.pk)
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
    measure = measure_staged(batch.pk, batch.connection_id)
    batch.count_accepted = measure.accepted
    batch.count_duplicate = staged.parsed - measure.accepted
    batch.day_counts = measure.day_counts
    batch.duplicate_sources = measure.duplicate_sources
    batch.media_days = measure.media_days
    hole = manifest.hole_after or DEFAULT_GAP_AFTER
    batch.gaps = gaps(measure.days, hole)
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
    drop_staging(batch.pk)
    _delete_artifact(batch)
    batch.status = Status.DUPLICATE
    batch.duplicate_of = earlier
    batch.question = None
    batch.save()
    return batch


def _add_facts(batch: AcquisitionBatch, facts: BatchFacts, staged: Staged, *, replace: bool) -> None:
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
    batch.event_earliest = earliest_of(batch.event_earliest, staged.earliest)
    batch.event_latest = latest_of(batch.event_latest, staged.latest)


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


