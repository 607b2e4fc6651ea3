"""Measuring staged records and landing them in ``Record``, with provenance and coverage summaries.

The preview and the commit share ``measure_staged``: what landing the staged rows would add,
from SQL aggregates over staging. Landing comes in two shapes on one set of statements:

- ``land`` moves all of a batch's staged rows in the caller's transaction and updates the
  summaries (live pushes and pulls: small batches).
- An export's commit lands the rows of one ``Span`` at a time (``chunks.land_chunk``), each in
  its own short transaction under the connection lock.

The caller holds the connection lock (``select_for_update``) inside a transaction whenever it
calls anything here that writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from datetime import datetime
from itertools import chain

from django.db import IntegrityError, transaction
from django.db import connection as db

from ..models import AcquisitionBatch, CoverageSummary, Record, RecordProvenance
from . import slots, summaries
from .measures import Landed, Measure, Round
from .pg_tuning import key_order_join
from .spans import Span
from .sqlite_tuning import small_sorts, unchecked_json
from .staging import STAGING_TABLE, drop_staging, quote
from .summaries import (
    day_text,
    earliest_of,
    gaps,
    latest_of,
    merge_counts,
    merge_sources,
    stream_slot,
)

# The value types (``measures``) and the day and count helpers (``summaries``), re-exported for
# the pipeline's other modules.
__all__ = ["Landed", "Measure", "Round", "day_text", "earliest_of", "gaps", "latest_of", "merge_counts", "merge_sources"]


# --- measuring (preview and commit share it) -------------------------------------------------------
def _sql_names() -> dict:
    return {
        "S": quote(STAGING_TABLE),
        "R": quote(Record._meta.db_table),
        "P": quote(RecordProvenance._meta.db_table),
        "B": quote(AcquisitionBatch._meta.db_table),
        "key": quote("key"),
    }


def _staged_first() -> str:
    """The join from staged rows to the source's records, walking the staged rows (of a span) first.

    SQLite otherwise may walk every record the source holds in the stream and look each up
    in staging: for a chunked commit that is all the held records for every chunk (a re-import
    of 1M points with 5 % new took 8.7x the first import's commit). ``CROSS JOIN`` is SQLite's
    way to fix the order; PostgreSQL plans the join itself.
    """
    return "CROSS JOIN" if db.vendor == "sqlite" else "JOIN"


def holds_records(connection_id: int) -> bool:
    """Whether the connection holds any record (else every staged row is new: no lookups)."""
    n = _sql_names()
    with db.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {n['R']} WHERE connection_id = %s LIMIT 1", [connection_id])
        return cursor.fetchone() is not None


def holds_in_span(connection_id: int, span: Span) -> bool:
    """Whether the connection holds a record whose key lies in ``span``: one walk of the records'
    key index, ordered as the index is (else PostgreSQL may scan the records for one that matches)."""
    n = _sql_names()
    where, params = span.sql("r")
    with db.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {n['R']} r WHERE r.connection_id = %s{where} ORDER BY r.stream, r.{n['key']} LIMIT 1",
            [connection_id, *params],
        )
        return cursor.fetchone() is not None


GroupNote = Callable[[int, str, int | None], None]
"""Told each group of held staged rows a measure finds: ``note(day, media, first batch or None)``."""


def measure_staged(
    batch_id: int,
    connection_id: int,
    span: Span | None = None,
    *,
    held: bool | None = None,
    by_slot: bool = True,
    note: GroupNote | None = None,
    rows: int | None = None,
) -> Measure:
    """What landing the staged records (of ``span``, or all) would add, from one SQL aggregate.

    One pass groups the staged rows by (day, slot, stream, media) and counts the new ones. When
    the connection holds records, the same pass looks each staged key up once (grouped by the
    batch that first brought the held record too): new rows and the earlier batches that hold
    the others come out together. ``held=False`` says the caller knows the
    connection holds none of these keys. ``by_slot=False`` when the caller needs no count per
    slot (``Measure.slot_counts`` and ``slots`` stay empty): the groups are days, not hours, and
    a chat spread thin over years has nearly a group per message by the hour. Slots with media
    missing are still found. ``note``, when the connection holds records, is told the day, media
    and holder of each group (``set_aside.KeptDays``: the preview's plan). ``rows``: about how
    many rows are staged, when the caller knows (``_in_key_order``).
    """
    n = _sql_names()
    where, span_params = (span or Span()).sql()
    tz = slots.zone_for_connection(connection_id)
    measure = Measure(slot_minutes=slots.minutes_for(tz), zone=tz, by_slot=by_slot)
    held_by: dict[int, int] = {}
    with db.cursor() as cursor:
        measure.held = holds_records(connection_id) if held is None else held
        with small_sorts(cursor):
            joined = measure.held and span is None and _in_key_order(connection_id, rows)
            sql = _groups_sql(n, where, measure.held, measure.slot_minutes if by_slot else None, joined)
            if measure.held:
                with key_order_join() if joined else nullcontext():
                    cursor.execute(sql, [connection_id, batch_id, *span_params])
                add_groups(measure, held_apart(_fetched(cursor), held_by, batch_id, note, measure.new_reach))
            else:
                cursor.execute(sql, [batch_id, *span_params])
                add_groups(measure, _fetched(cursor))
        if not by_slot and any(measure.staged_media.get(m) for m in ("missing", "omitted")):
            cursor.execute(
                f"SELECT DISTINCT {slots.slot_sql('s.event_at', measure.slot_minutes)} FROM {n['S']} s "
                f"WHERE s.batch_id = %s{where} AND s.media IN ('missing', 'omitted')",
                [batch_id, *span_params],
            )
            measure.media_slots = sorted(key for (key,) in cursor.fetchall())
    measure.duplicate_sources = duplicate_sources_of(sorted(held_by.items()))
    return measure


# PostgreSQL: a measure of all of a batch's staged rows joins them with the source's records in
# key order once they number at least 1/KEY_ORDER_SHARE of the records. A re-import of 1M points
# (1,044,750 staged rows, 995,000 records) was measured in 3.25 s key by key (3 µs a key), in
# 1.45–1.49 s in key order; a file far smaller than the source is still looked up key by key.
KEY_ORDER_SHARE = 4


def _in_key_order(connection_id: int, rows: int | None) -> bool:
    """PostgreSQL: whether a measure of ``rows`` staged rows walks the source's records in key order
    (``pg_tuning.key_order_join``) rather than look each staged key up. The planner cannot tell:
    right after an import its statistics still count the records and staging held before."""
    if db.vendor != "postgresql" or rows is None:
        return False
    held = CoverageSummary.objects.filter(connection_id=connection_id).values_list("record_count", flat=True).first()
    return rows * KEY_ORDER_SHARE >= (held or 0)


def _groups_sql(n: dict, where: str, held: bool, slot_minutes: int | None, joined: bool = False) -> str:
    """``measure_staged``'s one aggregate: rows (day, slot, stream, media, count, new count or first batch).

    Rows are grouped by a cheap cut of their instant, one a slot, named as slots once a group
    (``slots.cut_sql``); ``slot_minutes`` None: by day, the slot NULL. ``held``: a scalar subquery
    looks each staged key up, not a join: one index lookup a staged row whatever the planner's
    statistics say (PostgreSQL, with statistics of emptier tables, chose to scan the records for a
    join while holding the connection lock). ``joined``: a join with the source's records instead,
    for ``key_order_join`` (``_in_key_order``). Parameters: (connection if ``held``,) batch, then
    ``where``'s.
    """
    by_slot = slot_minutes is not None
    cut = slots.cut_sql("s.event_at", slot_minutes) if by_slot else "NULL"
    slot = slots.slot_of_cut_sql("g.cut", slot_minutes) if by_slot else "NULL"
    if held:
        match = f"r.connection_id = %s AND r.stream = s.stream AND r.{n['key']} = s.{n['key']}"
        if joined:
            first, rows = "r.first_batch_id", f"{n['S']} s LEFT JOIN {n['R']} r ON {match}"
        else:
            first, rows = f"(SELECT r.first_batch_id FROM {n['R']} r WHERE {match})", f"{n['S']} s"
        return (
            f"SELECT g.day, {slot}, g.stream, g.media, COUNT(*), g.first_batch, MIN(g.at), MAX(g.at) "
            f"FROM (SELECT s.event_day AS day, {cut} AS cut, s.stream AS stream, s.media AS media, "
            f"s.event_at AS at, {first} AS first_batch FROM {rows} WHERE s.batch_id = %s{where}) g "
            "GROUP BY g.day, g.cut, g.stream, g.media, g.first_batch ORDER BY g.day"
        )
    grouped = f"s.event_day, {cut}, s.stream, s.media" if by_slot else "s.event_day, s.stream, s.media"
    return (
        f"SELECT s.event_day, {slots.slot_of_cut_sql(cut, slot_minutes) if by_slot else 'NULL'}, s.stream, "
        f"s.media, COUNT(*), COUNT(*) FROM {n['S']} s WHERE s.batch_id = %s{where} GROUP BY {grouped} "
        "ORDER BY s.event_day"
    )


def held_apart(
    rows: Iterable[tuple], held_by: dict[int, int], batch_id: int, note: GroupNote | None = None,
    new_reach: list | None = None,
) -> Iterator[tuple]:
    """Groups ``(day, slot, stream, media, count, first batch or None[, first instant, last instant])`` as
    ``add_groups`` takes them (``count`` new where no record holds the key), counting into ``held_by`` the rows
    each earlier batch holds, and widening ``new_reach`` ([first, last]) to the new groups' instants."""
    for day, slot, stream, media, count, first, *reach in rows:
        if note is not None:
            note(day, media, first)
        if first is None:
            if reach and new_reach is not None:
                widen(new_reach, *reach)
            yield day, slot, stream, media, count, count
            continue
        if first != batch_id:  # a record this batch itself wrote is neither new nor an earlier one's
            held_by[int(first)] = held_by.get(int(first), 0) + int(count)
        yield day, slot, stream, media, count, 0


def widen(reach: list, first, last) -> None:
    """Widen ``reach`` ([first, last], or empty) to hold ``first`` and ``last``."""
    if not reach:
        reach += [first, last]
        return
    if first < reach[0]:
        reach[0] = first
    if last > reach[1]:
        reach[1] = last


GROUPS_FETCHED = 10_000  # rows of a grouped result held at once (a long chat has a group per hour)


def _fetched(cursor) -> Iterator[tuple]:
    """The rows of the cursor's result, ``GROUPS_FETCHED`` at a time: never the whole result as one list."""
    while rows := cursor.fetchmany(GROUPS_FETCHED):
        yield from rows


def add_groups(measure: Measure, rows: Iterable[tuple]) -> None:
    """Add the (day, slot, stream, media, staged, new) groups, in day order, to ``measure``."""
    last = None
    day_new = day_media = 0
    media_slots: set[str] = set()
    held_slots: set[str] = set()
    for ordinal, slot, stream, media, count, fresh in chain(rows, [(None, "", "", "", 0, 0)]):
        if ordinal != last:
            if last is not None:
                measure.days.append(last)
                if day_new:
                    measure.day_counts[day_text(last)] = day_new
                if day_media:
                    measure.media_days.append(day_text(last))
            last, day_new, day_media = ordinal, 0, 0
        if ordinal is None:
            break
        count, fresh = int(count or 0), int(fresh or 0)
        measure.staged += count
        measure.accepted += fresh
        day_new += fresh
        if slot is not None:  # grouped by slot (``measure_staged``'s ``by_slot``)
            held_slots.add(slot)
            if fresh:
                key = stream_slot(slot, stream)
                measure.slot_counts[key] = measure.slot_counts.get(key, 0) + fresh
        if media:
            measure.staged_media[media] = measure.staged_media.get(media, 0) + count
            if media in ("missing", "omitted"):
                day_media += count
                if slot is not None:
                    media_slots.add(slot)
            if fresh:
                measure.new_media[media] = measure.new_media.get(media, 0) + fresh
    if measure.by_slot:
        measure.media_slots = sorted(media_slots)
    measure.slots = list(held_slots)
    held_slots.clear()  # not a set and a sorted copy of it at once
    measure.slots.sort()


def duplicate_sources_of(held_by: list[tuple[int, int]]) -> list[dict]:
    """The earlier batches that hold staged records, with how many, when each was committed, and its file."""
    if not held_by:
        return []
    known = {pk: (at, name, method) for pk, at, name, method in AcquisitionBatch.objects.filter(
        pk__in=[b for b, _ in held_by]).values_list("pk", "committed_at", "artifact_filename", "method")}
    return [
        {
            "batch_id": b,
            "count": count,
            "committed_at": known[b][0].isoformat() if known.get(b, (None,))[0] else None,
            "filename": known.get(b, (None, ""))[1] or "",
            "method": known.get(b, (None, "", ""))[2] or "",
        }
        for b, count in held_by
    ]


# --- landing -------------------------------------------------------------------------------------
def land_rows(batch: AcquisitionBatch, measure: Measure, span: Span | None = None) -> Landed:
    """Move staged rows (of ``span``, or all) into ``Record``, with provenance for held ones.

    ``measure`` is ``measure_staged`` of the same rows, taken under the same lock.
    """
    rows = _Rows(batch, span or Span())
    with db.cursor() as cursor:
        held_slots = _add_provenance(cursor, rows, measure)  # before the new records exist
        accepted, new_days, new_slots = _insert_records(cursor, rows, measure)
        upgraded = _upgrade_media(cursor, rows, measure)
    return Landed(
        accepted=accepted,
        measure=measure,
        lane_days=merge_counts(held_slots, new_slots),
        new_days=new_days,
        upgraded=upgraded,
    )


class _Rows:
    """The staged rows of one batch (and span) being landed: table names and SQL conditions."""

    def __init__(self, batch: AcquisitionBatch, span: Span):
        self.n = _sql_names()
        self.where, self.params = span.sql()
        self.batch_id, self.connection_id, self.method = batch.pk, batch.connection_id, batch.method


def _add_provenance(cursor, rows: _Rows, measure: Measure) -> dict[str, int]:
    """Provenance rows for held records this lane delivers for the first time; returns them per slot.

    A record's first delivery is the record itself (``first_batch``, whose method is the first
    lane); a held record gains a provenance row when it arrived before only through other
    methods. Run before the new records exist, so the join sees only the held ones.
    """
    if measure.staged <= measure.accepted:
        return {}
    n, method = rows.n, rows.method
    held_source = (
        f"FROM {n['S']} s {_staged_first()} {n['R']} r "
        f"ON r.connection_id = %s AND r.stream = s.stream AND r.{n['key']} = s.{n['key']} "
        f"JOIN {n['B']} b ON b.id = r.first_batch_id "
        f"WHERE s.batch_id = %s{rows.where} AND b.method <> %s AND NOT EXISTS "
        f"(SELECT 1 FROM {n['P']} p WHERE p.record_id = r.id AND p.method = %s)"
    )
    source_params = [rows.connection_id, rows.batch_id, *rows.params, method, method]
    insert = (f"INSERT INTO {n['P']} (record_id, batch_id, method) SELECT r.id, %s, %s {held_source} "
              "ON CONFLICT (record_id, batch_id) DO NOTHING")
    if not measure.by_slot:  # the caller counts per slot itself (``chunks.delivered``)
        cursor.execute(insert, [rows.batch_id, method, *source_params])
        return {}
    slot = slots.slot_sql("s.event_at", measure.slot_minutes)
    with small_sorts(cursor):
        cursor.execute(f"SELECT {slot}, s.stream, COUNT(*) {held_source} GROUP BY {slot}, s.stream", source_params)
        held_days = {stream_slot(key, stream): int(count) for key, stream, count in cursor.fetchall()}
    if held_days:
        cursor.execute(insert, [rows.batch_id, method, *source_params])
    return held_days


def _insert_records(cursor, rows: _Rows, measure: Measure) -> tuple[int, dict[str, int], dict[str, int]]:
    """Insert the staged rows the connection does not hold; returns how many, per day and per slot.

    ON CONFLICT skips the held records: the same test as NOT EXISTS, without a second lookup.
    When none of these keys is held (the caller knows the connection holds no record, or
    ``measure`` found none of them), staging's own key (batch, stream, key) already makes every
    row distinct: a plain INSERT (PostgreSQL otherwise inserts each row speculatively: a chunk
    landed after a phone's push took a third longer). Should a record have come in since the
    measure after all, that INSERT is taken back and ON CONFLICT lands the rows instead.
    """
    n, batch_id = rows.n, rows.batch_id
    cursor.execute(f"SELECT MAX(id) FROM {n['R']}")
    before = cursor.fetchone()[0] or 0
    insert = (
        f"INSERT INTO {n['R']} (connection_id, stream, {n['key']}, event_at, payload, media, first_batch_id) "
        f"SELECT %s, s.stream, s.{n['key']}, s.event_at, s.payload, s.media, %s FROM {n['S']} s "
        f"WHERE s.batch_id = %s{rows.where}"
    )
    params = [rows.connection_id, batch_id, batch_id, *rows.params]
    conflict = f" ON CONFLICT (connection_id, stream, {n['key']}) DO NOTHING"
    with unchecked_json(cursor):  # payloads orjson wrote into staging
        if not measure.held:
            cursor.execute(insert, params)
        elif measure.accepted < measure.staged:
            cursor.execute(insert + conflict, params)
        else:
            try:
                with transaction.atomic():
                    cursor.execute(insert, params)
            except IntegrityError:
                cursor.execute(insert + conflict, params)
        accepted = max(cursor.rowcount, 0)
    if accepted == measure.accepted:
        return accepted, measure.day_counts, measure.slot_counts
    # Not under the lock: count the inserted records to be exact.
    slot = slots.slot_sql("s.event_at", measure.slot_minutes)
    cursor.execute(
        f"SELECT s.event_day, {slot}, s.stream, COUNT(*) FROM {n['S']} s JOIN {n['R']} r "
        f"ON r.connection_id = %s AND r.stream = s.stream AND r.{n['key']} = s.{n['key']} "
        f"WHERE s.batch_id = %s{rows.where} AND r.first_batch_id = %s AND r.id > %s GROUP BY s.event_day, {slot}, s.stream",
        [rows.connection_id, batch_id, *rows.params, batch_id, before],
    )
    per_day: dict[str, int] = {}
    per_slot: dict[str, int] = {}
    for ordinal, key, stream, count in cursor.fetchall():
        per_day[day_text(ordinal)] = per_day.get(day_text(ordinal), 0) + int(count)
        per_slot[stream_slot(key, stream)] = per_slot.get(stream_slot(key, stream), 0) + int(count)
    return accepted, per_day, per_slot


def _upgrade_media(cursor, rows: _Rows, measure: Measure) -> dict[str, int]:
    """A re-export that now carries the media fills in what an earlier one lacked; returns how many."""
    n = rows.n
    upgraded = {"missing": 0, "omitted": 0}
    upgrading = measure.staged_media.get("attached") and measure.staged > measure.accepted
    for state in ("missing", "omitted") if upgrading else ():
        cursor.execute(
            f"UPDATE {n['R']} SET media = 'attached' WHERE connection_id = %s AND media = %s AND EXISTS "
            f"(SELECT 1 FROM {n['S']} s WHERE s.batch_id = %s{rows.where} AND s.stream = {n['R']}.stream "
            f"AND s.{n['key']} = {n['R']}.{n['key']} AND s.media = 'attached')",
            [rows.connection_id, state, rows.batch_id, *rows.params],
        )
        upgraded[state] = max(cursor.rowcount, 0)
    return upgraded


def land(batch: AcquisitionBatch, round_: Round, now: datetime, *, new_batch: bool) -> Landed:
    """Move all of the batch's staged records into ``Record``; update provenance and summaries.

    The caller holds the connection lock inside a transaction. Staging rows are dropped.
    """
    landed = land_rows(batch, measure_staged(batch.pk, batch.connection_id))
    update_summaries(batch, round_, now, new_batch=new_batch, landed=landed)
    drop_staging(batch.pk, landed=True)
    return landed


def update_summaries(batch: AcquisitionBatch, round_: Round, now: datetime, *, new_batch: bool, landed: Landed) -> None:
    """The lane and coverage summaries take what ``landed`` added (the caller holds the lock)."""
    summaries.update_lane(batch, round_, now, new_batch=new_batch, landed=landed)
    summaries.update_summary(batch, round_, now, landed=landed)
