"""Re-read: a committed import read again from its stored file, with today's reader or in another zone.

An import keeps its file and the version of the reader that read it. When a connector's reader
improves (it knows more placeholders, skips notices it used to count), or when the owner
changes their zone and the source writes no zone (``connections.zoneless``), the import is
read again:

- ``preview_reread`` makes a new batch (trigger ``reread``, ``options["reread_of"]`` = the old
  import's id) holding its own copy of the old import's file, parses it like any upload
  (``preview.parse_and_measure``; with ``options["time_zone"]`` when a zone was asked for) and
  measures the ``Difference`` against what the old import delivered: records added, records
  that would go, records whose time moves, records reclassified.
- ``commit_reread`` applies it in one transaction under the connection lock (a crash or an
  error leaves the old import as it was; committing again is harmless): records that stay are
  updated in place (same key) and now count as delivered by the re-read; records the new
  reading no longer gives go, unless a push (a provenance row) or another import still read by
  an older reader that spans their time delivered them too (then that delivery becomes their
  first); new records land as any import's do (``landing.land_rows``); the summaries are
  counted again (``recount``). The old import gets ``options["superseded_by"]`` and hands its
  file over to the re-read, which from then on is the import of that file.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import connection as db
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from connections.connectors.base import BatchFacts
from connections.models import Connection

from ..models import AcquisitionBatch
from ..reread_words import READ_AGAIN, Difference, read_again_note
from .background import READ_TASK, TRIGGER_READERS, background_from_bytes
from .date_orders import proven_order
from .landing import _sql_names, land_rows, measure_staged
from .preview import (
    CommitRefused,
    artifact_parser,
    counts,
    mark_duplicate,
    parse_and_measure,
    stage_artifact,
    stamp,
)
from .recount import recount_summaries
from .reread_which import outdated_imports
from .set_aside import note_rewrite
from .staging import Progress, drop_staging, has_staged
from .storage import delete_stored, local_path, store

log = logging.getLogger(__name__)

Status = AcquisitionBatch.Status
TRIGGER = "reread"
# In a re-read's options: its day/month order is the one a later file of the source proved, not the owner's answer.
PROVEN = "date_order_proven"
# Payload fields whose change means a record is read as another kind (a notice, a media kind).
RECLASSIFYING_FIELDS = ("kind", "media_kind")
ID_CHUNK = 500  # ids per IN (...) list


class RereadRefused(CommitRefused):
    """This import cannot be read again (the message is in owner words)."""


def check_zone(zone: str | None) -> str | None:
    if not zone:
        return None
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise RereadRefused(f"{zone} is not a time zone Ownerhub knows, such as Europe/Berlin.") from exc
    return zone


# --- preview ------------------------------------------------------------------------------------
def preview_reread(
    old: AcquisitionBatch | int, *, zone: str | None = None, progress: Progress | None = None,
    in_background: bool = False,
) -> AcquisitionBatch:
    """Read ``old`` again into a new preview batch and measure the difference (``difference``).

    A measured preview of the same import and zone is reused. Raises ``RereadRefused`` when
    ``old`` is not a committed upload that still holds its file, or was read again already.
    ``in_background``: a file as large as an upload the worker reads is read by the worker (returned
    ``is_reading``); a reading under way is returned as it is, so a page polling it starts none twice.
    """
    old = _old_import(old)
    zone = check_zone(zone)
    reuse = (
        AcquisitionBatch.objects.filter(
            connection_id=old.connection_id, trigger=TRIGGER, status=Status.PREVIEW, options__reread_of=old.pk
        )
        .select_related("connection")
        .order_by("-pk")
    )
    # The owner's answers hold for every reading: the date order, and the people of another phone's export.
    options = {k: v for k, v in (old.options or {}).items() if k in ("date_order", "authors", "clock")}
    if "date_order" in options:  # an answer a file of the source proved wrong is read the proven way
        proven = proven_order(old.connection_id)
        if proven is not None and proven != options["date_order"]:
            options["date_order"], options[PROVEN] = proven, True
    for batch in reuse:
        same = (batch.options or {}).get("date_order") == options.get("date_order")
        same = same and (batch.options or {}).get("time_zone") == zone
        if same and ((batch.is_measured and not batch.question) or (in_background and batch.is_reading)):
            return batch
    manifest = old.connection.manifest
    parser = artifact_parser(manifest)
    options["reread_of"] = old.pk
    if zone:
        options["time_zone"] = zone
    # A file as large as an upload the worker reads is copied by the worker too: a gigabyte's copy is
    # seconds of the page's time. Until then the batch names no file of its own (``_read_stored``).
    later = in_background and (old.artifact_bytes or 0) >= background_from_bytes()
    batch = AcquisitionBatch.objects.create(
        connection=old.connection,
        method=old.method,
        trigger=TRIGGER,
        artifact_filename=old.artifact_filename,
        artifact_sha256=old.artifact_sha256,
        artifact_bytes=old.artifact_bytes,
        options=options,
        status=Status.PREVIEW,
        phases={},
        reading_requested_at=timezone.now() if later else None,
    )
    batch.connection = old.connection
    if later:
        import_string(READ_TASK).enqueue(batch.pk)  # ``background.read_preview``, then ``_read_stored``
        return AcquisitionBatch.objects.select_related("connection").get(pk=batch.pk)
    _copy_file(batch, old)
    return _read(batch, old, parser, progress)


def _copy_file(batch: AcquisitionBatch, old: AcquisitionBatch) -> None:
    """The re-read's own copy of the old import's file (the old import hands its file over at the commit)."""
    with local_path(old.artifact_name) as path, open(path, "rb") as fh:
        name, sha256, size = store(fh, old.connection.owner_id, old.artifact_filename, (old.artifact_bytes or 0) + 1)
    batch.artifact_name, batch.artifact_sha256, batch.artifact_bytes = name, sha256, size
    stamp(batch, "received")
    batch.save(update_fields=["artifact_name", "artifact_sha256", "artifact_bytes", "phases"])


def _read(batch: AcquisitionBatch, old: AcquisitionBatch, parser, progress: Progress | None) -> AcquisitionBatch:
    batch = parse_and_measure(batch, parser, progress)
    if batch.status == Status.PREVIEW and not batch.question:
        _note_difference(batch, difference(batch, old), "preview")
    return batch


def _read_stored(batch: AcquisitionBatch) -> AcquisitionBatch:
    """The worker's reading of a re-read preview left to it (``TRIGGER_READERS``)."""
    old = AcquisitionBatch.objects.select_related("connection").get(pk=batch.options["reread_of"])
    if not batch.artifact_name:  # its copy of the file is made here, not in the page's request
        _copy_file(batch, old)
    return _read(batch, old, artifact_parser(batch.connection.manifest), None)


TRIGGER_READERS[TRIGGER] = _read_stored


def _old_import(old: AcquisitionBatch | int) -> AcquisitionBatch:
    batch_id = old if isinstance(old, int) else old.pk
    old = AcquisitionBatch.objects.select_related("connection").filter(pk=batch_id).first()
    if old is None or old.status != Status.COMMITTED or old.method != "owner_artifact":
        raise RereadRefused("Only an imported export can be read again.")
    if (old.options or {}).get("superseded_by"):
        raise RereadRefused("This import was read again already; its newer reading is the one to read again.")
    if not old.artifact_name:
        raise RereadRefused("Ownerhub no longer holds the file of this import, so it cannot be read again.")
    return old


def _note_difference(batch: AcquisitionBatch, diff: Difference, stage: str) -> None:
    options = dict(batch.options or {})
    options["reread"] = {**options.get("reread", {}), stage: diff.as_dict()}
    batch.options = options
    AcquisitionBatch.objects.filter(pk=batch.pk).update(options=options)


# --- measuring the difference -------------------------------------------------------------------
_names = _sql_names  # the table names the landing's SQL uses: S staging, R records, P provenance, B batches


def _same_key(n: dict) -> str:
    return f"s.stream = r.stream AND s.{n['key']} = r.{n['key']}"


def _not_read_alike(alias: str, n: dict) -> str:
    """SQL (3 parameters: the old import, the reading's zone, its reader): record ``alias`` was not delivered
    first by another reading made as this one is. Two imports of one chat (two phones' exports, read as the
    same people) hold its shared messages; the first one's reading moves or corrects them, the second's leaves
    them (its own version, another phone's seconds or media, would make them flip and be counted twice)."""
    return (f"NOT EXISTS (SELECT 1 FROM {n['B']} fb WHERE fb.id = {alias}.first_batch_id AND fb.trigger = 'reread' "
            f"AND fb.id <> %s AND fb.time_zone_assumed = %s AND fb.parser_version = %s)")


def _media_changes() -> str:
    """SQL: staged row ``s`` changes record ``r``'s media (media a later export attached stays)."""
    return "(s.media <> r.media AND NOT (r.media = 'attached' AND s.media IN ('missing', 'omitted')))"


def _field(alias: str, name: str) -> str:
    """SQL: the text of payload field ``name`` (a constant) of row ``alias``, '' when absent."""
    if db.vendor == "postgresql":
        return f"COALESCE({alias}.payload ->> '{name}', '')"
    return f"COALESCE(json_extract({alias}.payload, '$.{name}'), '')"


def difference(batch: AcquisitionBatch, old: AcquisitionBatch) -> Difference:
    """The difference between ``batch``'s staged reading and what ``old`` delivered (staging must hold it)."""
    n = _names()
    diff = Difference(
        added=batch.count_accepted,
        reader_from=old.parser_version,
        reader_to=batch.parser_version,
        zone_from=old.time_zone_assumed,
        zone_to=batch.time_zone_assumed,
    )
    moved = "r.event_at <> s.event_at"
    kind = " OR ".join(f"{_field('r', f)} <> {_field('s', f)}" for f in RECLASSIFYING_FIELDS)
    reclassified = f"({_media_changes()} OR {kind})"
    changed = f"({moved} OR r.payload <> s.payload OR {_media_changes()})"
    with db.cursor() as cursor:
        # One aggregate: memory stays flat however many records a zone re-read moves.
        cursor.execute(
            f"SELECT COUNT(*), SUM(CASE WHEN {moved} THEN 1 ELSE 0 END), "
            f"SUM(CASE WHEN {reclassified} THEN 1 ELSE 0 END), "
            f"SUM(CASE WHEN NOT {reclassified} AND r.payload <> s.payload THEN 1 ELSE 0 END), "
            f"SUM(CASE WHEN {changed} THEN 1 ELSE 0 END) "
            f"FROM {n['S']} s JOIN {n['R']} r ON r.connection_id = %s AND {_same_key(n)} "
            f"JOIN {n['B']} b ON b.id = r.first_batch_id WHERE s.batch_id = %s AND b.method = %s "
            f"AND {_not_read_alike('r', n)}",
            [old.connection_id, batch.pk, old.method, old.pk, batch.time_zone_assumed, batch.parser_version],
        )
        same_lane, diff.moved, diff.reclassified, diff.updated, changed_rows = (
            int(v or 0) for v in cursor.fetchone()
        )
    diff.unchanged = same_lane - changed_rows
    for _, by_push, by_import in _leftovers(batch, old):
        if by_push or by_import:
            diff.kept += 1
        else:
            diff.going += 1
    return diff


def _leftovers(batch: AcquisitionBatch, old: AcquisitionBatch) -> list[tuple[int, int | None, int | None]]:
    """Records ``old`` delivered first that ``batch``'s reading no longer gives: (id, a push's batch, an import's).

    The push is a later delivery through another method (a provenance row); the import is
    another upload of this source still read by an older reader whose time span holds the
    record (it was read the way ``old`` was, so it delivered the record too).
    """
    n = _names()
    spans = [
        b.pk
        for b in outdated_imports(Connection.objects.filter(pk=old.connection_id))
        if b.pk not in (old.pk, batch.pk) and b.method == old.method
    ]
    by_import = (
        f"(SELECT MIN(o.id) FROM {n['B']} o WHERE o.id IN ({', '.join(str(int(i)) for i in spans)}) "
        "AND o.event_earliest <= r.event_at AND o.event_latest >= r.event_at)"
        if spans
        else "NULL"
    )
    with db.cursor() as cursor:
        cursor.execute(
            f"SELECT r.id, (SELECT MIN(p.batch_id) FROM {n['P']} p WHERE p.record_id = r.id AND p.batch_id <> %s), "
            f"{by_import} FROM {n['R']} r WHERE r.connection_id = %s AND r.first_batch_id = %s AND NOT EXISTS "
            f"(SELECT 1 FROM {n['S']} s WHERE s.batch_id = %s AND {_same_key(n)}) ORDER BY r.id",
            [old.pk, old.connection_id, old.pk, batch.pk],
        )
        return [(int(i), p, b) for i, p, b in cursor.fetchall()]


# --- commit -------------------------------------------------------------------------------------
def commit_reread(batch: AcquisitionBatch | int, *, now: datetime | None = None) -> AcquisitionBatch:
    """Apply a re-read preview (see the module text); returns the batch, ``committed``.

    Idempotent: a committed re-read is returned as it is; a preview whose import was read again
    meanwhile becomes that reading's ``duplicate``. One transaction: if anything raises, the old
    import and the connection are as they were and the preview can be committed again.
    """
    batch_id = batch if isinstance(batch, int) else batch.pk
    connection_id = AcquisitionBatch.objects.values_list("connection_id", flat=True).get(pk=batch_id)
    now = now or timezone.now()
    moved_file = ""
    with transaction.atomic():
        connection = Connection.objects.select_for_update().get(pk=connection_id)
        batch = AcquisitionBatch.objects.select_for_update().get(pk=batch_id)
        batch.connection = connection
        if batch.status in (Status.COMMITTED, Status.DUPLICATE):
            return batch
        _check_committable(batch)
        old = AcquisitionBatch.objects.select_for_update().get(pk=batch.options["reread_of"])
        old.connection = connection
        newer = (old.options or {}).get("superseded_by")
        if newer:
            return mark_duplicate(batch, AcquisitionBatch.objects.filter(pk=newer).first())
        _restage_if_lost(batch)
        note_rewrite(connection)  # records move to this reading or go: previews relying on them read again
        diff = difference(batch, old)
        _apply(batch, old)
        landed = land_rows(batch, measure_staged(batch.pk, connection.pk))
        drop_staging(batch.pk, landed=True)
        # The old import hands its file (and the file's identity: one landed batch per file) over.
        moved_file, sha256 = old.artifact_name, old.artifact_sha256
        old.options = {**(old.options or {}), "superseded_by": batch.pk}
        old.artifact_name = old.artifact_sha256 = ""
        batch.committed_at = now
        # Its receipt says it was read again, and where its records stand now (a note: the loader reads notes).
        noun = connection.manifest.record_noun
        old.warnings = [*(old.warnings or []), read_again_note(batch, noun, sha256)]
        old.save(update_fields=["options", "artifact_name", "artifact_sha256", "warnings"])
        point_to_newest(connection.pk, old.pk, batch, noun)
        batch.count_accepted = landed.accepted
        batch.count_duplicate = batch.count_parsed - landed.accepted
        batch.day_counts = landed.new_days
        batch.duplicate_sources = landed.measure.duplicate_sources
        diff.added = landed.accepted
        batch.options = {**batch.options, "reread": {**batch.options.get("reread", {}), "committed": diff.as_dict()}}
        preview = (batch.options["reread"] or {}).get("preview")
        if (batch.preview_counts is not None and batch.preview_counts != counts(batch)) or (
            preview is not None and Difference.of(preview) != diff
        ):
            batch.data_changed = True
        batch.status = Status.COMMITTED
        batch.committed_at = now
        for phase in ("committed", "indexed"):
            stamp(batch, phase)
        batch.save()
        recount_summaries(connection, batch, now)
        stamp(batch, "health_projected")
        batch.save(update_fields=["phases"])
        transaction.on_commit(lambda: delete_stored([moved_file]) if moved_file else None)
    return batch


def _check_committable(batch: AcquisitionBatch) -> None:
    if batch.trigger != TRIGGER or not (batch.options or {}).get("reread_of"):
        raise RereadRefused("This is not a new reading of an import.")
    if batch.status != Status.PREVIEW:
        raise RereadRefused("This reading could not be prepared, so it cannot be saved.")
    if batch.question:
        raise RereadRefused("The reading is waiting for an answer (the date order) before it can be saved.")
    if not batch.is_measured:
        raise RereadRefused("This file was not read to the end, so it cannot be saved. Read it again.")


def _restage_if_lost(batch: AcquisitionBatch) -> None:
    """Staging is a cache (on PostgreSQL emptied by a crash): read the batch's own file again if it is gone."""
    if not batch.count_parsed:
        return
    if has_staged(batch.pk):
        return
    log.warning("re-read %s: staged records are gone; reading its file again", batch.pk)
    stage_artifact(batch, artifact_parser(batch.connection.manifest), BatchFacts())


def point_to_newest(connection_id: int, old_id: int, reading: AcquisitionBatch, noun) -> None:
    """The imports an import read again now had replaced name its newest reading instead (their receipts
    lead to where the records stand now, not to a reading read again since)."""
    earlier = AcquisitionBatch.objects.filter(connection_id=connection_id, options__has_key="superseded_by")
    for batch in earlier.exclude(pk=old_id).only("pk", "warnings"):
        notes = [w for w in batch.warnings or () if w.get("kind") == READ_AGAIN]
        if notes and notes[-1].get("batch_id") == old_id:
            note = read_again_note(reading, noun, notes[-1].get("sha256", ""))
            batch.warnings = [note if w is notes[-1] else w for w in batch.warnings]
            AcquisitionBatch.objects.filter(pk=batch.pk).update(warnings=batch.warnings)


def _apply(batch: AcquisitionBatch, old: AcquisitionBatch) -> None:
    """Update, hand over and take away the records ``old`` delivered (the caller holds the lock)."""
    n = _names()
    R, S, P, key = n["R"], n["S"], n["P"], n["key"]
    in_staging = f"SELECT 1 FROM {S} s WHERE s.batch_id = %s AND s.stream = {R}.stream AND s.{key} = {R}.{key}"
    lane = f"SELECT b.id FROM {n['B']} b WHERE b.connection_id = %s AND b.method = %s"
    leftovers = _leftovers(batch, old)  # before the hand-over below makes them look taken
    with db.cursor() as cursor:
        # The same records, read again: their time, details and media in place (same key).
        media = (
            f"CASE WHEN {R}.media = 'attached' AND s.media IN ('missing', 'omitted') THEN {R}.media ELSE s.media END"
        )
        changed = _media_changes().replace("r.", f"{R}.")
        cursor.execute(
            f"UPDATE {R} SET event_at = (SELECT s.event_at FROM {S} s WHERE s.batch_id = %s AND s.stream = {R}.stream "
            f"AND s.{key} = {R}.{key}), payload = (SELECT s.payload FROM {S} s WHERE s.batch_id = %s "
            f"AND s.stream = {R}.stream AND s.{key} = {R}.{key}), media = (SELECT {media} FROM {S} s "
            f"WHERE s.batch_id = %s AND s.stream = {R}.stream AND s.{key} = {R}.{key}) "
            f"WHERE {R}.connection_id = %s AND {R}.first_batch_id IN ({lane}) AND {_not_read_alike(R, n)} "
            f"AND EXISTS ({in_staging} AND (s.event_at <> {R}.event_at OR s.payload <> {R}.payload OR {changed}))",
            [batch.pk, batch.pk, batch.pk, old.connection_id, old.connection_id, old.method,
             old.pk, batch.time_zone_assumed, batch.parser_version, batch.pk],
        )
        # What ``old`` delivered and the new reading gives is now delivered by the new reading.
        cursor.execute(
            f"UPDATE {P} SET batch_id = %s WHERE batch_id = %s AND EXISTS (SELECT 1 FROM {R} WHERE "
            f"{R}.id = {P}.record_id AND EXISTS ({in_staging}))",
            [batch.pk, old.pk, batch.pk],
        )
        cursor.execute(f"DELETE FROM {P} WHERE batch_id = %s", [old.pk])
        cursor.execute(
            f"UPDATE {R} SET first_batch_id = %s WHERE connection_id = %s AND first_batch_id = %s "
            f"AND EXISTS ({in_staging})",
            [batch.pk, old.connection_id, old.pk, batch.pk],
        )
        # What only ``old`` gave goes; what a push or another import also delivered stays, theirs now.
        gone = [i for i, by_push, by_import in leftovers if not (by_push or by_import)]
        handed: dict[int, list[int]] = {}
        for i, by_push, by_import in leftovers:
            if by_push or by_import:
                handed.setdefault(int(by_push or by_import), []).append(i)
        for first, ids in handed.items():
            for chunk in _chunks(ids):
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(f"UPDATE {R} SET first_batch_id = %s WHERE id IN ({marks})", [first, *chunk])
                cursor.execute(f"DELETE FROM {P} WHERE batch_id = %s AND record_id IN ({marks})", [first, *chunk])
        for chunk in _chunks(gone):
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"DELETE FROM {P} WHERE record_id IN ({marks})", chunk)
            cursor.execute(f"DELETE FROM {R} WHERE id IN ({marks})", chunk)


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), ID_CHUNK):
        yield ids[start : start + ID_CHUNK]


# --- many imports at once -----------------------------------------------------------------------
def reread_imports(
    imports: Iterable[AcquisitionBatch], *, zone: str | None = None, commit: bool = True
) -> list[AcquisitionBatch]:
    """Read each import again (``preview_reread``), and commit each reading unless ``commit`` is false.

    Returns the re-read batches, one per import, in order: ``committed`` (or ``preview``), or
    ``rejected`` / ``preview`` with a question when a file could not be read again as it is.
    """
    zone = check_zone(zone)
    done = []
    for old in imports:
        batch = preview_reread(old, zone=zone)
        if commit and batch.status == Status.PREVIEW and not batch.question:
            batch = commit_reread(batch)
        done.append(batch)
    return done
