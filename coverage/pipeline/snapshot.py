"""A pull of a source that sends its whole current state (a calendar feed): what it holds, brought up to date.

Landing only adds: a record whose key is held stays as it was first delivered. A calendar feed is
a snapshot of the calendar, so an event moved, renamed or cancelled comes again under the same
key, and an event deleted comes no more. When the parser names the range its snapshot speaks for
(``BatchFacts.snapshot``), ``bring_up_to_date`` runs after the batch landed (``pull``), in the same
transaction and under the same connection lock, so a crash leaves the pull all done or not done:

- held records this lane delivered first whose time or payload the snapshot gives differently
  are updated in place (same key: no copy, no duplicate), as a re-read updates them;
- held records this lane delivered first whose time lies in the snapshot's range and which the
  snapshot no longer gives are removed, unless another lane delivered them too (a provenance row).
  Records outside the range stay: a feed that no longer carries last year's events does not erase
  them (DESIGN: a batch that covers a narrower window never deletes records outside it);
- when anything changed, the summaries are counted again from the records (``recount``), and the
  source's ``rewritten`` moves (``set_aside.note_rewrite``), as after a re-read.

Changed means the source says something else, not that Ownerhub places it otherwise:

- after a change of the owner's zone, the caller passes the snapshot as the last pull placed it
  (read again in that zone: ``before``); a held record as ``before`` gives it was not changed by the
  source, only placed in the new zone: it is updated (or, a day it no longer touches, removed) and
  counted ``moved``, never ``changed`` or ``gone``;
- when the last pull was read by an older reader (``reader_from``), the differences are the
  improved reader's as much as the source's: the receipt says it was read again, not that events vanished.

Earlier batches keep their receipts: what they delivered then is what they said. The pull's own
batch says how many held records it changed, removed and moved: a note of kind ``snapshot`` among its
warnings, which the dashboard's loader reads (``receipts.Receipt.snapshot``; not a warning to the owner),
and ``options["snapshot"]`` for the pipeline.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import orjson

from connections.connectors.base import ParsedRecord, clean_key, payload_json
from connections.models import Connection

from ..models import AcquisitionBatch, Record, RecordProvenance
from ..receipt_changes import NOTE
from .recount import recount_summaries
from .set_aside import note_rewrite

ID_CHUNK = 500  # ids per IN (...) list
UPDATE_CHUNK = 500  # records per bulk update




@dataclass(frozen=True)
class Changes:
    changed: int = 0  # held records updated in place (moved, renamed, cancelled in the source)
    gone: int = 0  # held records the snapshot no longer gives, removed
    moved: int = 0  # held records the source gives as before, placed anew in the owner's new zone
    reader_from: str = ""  # the older reader of the last pull, when this one read the source again

    def as_dict(self) -> dict:
        said = {"changed": self.changed, "gone": self.gone}
        if self.moved:
            said["moved"] = self.moved
        if self.reader_from:
            said["reader_from"] = self.reader_from
        return said


def bring_up_to_date(
    batch: AcquisitionBatch,
    records: Iterable[ParsedRecord],
    span: tuple[datetime, datetime] | None,
    now: datetime,
    *,
    before: Iterable[ParsedRecord] | None = None,
    reader_from: str = "",
) -> Changes:
    """Bring the records ``batch``'s lane holds up to the snapshot ``records`` (see the module doc).

    ``batch`` is committed and landed; the caller holds the connection lock in a transaction.
    ``span``: the event-time range the snapshot speaks for (``BatchFacts.snapshot``); None does nothing.
    ``before``: the same snapshot as the last pull placed it (in the owner's zone then), when the zone
    changed since; ``reader_from``: the older reader the last pull was read by, when it was.
    """
    if span is None:
        return Changes()
    given, placed = _by_key(records), _by_key(before) if before is not None else None
    held = (
        Record.objects.filter(
            connection_id=batch.connection_id,
            first_batch__method=batch.method,
            first_batch__status=AcquisitionBatch.Status.COMMITTED,
        )
        .exclude(first_batch_id=batch.pk)
        .only("stream", "key", "event_at", "payload")
    )
    updated: list[Record] = []
    changed = moved = 0
    absent: list[int] = []
    left: list[int] = []  # days a record no longer touches in the new zone
    for record in held.iterator(chunk_size=2000):
        key = (record.stream, record.key)
        fresh = given.get(key)
        as_before = placed is not None and key in placed and _same(record, placed[key])
        if fresh is None:
            if as_before:
                left.append(record.pk)
            elif span[0] <= record.event_at <= span[1]:
                absent.append(record.pk)
            continue
        if not _same(record, fresh):
            moved, changed = (moved + 1, changed) if as_before else (moved, changed + 1)
            record.event_at, record.payload = fresh.event_at, _stored(fresh)
            updated.append(record)
    gone = _remove(absent, batch.method)
    moved += _remove(left, batch.method)
    Record.objects.bulk_update(updated, ["event_at", "payload"], batch_size=UPDATE_CHUNK)
    changes = Changes(changed=changed, gone=gone, moved=moved, reader_from=reader_from)
    if updated or absent or left:
        connection = Connection.objects.select_for_update().get(pk=batch.connection_id)
        note_rewrite(connection)
        recount_summaries(connection, batch, now)
    _note(batch, changes)
    return changes


def _by_key(records: Iterable[ParsedRecord]) -> dict[tuple[str, str], ParsedRecord]:
    given: dict[tuple[str, str], ParsedRecord] = {}
    for record in records:  # the first of a key wins, as in staging
        given.setdefault((record.stream, clean_key(record.key)), record)
    return given


def _stored(record: ParsedRecord) -> dict:
    """The payload as the database gives it back (JSON-clean)."""
    return orjson.loads(payload_json(record.payload))


def _same(held: Record, record: ParsedRecord) -> bool:
    return held.event_at == record.event_at and held.payload == _stored(record)


def _note(batch: AcquisitionBatch, changes: Changes) -> None:
    """What the pull brought up to date, on its batch: a note the receipt reads, and the pipeline's options."""
    note = {"kind": NOTE, "position": None, "detail": "", "changed": changes.changed, "gone": changes.gone,
            "moved": changes.moved, "reader_from": changes.reader_from}
    batch.warnings = [*(w for w in batch.warnings or () if w.get("kind") != NOTE), note]
    batch.options = {**(batch.options or {}), "snapshot": changes.as_dict()}
    AcquisitionBatch.objects.filter(pk=batch.pk).update(options=batch.options, warnings=batch.warnings)


def _remove(ids: list[int], method: str) -> int:
    """Remove the records ``ids`` that no other lane delivered too; returns how many went."""
    gone = 0
    for start in range(0, len(ids), ID_CHUNK):
        chunk = ids[start : start + ID_CHUNK]
        kept = set(
            RecordProvenance.objects.filter(record_id__in=chunk).exclude(method=method).values_list("record_id", flat=True)
        )
        going = [i for i in chunk if i not in kept]
        RecordProvenance.objects.filter(record_id__in=going).delete()
        gone += Record.objects.filter(pk__in=going).delete()[1].get(Record._meta.label, 0)
    return gone
