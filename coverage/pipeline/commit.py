"""Commit: a previewed batch flipped to ``committing``, then landed chunk by chunk by the worker.

``start_commit`` (and ``retry_commit`` for a ``failed`` one) flips the batch to ``committing``
(one landing per artifact, enforced by the ``one_landed_batch_per_artifact`` constraint) and
enqueues the task ``coverage.tasks.commit_batch``, which calls ``land_batch``: the staged rows
land in chunks of ``chunks.LAND_CHUNK`` (``chunks.land_chunk``), each its own short
transaction under the connection lock; the last chunk moves the summaries and sets
``committed`` (``_finish_commit``). A landing that raises is tried again; after
``MAX_COMMIT_ATTEMPTS`` the batch is ``failed`` and what its chunks wrote is taken back.
``requeue_stalled`` enqueues again the commits whose process is gone (``claims.recover``).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from connections.connectors.base import ArtifactRejected, BatchFacts
from connections.models import Connection
from connections.zones import owner_zone

from ..models import AcquisitionBatch, GonePreview
from ..words import MEDIA_FILE, count, pick, zone_name
from ..zone_previews import zone_to_read_in, zone_words
from . import accounts, claims, other_phone, set_aside, summaries
from .chunks import SlotCounts, Tally, delivered, land_chunk, tally_json, undo_landing
from .landing import Round
from .preview import (
    CommitRefused,
    NotAnArtifactSource,
    add_facts,
    artifact_parser,
    counts,
    mark_duplicate,
    stage_artifact,
    stamp,
)
from .removal import discard_preview
from .reread import TRIGGER as REREAD
from .reread import commit_reread
from .sqlite_tuning import lean_cache, roomy_wal
from .staging import drop_staging, has_staged
from .summaries import DeliveredSlots

log = logging.getLogger(__name__)

Status = AcquisitionBatch.Status
LANDING = (Status.COMMITTING, Status.COMMITTED)
# The task queued task rows name. ``coverage.tasks`` defines it and calls ``land_batch``; it is
# looked up by this path (as the worker does) rather than imported, so the two modules do not
# import each other.
COMMIT_TASK = "coverage.tasks.commit_batch"
STALLED_AFTER = timedelta(minutes=10)
MAX_COMMIT_ATTEMPTS = 3  # failed landings of one batch before it is ``failed`` (a kill does not count)
FAILED_WORDS = (
    "Ownerhub ran into an error while saving this import, {tries}. Nothing from it was saved. "
    "Try again; if it stops again, tell whoever runs your Ownerhub."
)
NOT_READ_TO_THE_END = "This file was not read to the end, so it cannot be imported. Upload it again."
ALREADY_LANDING = "This same file is being imported already; its receipt shows the result when it is done."


MEDIA_ADDED = "media_added"  # a note of the media this import filled in (its receipt's sentence says it)


class _CommitFailed(Exception):
    """A commit that cannot succeed by trying again as it is; the message is in owner words."""


def start_commit(batch: AcquisitionBatch | int, *, enqueue: bool = True) -> AcquisitionBatch:
    """Commit a previewed batch (named by row or id): flip it to ``committing``, enqueue ``commit_batch``.

    A ``duplicate``, ``committing`` or ``committed`` batch is returned as it is. Raises
    ``CommitRefused`` for a rejected batch, an unanswered question, a preview whose parse never
    finished (the process was killed or stopped mid-file: its ``deduplicated`` phase is missing),
    a ``failed`` one (``retry_commit`` is the way to try that again) and a preview that read times
    without a zone in another zone than the owner's now (``zone_previews``; ``read_in_owner_zone``).

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
    if batch.trigger == REREAD:
        return commit_reread(batch)  # an import read again lands in one transaction of its own
    if batch.status == Status.REJECTED:
        raise CommitRefused("This file was rejected; it cannot be imported.")
    if batch.status == Status.FAILED:
        raise CommitRefused("This import stopped with an error. Choose “Try again now” to import it again.")
    if batch.question:
        raise CommitRefused("The preview is waiting for an answer (the date order) before it can be imported.")
    if not batch.is_measured:
        raise CommitRefused(NOT_READ_TO_THE_END)
    if other_phone.needs_choice(batch) or other_phone.noticed_since(batch, batch.connection.manifest):
        raise CommitRefused(other_phone.REFUSED)
    if accounts.needs_confirmation(batch) or accounts.noticed_since(batch):  # checked again: previews side by side
        raise CommitRefused(accounts.REFUSED)
    if zone := zone_to_read_in(batch, zone_name(owner_zone(batch.connection.owner_id))):
        raise CommitRefused(zone_words(batch, zone, batch.connection.manifest.record_noun[0]))
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
                    # A preview's progress counted what was read; saving counts from nothing (a retried commit
                    # keeps what its chunks landed).
                    **({"progress": 0} if from_status == Status.PREVIEW else {}),
                )
        except IntegrityError:
            settled = _settle_race(batch, enqueue=enqueue)
            if settled is not None:
                return settled
            continue  # the other landing failed meanwhile: this batch may land now
        if flipped and enqueue:
            import_string(COMMIT_TASK).enqueue(batch.pk)
        batch.refresh_from_db()
        return batch
    raise CommitRefused(ALREADY_LANDING)


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
            raise CommitRefused(ALREADY_LANDING)
        winner, landed_here = _land_with_retries(winner.pk, None)
        if landed_here and winner.status == Status.COMMITTED:
            discard_preview(batch, GonePreview.Reason.LANDED, newer=winner)
            return winner
    if winner.status == Status.COMMITTED:
        return mark_duplicate(batch, winner)
    return None


def requeue_stalled(now: datetime, *, older_than: timedelta = STALLED_AFTER) -> list[int]:
    """Enqueue the commit again for batches left ``committing`` by a process that is gone.

    At once when the process that claimed the batch has ended (``claims.recover`` says how
    that is told, on any host); the task rows it left ``RUNNING`` are marked failed. A batch
    nobody claimed is enqueued again once no task for it is waiting, or after ``older_than``
    when its task is still marked running. A live claimer is left alone however long it
    takes. Returns the batch ids enqueued.
    """
    task = import_string(COMMIT_TASK)
    return claims.recover(now, older_than=older_than, task_path=task.module_path, enqueue=task.enqueue)


def land_batch(batch_id: int, *, now: datetime | None = None) -> AcquisitionBatch:
    """Land a ``committing`` batch (the body of the ``commit_batch`` task, and of the CLI's commit).

    Chunk by chunk, each its own transaction: new records from staging, provenance rows; the
    last chunk also the recount (``data_changed`` when it differs from the preview), status
    ``committed``, lane and coverage summaries. Idempotent: any other status returns the batch
    untouched, and a crash (a killed process) leaves the batch ``committing`` with its tally
    and staging rows, ready to be run again. A landing that raises is tried again at once;
    after ``MAX_COMMIT_ATTEMPTS`` failed tries (counted on the batch, across processes) the
    batch is ``failed``, with the reason in owner words, and returned: nothing of it is
    visible and the file may be committed again (``retry_commit``) or uploaded again.
    """
    # SQLite: each chunk's commit need not fold the WAL back, and a 16 MB page cache (sqlite_tuning.roomy_wal, lean_cache)
    with roomy_wal(), lean_cache():
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
                batch.landing = batch.set_aside = None  # a retry reads the whole file again
        batch.save(update_fields=["commit_attempts", "status", "failure_reason", "landing", "set_aside"])
    return batch


# What a chunk never reads of its batch: the preview's days (new records per day, days with media
# missing, holes). A long chat's run to tens of thousands of entries; decoded and encoded again
# for every chunk, they took a quarter of a 2M-message commit and grew with it (the 4M commit
# took 7x the 1M one). Fetched only if read; the last transaction writes ``day_counts`` anew.
_PREVIEW_DAYS = ("day_counts", "media_days", "gaps")


def _land_committing(batch_id: int, now: datetime | None) -> tuple[AcquisitionBatch, bool]:
    """Land the batch chunk by chunk (``chunks.land_chunk``), each chunk one short transaction.

    The connection lock is taken and let go for every chunk, so pushes to the same source
    wait for one chunk at most. Once every chunk has landed, what they wrote is counted per
    day and per slot without the lock (``chunks.delivered``: only this commit writes records
    of this batch), unless this process counted it chunk by chunk (``chunks.SlotCounts``);
    then one last short transaction moves the summaries and sets ``committed``: until then
    the owner sees none of the batch.
    """
    connection_id = AcquisitionBatch.objects.values_list("connection_id", flat=True).get(pk=batch_id)
    _set_aside_first(batch_id)
    first, counted, finished, slot_counts = True, None, False, None
    while not finished:
        with transaction.atomic():
            connection = Connection.objects.select_for_update().get(pk=connection_id)
            batch = AcquisitionBatch.objects.select_for_update().defer(*_PREVIEW_DAYS).get(pk=batch_id)
            batch.connection = connection
            if batch.status != Status.COMMITTING:
                return batch, False
            outdated = set_aside.outdated(batch, connection)
            read_again = first or outdated  # reading the file again may change any field
            if outdated:
                _start_over(batch)  # records the rows set aside rely on were taken away
                counted = None
                if slot_counts is not None:
                    slot_counts.give_up()
            elif first and not (batch.landing or {}).get("landed_all"):
                _stage_if_needed(batch)
            first = False
            tally = Tally.load(batch)
            if tally.landed_all and counted is not None:
                _finish_commit(batch, tally, counted, now or timezone.now())
                finished = True
                continue
            if not tally.landed_all:
                if batch.landing is None and batch.set_aside:
                    tally.add(set_aside.seed(batch))  # what the preview set aside counts first
                if slot_counts is None:
                    slot_counts = SlotCounts(batch, tally)
                tally.landed_all = land_chunk(batch, tally, counts=slot_counts)
                batch.landing = tally_json(tally)
                batch.progress = tally.staged
                batch.save(update_fields=None if read_again else ["landing", "progress"])
            landed_all, began_id = tally.landed_all, tally.began_id
            batch.landing = tally = None  # the next chunk loads the saved copy
        if landed_all:
            counted = (slot_counts and slot_counts.delivered(batch)) or delivered(batch, began_id)
    # Leftovers of staging (rows of a span landed before a lost staging was read again) go after
    # the lock: on PostgreSQL the walk over the index of the rows the chunks deleted took 0.27 s
    # at 1M rows. A process killed first leaves them to the sweep (``sweep.remove_stray_staging``).
    drop_staging(batch.pk, landed=True)
    return batch, True


def _set_aside_first(batch_id: int) -> None:
    """Before the first chunk, without the connection lock: the rows the preview planned to set
    aside go (``set_aside.apply``), in one transaction with what they counted."""
    with transaction.atomic():
        batch = AcquisitionBatch.objects.select_for_update().get(pk=batch_id)
        if batch.status == Status.COMMITTING and batch.landing is None and (batch.set_aside or {}).get("pending"):
            set_aside.apply(batch)
            batch.save(update_fields=["set_aside"])


def _stage_if_needed(batch: AcquisitionBatch) -> None:
    """Before the first chunk this process lands: stage the file when its preview never
    finished, or when its staged rows are gone."""
    if not batch.landing and batch.artifact_name and not batch.is_measured:
        _read_whole_artifact(batch)
    else:
        _restage_if_lost(batch)


def _start_over(batch: AcquisitionBatch) -> None:
    """Take back what the chunks landed and stage the whole stored file again, nothing set aside.

    For a commit whose preview set rows aside (``set_aside``) when records those rows rely on
    were taken away since, or when its staged rows were lost: the rows must all land again to
    be counted once. Media the chunks filled in stays filled in. The caller holds the lock.
    """
    log.warning("batch %s: reading the stored artifact again, from the start", batch.pk)
    if batch.landing:
        undo_landing(batch)
    batch.landing = batch.set_aside = None
    drop_staging(batch.pk)
    try:
        stage_artifact(batch, artifact_parser(batch.connection.manifest), BatchFacts())
    except (ArtifactRejected, OSError, NotAnArtifactSource) as exc:
        raise _CommitFailed("The stored copy of this file could not be read again. Upload the file again.") from exc
    batch.save(update_fields=["landing", "set_aside"])


def _finish_commit(batch: AcquisitionBatch, tally: Tally, counted: DeliveredSlots, now: datetime) -> None:
    """The last transaction of a commit: summaries, counts, status ``committed``.

    ``counted``: ``chunks.delivered``, counted without the lock; counted again here when the
    database session that holds it is gone (a reconnect). The batch's counts per day are read
    from it once the lane has moved: a long chat's are not held while its lane's are merged.
    """
    if not counted.present():
        counted = delivered(batch, tally.began_id)
    round_ = Round(
        parsed=batch.count_parsed,
        earliest=batch.event_earliest,
        latest=batch.event_latest,
        partial=batch.partial,
        media_not_attached=batch.media_missing + batch.media_omitted,
    )
    landed = tally.as_landed()
    if added := sum(landed.upgraded.values()):  # media an earlier export lacked, filled in (``_upgrade_media``)
        batch.warnings = [*(w for w in batch.warnings or () if w.get("kind") != MEDIA_ADDED),
                          {"kind": MEDIA_ADDED, "position": None, "count": added,
                           "detail": f"{count(added, MEDIA_FILE)} missing from earlier imports "
                                     f"{pick(added, ('was', 'were'))} added."}]
    summaries.update_lane(batch, round_, now, new_batch=True, landed=landed, counted=counted)
    summaries.update_summary(batch, round_, now, landed=landed)
    batch.day_counts = counted.per_day()
    summaries.drop_delivered_table()
    batch.count_accepted = landed.accepted
    batch.count_duplicate = batch.count_parsed - landed.accepted
    batch.duplicate_sources = landed.measure.duplicate_sources
    if batch.preview_counts is not None and batch.preview_counts != counts(batch):
        batch.data_changed = True
    batch.landing = None
    batch.status = Status.COMMITTED
    batch.committed_at = now
    for phase in ("committed", "indexed", "health_projected"):
        stamp(batch, phase)
    batch.save()
    _settle_copies(batch)


def _settle_copies(batch: AcquisitionBatch) -> None:
    """Other batches of the file that just landed in this source can only repeat it, so they become its
    duplicates (their staged rows and stored copies go): earlier failed imports (no retry left to offer),
    previews read to the end and previews waiting for an answer (none waits on the card for nothing:
    ``import_artifact --preview``, then without it, leaves one import). A preview still being read is
    left to finish."""
    if not batch.artifact_sha256:
        return
    for copy in AcquisitionBatch.objects.filter(
        Q(status=Status.FAILED) | Q(status=Status.PREVIEW, phases__has_key="deduplicated")
        | Q(status=Status.PREVIEW, question__isnull=False),
        connection_id=batch.connection_id, artifact_sha256=batch.artifact_sha256,
    ).exclude(pk=batch.pk).exclude(trigger=REREAD):
        mark_duplicate(copy, batch)


def _read_whole_artifact(batch: AcquisitionBatch) -> None:
    """Stage the stored artifact again, all of it, for a batch whose preview never finished.

    An older Ownerhub let such a preview be committed, with the counts of half a file. The
    caller holds the connection lock. A file that cannot be read fails the commit for good.
    """
    log.warning("batch %s: its preview never finished; reading the stored artifact again", batch.pk)
    drop_staging(batch.pk)
    facts = BatchFacts()
    try:
        staged = stage_artifact(batch, artifact_parser(batch.connection.manifest), facts)
    except (ArtifactRejected, OSError, NotAnArtifactSource) as exc:
        raise _CommitFailed("The stored copy of this file could not be read again. Upload the file again.") from exc
    add_facts(batch, facts, staged, replace=True)
    stamp(batch, "parsed")
    stamp(batch, "deduplicated")


def _restage_if_lost(batch: AcquisitionBatch) -> None:
    """Read the stored artifact again when a previewed batch's staged rows are gone.

    Staging is a cache of the artifact (on PostgreSQL an UNLOGGED table, emptied when the
    server restarts after a crash). The caller holds the connection lock. If the file cannot
    be read either, the batch lands what there is and its receipt says the data changed.
    """
    if not batch.count_parsed or not batch.artifact_name:
        return
    if has_staged(batch.pk) or set_aside.all_set_aside(batch):
        return
    if batch.set_aside:
        _start_over(batch)  # the rows set aside and the lost ones must land together, each once
        return
    log.warning("batch %s: staged records are gone; reading the stored artifact again", batch.pk)
    try:
        stage_artifact(batch, artifact_parser(batch.connection.manifest), BatchFacts())
    except (ArtifactRejected, OSError):
        log.exception("batch %s: the stored artifact could not be read again", batch.pk)
        drop_staging(batch.pk)
