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

Earlier batches keep their receipts: what they delivered then is what they said. The pull's own
batch says how many held records it changed and removed (``options["snapshot"]``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import orjson

from connections.connectors.base import ParsedRecord, clean_key, payload_json
from connections.models import Connection

from ..models import AcquisitionBatch, Record, RecordProvenance
from .recount import recount_summaries
from .set_aside import note_rewrite

ID_CHUNK = 500  # ids per IN (...) list
UPDATE_CHUNK = 500  # records per bulk update


@dataclass(frozen=True)
class Changes:
    changed: int = 0  # held records updated in place (moved, renamed, cancelled)
    gone: int = 0  # held records the snapshot no longer gives, removed

    def as_dict(self) -> dict:
        return {"changed": self.changed, "gone": self.gone}


def bring_up_to_date(
    batch: AcquisitionBatch, records: Iterable[ParsedRecord], span: tuple[datetime, datetime] | None, now: datetime
) -> Changes:
    """Bring the records ``batch``'s lane holds up to the snapshot ``records`` (see the module doc).

    ``batch`` is committed and landed; the caller holds the connection lock in a transaction.
    ``span``: the event-time range the snapshot speaks for (``BatchFacts.snapshot``); None does nothing.
    """
    if span is None:
        return Changes()
    given: dict[tuple[str, str], ParsedRecord] = {}
    for record in records:  # the first of a key wins, as in staging
        given.setdefault((record.stream, clean_key(record.key)), record)
    held = (
        Record.objects.filter(
            connection_id=batch.connection_id,
            first_batch__method=batch.method,
            first_batch__status=AcquisitionBatch.Status.COMMITTED,
        )
        .exclude(first_batch_id=batch.pk)
        .only("stream", "key", "event_at", "payload")
    )
    changed: list[Record] = []
    absent: list[int] = []
    for record in held.iterator(chunk_size=2000):
        fresh = given.get((record.stream, record.key))
        if fresh is None:
            if span[0] <= record.event_at <= span[1]:
                absent.append(record.pk)
            continue
        payload = orjson.loads(payload_json(fresh.payload))
        if record.event_at != fresh.event_at or record.payload != payload:
            record.event_at, record.payload = fresh.event_at, payload
            changed.append(record)
    gone = _remove(absent, batch.method)
    Record.objects.bulk_update(changed, ["event_at", "payload"], batch_size=UPDATE_CHUNK)
    changes = Changes(changed=len(changed), gone=gone)
    if changes.changed or changes.gone:
        connection = Connection.objects.select_for_update().get(pk=batch.connection_id)
        note_rewrite(connection)
        recount_summaries(connection, batch, now)
    batch.options = {**(batch.options or {}), "snapshot": changes.as_dict()}
    AcquisitionBatch.objects.filter(pk=batch.pk).update(options=batch.options)
    return changes


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
