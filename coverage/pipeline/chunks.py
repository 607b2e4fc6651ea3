"""A commit in chunks: an export's staged rows land ``LAND_CHUNK`` at a time, each chunk its own transaction.

Each chunk is one short transaction under the connection lock (``commit._land_committing``), so a
phone pushing to the same source never waits long for a million-row import. What the chunks
landed adds up in a ``Tally`` kept on the batch (``AcquisitionBatch.landing``), so a killed
commit resumes where it stopped; the coverage summaries move only with the last chunk, in the
same transaction as the status ``committed``. That is what keeps a commit atomic to the owner:
every surface reads the summaries, and records of a batch still ``committing`` count nowhere.
(Code that reads ``Record`` directly must skip records whose ``first_batch`` is not committed.)

The tally holds only what stays small whatever the file covers. The counts per UTC day and per
slot (an hour: a chat that spans decades has hundreds of thousands) are counted once, from the
records and provenance rows the chunks wrote, once the last chunk has landed (``delivered``,
without the connection lock); the tally never carries them from chunk to chunk (issue 15: a
77-year chat rewrote 8 MB of them for every chunk). A first import whose slots are few lands
every chunk as new records: this process counts them per slot as it measures each chunk
(``SlotCounts``, in memory, never saved) and the records need not be grouped again.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from django.db import connection as db

from ..models import AcquisitionBatch, Record, RecordProvenance
from . import slots
from .held_keys import max_record_id, others_landed
from .landing import (
    Landed,
    Measure,
    holds_in_span,
    holds_records,
    land_rows,
    measure_staged,
)
from .spans import drop_span, next_span
from .sqlite_tuning import small_sorts
from .staging import quote
from .summaries import (
    DeliveredSlots,
    merge_counts,
    merge_sources,
    new_delivered_table,
    sorted_union,
)

LAND_CHUNK = 20_000  # staged rows per commit transaction: about a tenth of a second of writing


@dataclass
class Tally:
    """What the chunks of one commit have landed so far; saved on the batch between chunks."""

    after: list[str] | None = None  # (stream, key) of the last staged row landed
    landed_all: bool = False  # every staged row has landed: only the counting and the summaries remain
    exclusive: bool = False  # the connection held no record when landing began, nor got one from elsewhere
    began_id: int = 0  # the highest record id before the first chunk: the batch's records lie above it
    last_id: int = 0  # the highest record id after the previous chunk
    accepted: int = 0
    staged: int = 0
    # Slots with media missing, for the lane's ``media_days``. Not the days of the records, nor those
    # with media missing: the commit needs neither (the preview put them on the batch), and a long
    # chat's were loaded and saved again with every chunk.
    media_slots: list[str] = field(default_factory=list)
    new_media: dict[str, int] = field(default_factory=dict)
    staged_media: dict[str, int] = field(default_factory=dict)
    duplicate_sources: list[dict] = field(default_factory=list)
    upgraded: dict[str, int] = field(default_factory=lambda: {"missing": 0, "omitted": 0})

    @classmethod
    def load(cls, batch: AcquisitionBatch) -> Tally:
        if batch.landing:
            known = {f.name for f in fields(cls)}  # a tally an older Ownerhub saved may hold more
            return cls(**{k: v for k, v in batch.landing.items() if k in known})
        top = max_record_id()
        return cls(exclusive=not holds_records(batch.connection_id), began_id=top, last_id=top)

    def add(self, landed: Landed) -> None:
        m = landed.measure
        self.accepted += landed.accepted
        self.staged += m.staged
        self.media_slots = sorted_union(self.media_slots, m.media_slots)
        self.new_media = merge_counts(self.new_media, m.new_media)
        self.staged_media = merge_counts(self.staged_media, m.staged_media)
        self.duplicate_sources = merge_sources(self.duplicate_sources, m.duplicate_sources)
        self.upgraded = merge_counts(self.upgraded, landed.upgraded)

    def as_landed(self) -> Landed:
        """The whole commit as one landing, for the summaries and the batch's counts.

        What it wrote per day and per slot stays in the database (``delivered``): ``day_counts``
        and ``lane_days`` are empty.
        """
        tallied = {name: getattr(self, name) for name in _TALLIED}
        return Landed(self.accepted, Measure(held=not self.exclusive, **tallied), upgraded=self.upgraded)


# The measures a tally adds up over the chunks, under the same names.
_TALLIED = ("accepted", "media_slots", "duplicate_sources", "new_media", "staged", "staged_media")


def delivered(batch: AcquisitionBatch, began_id: int = 0) -> DeliveredSlots:
    """What the batch's chunks wrote, counted into a temporary table (``summaries.DeliveredSlots``):
    per slot and stream, the records it brought first (which are also its new records per day) and
    those its lane delivered.

    A record the batch brought first counts on both; a held record it brought again through
    its lane (a provenance row of the batch) on the second only, as ``landing.land_rows`` counts
    them. ``began_id``: every record of the batch has a higher id (the id index bounds the scan).
    The slots (an hour each: a long chat has hundreds of thousands) stay in the database.
    """
    r, p = quote(Record._meta.db_table), quote(RecordProvenance._meta.db_table)
    minutes = slots.minutes_for_connection(batch.connection_id)
    # Rows grouped by a cheap cut of their instant, one a slot, named as slots once a group (``slots.cut_sql``).
    cut, slot = slots.cut_sql("r.event_at", minutes), slots.slot_of_cut_sql("g.cut", minutes)
    with db.cursor() as cursor, small_sorts(cursor):
        table = new_delivered_table(cursor)
        cursor.execute(
            f"INSERT INTO {table} (batch_id, slot, stream, fresh, total) SELECT %s, {slot}, g.stream, g.n, g.n "
            f"FROM (SELECT {cut} AS cut, r.stream AS stream, COUNT(*) AS n FROM {r} r WHERE r.id > %s "
            f"AND r.connection_id = %s AND r.first_batch_id = %s GROUP BY {cut}, r.stream) g",
            [batch.pk, began_id, batch.connection_id, batch.pk],
        )
        cursor.execute(
            f"INSERT INTO {table} (batch_id, slot, stream, fresh, total) SELECT %s, {slot}, g.stream, 0, g.n "
            f"FROM (SELECT {cut} AS cut, r.stream AS stream, COUNT(*) AS n FROM {p} p JOIN {r} r ON r.id = p.record_id "
            f"WHERE p.batch_id = %s GROUP BY {cut}, r.stream) g",
            [batch.pk, batch.pk],
        )
        cursor.execute(f"SELECT COALESCE(SUM(total), 0) FROM {table} WHERE batch_id = %s", [batch.pk])
        return DeliveredSlots(batch.pk, int(cursor.fetchone()[0]))


MOST_SLOTS_COUNTED = 200_000  # (slot, stream) counts one commit keeps in memory (some 20 MB at most)


class SlotCounts:
    """The new records per slot and stream of the chunks this process lands, counted as each
    chunk is measured, so the commit's end need not group every record again (``delivered``:
    0.96 s for a million records on SQLite, where a whole 1M-point commit now takes about 3 s).

    Only while the chunks this process lands are the whole commit and every row of each landed
    as a new record (none was held, so none gained provenance or media), and only for a file
    whose slots are few enough to count a chunk by slot cheaply. Otherwise, or past
    ``MOST_SLOTS_COUNTED`` keys, it gives up and ``delivered`` counts from the records as
    before: a resumed commit (a killed worker) always does, a re-import nearly always.
    """

    def __init__(self, batch: AcquisitionBatch, tally: Tally):
        whole = tally.after is None and not tally.landed_all and not tally.staged
        self.counts: dict[str, int] | None = {} if whole and _few_slots(batch) else None

    @property
    def counting(self) -> bool:
        return self.counts is not None

    def add(self, measure: Measure, landed: Landed) -> None:
        """Count a chunk measured by slot; give up unless all its rows landed as new records."""
        if self.counts is None:
            return
        if landed.accepted != measure.staged or landed.accepted != measure.accepted:
            self.counts = None
            return
        counts = self.counts
        for key, n in measure.slot_counts.items():
            counts[key] = counts.get(key, 0) + n
        if len(counts) > MOST_SLOTS_COUNTED:
            self.counts = None

    def give_up(self) -> None:
        self.counts = None

    def delivered(self, batch: AcquisitionBatch) -> DeliveredSlots | None:
        """The counts in ``DELIVERED_TABLE``, as ``delivered`` leaves them; None when it gave up."""
        if self.counts is None:
            return None
        rows = [(batch.pk, *key.split("~", 1), n, n) for key, n in self.counts.items()]
        with db.cursor() as cursor:
            table = new_delivered_table(cursor)
            cursor.executemany(f"INSERT INTO {table} (batch_id, slot, stream, fresh, total) "
                               "VALUES (%s, %s, %s, %s, %s)", rows)
        return DeliveredSlots(batch.pk, sum(self.counts.values()))


def _few_slots(batch: AcquisitionBatch) -> bool:
    """Whether the file's time span holds at most ``MOST_SLOTS_COUNTED`` slots (a chat over decades
    has nearly a group a message by the hour: counting those chunk by chunk costs more)."""
    if batch.event_earliest is None or batch.event_latest is None:
        return False
    per_hour = 60 // slots.minutes_for_connection(batch.connection_id)
    hours = (batch.event_latest - batch.event_earliest).total_seconds() / 3600 + 1
    return hours * per_hour <= MOST_SLOTS_COUNTED


def land_chunk(batch: AcquisitionBatch, tally: Tally, size: int | None = None,
               counts: SlotCounts | None = None) -> bool:
    """Land the next ``size`` (``LAND_CHUNK``) staged rows of ``batch`` into ``tally``; returns whether none remain.

    The caller holds the connection lock inside a transaction and saves ``tally`` on the batch
    in the same transaction. The landed staged rows are deleted as they land. ``counts``, while
    counting, is given the chunk's new records per slot (``SlotCounts``).
    """
    after = tuple(tally.after) if tally.after else None
    span = next_span(batch.pk, after, size or LAND_CHUNK)
    if span is None:
        return True  # nothing staged follows ``after`` (an empty staging)
    if tally.exclusive and others_landed(batch.connection_id, tally.last_id):
        tally.exclusive = False  # a push or another import wrote to this connection between chunks
    # Records written by others (a phone's pushes) seldom fall in this span's keys: when none does,
    # no staged key is looked up and the rows go in with a plain INSERT.
    held = not tally.exclusive and holds_in_span(batch.connection_id, span)
    # By slot only while ``counts`` counts; else ``delivered`` counts the slots once, from the
    # records, after the last chunk.
    by_slot = counts is not None and counts.counting
    measure = measure_staged(batch.pk, batch.connection_id, span, held=held, by_slot=by_slot)
    landed = land_rows(batch, measure, span)
    if counts is not None:
        counts.add(measure, landed)
    tally.add(landed)
    drop_span(batch.pk, span)
    tally.after = list(span.end)
    tally.last_id = max_record_id()
    return span.last


def tally_json(tally: Tally) -> dict:
    """The tally as the batch keeps it: its fields as they are (JSON copies them once; no deep copy first)."""
    return {f.name: getattr(tally, f.name) for f in fields(tally)}


def undo_landing(batch: AcquisitionBatch) -> None:
    """Remove what the chunks of a commit that failed for good had written (records, provenance).

    Media states that a chunk upgraded to ``attached`` stay: the file did carry that media.
    """
    r, p = quote(Record._meta.db_table), quote(RecordProvenance._meta.db_table)
    with db.cursor() as cursor:
        cursor.execute(f"DELETE FROM {p} WHERE batch_id = %s", [batch.pk])
        cursor.execute(f"DELETE FROM {r} WHERE connection_id = %s AND first_batch_id = %s", [batch.connection_id, batch.pk])
