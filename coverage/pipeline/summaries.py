"""Coverage summaries: the lane and connection rows every surface reads, moved in the landing's transaction.

``update_lane`` and ``update_summary`` add what one landing brought (``measures.Landed``); the
caller holds the connection lock. A lane counts its records and media-missing records per UTC
slot (``slots``: an hour, or a quarter hour), so the loader can tell the owner's days exactly;
holes are runs of the owner's empty days, each naming its zone (``holes``).

Media-missing days are a fact of the records' current media state, not a log: when a landing
fills in media an earlier import lacked (``Landed.upgraded``), ``refresh_media_days`` recomputes
them from the records, for the days the batch covers only (the upgraded records lie there).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from django.db import connection as db

from ..days import slot_start
from ..models import AcquisitionBatch, CoverageSummary, LaneSummary, Record, RecordProvenance
from ..words import local_date, zone_name
from . import slots
from .measures import Landed, Round
from .sqlite_tuning import sqlite_cache, unchecked_json
from .staging import quote


def day_text(ordinal: int) -> str:
    return date.fromordinal(ordinal).isoformat()


def gaps(days: list[int], longer_than: timedelta) -> list[dict]:
    """Runs of empty days between days that have records, longer than ``longer_than``."""
    found = []
    for before, after in zip(days, days[1:], strict=False):
        empty = after - before - 1
        if empty > 0 and timedelta(days=empty) > longer_than:
            found.append({"start": day_text(before + 1), "end": day_text(after - 1), "days": empty})
    return found


def owner_day_edges(keys: Iterable, tz: tzinfo | None) -> dict[int, tuple[datetime, datetime]]:
    """The owner's days (ordinals) holding a record, each with the span its records may lie in
    (the start of its first slot, the end of its last), from the keys of the days or slots that hold one.

    A slot key (``slots``: a UTC hour or quarter hour, ``"2023-11-20T10"``, with or without a
    ``~stream``) lies within one owner's day: exact. A UTC day (ISO text, or an ordinal; summaries
    written before slots) counts for every owner's day it touches, with the whole UTC day as its
    span, so an owner's day with a record never looks empty. ``tz`` ``None``: UTC days.
    """
    found: dict[int, tuple[datetime, datetime]] = {}

    def add(ordinal: int, begins: datetime, ends: datetime) -> None:
        if (known := found.get(ordinal)) is not None:
            begins, ends = min(known[0], begins), max(known[1], ends)
        found[ordinal] = (begins, ends)

    for key in keys or ():
        if isinstance(key, int):
            utc_day = date.fromordinal(key)
        else:
            text = str(key).partition("~")[0]
            if (slot := slot_start(text)) is not None:
                begins, length = slot
                add((local_date(begins, tz) if tz is not None else begins.date()).toordinal(), begins, begins + length)
                continue
            try:
                utc_day = date.fromisoformat(text[:10])
            except ValueError:
                continue
        begins = datetime.combine(utc_day, time(0), UTC)
        ends = begins + timedelta(days=1)
        if tz is None:
            add(utc_day.toordinal(), begins, ends)
            continue
        first, last = local_date(begins, tz), local_date(ends - timedelta(microseconds=1), tz)
        for ordinal in range(first.toordinal(), last.toordinal() + 1):
            add(ordinal, begins, ends)
    return found


def owner_day_ordinals(keys: Iterable, tz: tzinfo | None) -> set[int]:
    """The owner's days (ordinals) holding a record (``owner_day_edges``)."""
    return set(owner_day_edges(keys, tz))


def holes(keys: Iterable, manifest, tz: tzinfo | None = None) -> list[dict]:
    """The one rule for gaps, used by the preview, a push's receipt and the summaries alike.

    A gap exists only where the connector's manifest declares an expected density
    (``Manifest.hole_after``): a phone that records every few minutes has gaps when it goes
    quiet; a chat or a calendar has quiet days, not gaps. Gaps are runs of the owner's days
    (in ``tz``) with nothing recorded (``owner_day_edges``); each names its zone
    (``"zone"``, left out for UTC), and the instants its emptiness is known between
    (``"from"``: the end of the last slot before it, ``"until"``: the start of the first after),
    so ``coverage.days.owner_gaps`` reads it exactly in any zone later, also one the owner
    moves to after the import. Without ``tz``, runs of empty UTC days (as kept before).
    """
    if manifest.hole_after is None:
        return []
    edges = owner_day_edges(keys, tz)
    found = gaps(sorted(edges), manifest.hole_after)
    name = zone_name(tz)
    for gap in found:
        before = date.fromisoformat(gap["start"]).toordinal() - 1
        after = date.fromisoformat(gap["end"]).toordinal() + 1
        gap["from"], gap["until"] = edges[before][1].isoformat(), edges[after][0].isoformat()
        if name != "UTC":  # a hole without a zone is UTC days
            gap["zone"] = name
    return found


def update_lane(batch: AcquisitionBatch, round_: Round, now: datetime, *, new_batch: bool, landed: Landed,
                counted: DeliveredSlots | None = None) -> None:
    """Move the lane of ``batch`` by what ``landed`` brought; the counts per slot come from
    ``landed.lane_days``, or from ``counted`` (``chunks.delivered``: a whole commit's, held by the
    database). The lane's ``day_counts`` are merged by the database (``_merge_day_counts``):
    never loaded here, so a lane of a million hours costs no memory to move."""
    lane, _ = LaneSummary.objects.select_for_update().defer("day_counts").get_or_create(
        connection_id=batch.connection_id, method=batch.method
    )
    lane.batches += 1 if new_batch else 0
    lane.records += counted.records if counted else sum(landed.lane_days.values())  # each record once, on its slot
    lane.accepted += landed.accepted
    lane.earliest_event_at = earliest_of(lane.earliest_event_at, round_.earliest)
    lane.covered_through = latest_of(lane.covered_through, round_.latest)
    lane.last_batch_at = now
    lane.last_batch = batch
    if new_batch:
        # The newest batch of the lane decides whether its data looked cut short.
        lane.partial_batch = batch if round_.partial else None
    elif round_.partial:
        lane.partial_batch = batch
    lane.media_days = sorted(set(lane.media_days or ()) | set(landed.measure.media_slots))
    lane.save()  # not ``day_counts`` (deferred), unless the lane was just created
    # A source of several streams (Apple Health: samples, workouts, ...) keeps each stream's slots too,
    # so a stream that stopped early shows ("2024-03-03T10~workouts"); one stream needs only the totals.
    several = len(batch.connection.manifest.streams) > 1
    if counted is not None:
        _merge_day_counts(lane.pk, *counted.entries(with_streams=several))
    elif landed.lane_days:
        counts = json.dumps(_lane_counts(landed.lane_days, with_streams=several))
        _merge_day_counts(lane.pk, _json_entries("%s"), [counts])
    if any(landed.upgraded.values()):
        refresh_media_days(batch, round_.earliest, round_.latest)


def stream_slot(slot: str, stream: str) -> str:
    """The key of a stream's records in a slot: ``"2024-03-03T10~workouts"`` (``coverage.days.stream_key``)."""
    return f"{slot}~{stream}"


def _lane_counts(counts: dict[str, int], *, with_streams: bool) -> dict[str, int]:
    """Counts per ``slot~stream`` as one dict of the lane's keys: per slot, and per slot and stream
    when ``with_streams`` (``split_streams`` in one dict, built once)."""
    per_slot, per_stream = split_streams(counts, with_streams=with_streams)
    per_slot.update(per_stream)  # the keys differ: a stream's key has a "~", a slot's none
    return per_slot


def split_streams(counts: dict[str, int], *, with_streams: bool = True) -> tuple[dict[str, int], dict[str, int]]:
    """Counts per ``slot~stream`` as (per slot, per slot and stream); keys without a stream count as slots."""
    per_slot: dict[str, int] = {}
    per_stream: dict[str, int] = {}
    for key, n in counts.items():
        slot, _, stream = key.partition("~")
        per_slot[slot] = per_slot.get(slot, 0) + n
        if stream and with_streams:
            per_stream[key] = per_stream.get(key, 0) + n
    return per_slot, per_stream


def refresh_media_days(batch: AcquisitionBatch, earliest: datetime | None, latest: datetime | None) -> None:
    """Recompute every lane's media-missing slots between ``earliest`` and ``latest`` from the records.

    A slot stays marked while a record of it, delivered through that lane (first or again),
    still lacks its media. One aggregate query over the connection's records in that window,
    only when a landing upgraded some media; slots on other UTC days keep what they had.
    Records of another import still being saved count nowhere (DESIGN: a commit is atomic).
    """
    if earliest is None or latest is None:
        return
    n = {"R": quote(Record._meta.db_table), "P": quote(RecordProvenance._meta.db_table),
         "B": quote(AcquisitionBatch._meta.db_table)}
    slot = slots.slot_sql("r.event_at", slots.minutes_for_connection(batch.connection_id))
    first_day, last_day = earliest.astimezone(UTC).date(), latest.astimezone(UTC).date()
    window = [db.ops.adapt_datetimefield_value(datetime.combine(d, time(0), UTC))
              for d in (first_day, last_day + timedelta(days=1))]
    where = ("r.connection_id = %s AND r.media IN ('missing', 'omitted') AND r.event_at >= %s AND r.event_at < %s "
             "AND (b.status = %s OR b.id = %s)")
    params = [batch.connection_id, *window, AcquisitionBatch.Status.COMMITTED, batch.pk]
    with db.cursor() as cursor:
        cursor.execute(
            f"SELECT b.method, {slot} FROM {n['R']} r JOIN {n['B']} b ON b.id = r.first_batch_id WHERE {where} "
            f"UNION SELECT p.method, {slot} FROM {n['P']} p JOIN {n['R']} r ON r.id = p.record_id "
            f"JOIN {n['B']} b ON b.id = r.first_batch_id WHERE {where}",
            params + params,
        )
        found: dict[str, set[str]] = defaultdict(set)
        for method, key in cursor.fetchall():
            found[method].add(key)
    first_text, last_text = first_day.isoformat(), last_day.isoformat()
    for lane in LaneSummary.objects.select_for_update().filter(connection_id=batch.connection_id):
        kept = {d for d in lane.media_days or () if not first_text <= d[:10] <= last_text}
        keys = sorted(kept | found[lane.method])
        if keys != list(lane.media_days or ()):
            lane.media_days = keys
            lane.save(update_fields=["media_days"])


def update_summary(batch: AcquisitionBatch, round_: Round, now: datetime, *, landed: Landed) -> None:
    summary, _ = CoverageSummary.objects.select_for_update().get_or_create(connection_id=batch.connection_id)
    upgraded = landed.upgraded
    summary.record_count += landed.accepted
    summary.earliest_event_at = earliest_of(summary.earliest_event_at, round_.earliest)
    summary.covered_through = latest_of(summary.covered_through, round_.latest)
    new_media = landed.measure.new_media
    summary.media_declared += sum(new_media.values())
    summary.media_attached += new_media.get("attached", 0) + sum(upgraded.values())
    summary.media_missing = max(0, summary.media_missing + new_media.get("missing", 0) - upgraded["missing"])
    summary.media_omitted = max(0, summary.media_omitted + new_media.get("omitted", 0) - upgraded["omitted"])
    if not (summary.media_missing or summary.media_omitted):
        summary.media_batch = None
    elif round_.media_not_attached:
        summary.media_batch = batch
    manifest = batch.connection.manifest
    if manifest.hole_after is None:
        summary.holes = []
    else:
        keys = _held_slots(batch.connection_id)
        summary.holes = holes(keys, manifest, slots.zone_for_connection(batch.connection_id))
    summary.latest_batch = batch
    summary.updated_at = now
    summary.save()


def merge_counts(left: dict | None, right: dict) -> dict:
    merged = dict(left or {})
    for day, count in right.items():
        merged[day] = merged.get(day, 0) + count
    return {key: merged[key] for key in sorted(merged)}  # sorted keys, not a list of (key, count) pairs


def add_counts(into: dict, more: dict) -> None:
    """Add ``more``'s counts into ``into``, in place (a growing tally is never copied)."""
    for key, count in more.items():
        into[key] = into.get(key, 0) + count


def sorted_union(kept: list, more: list) -> list:
    """The sorted union of a sorted list and another list (only the new items are sorted in)."""
    new = set(more).difference(kept) if more else ()
    return sorted([*kept, *new]) if new else kept


def merge_sources(left: list, right: list) -> list:
    merged: dict[int, dict] = {s["batch_id"]: dict(s) for s in left or ()}
    for source in right:
        if source["batch_id"] in merged:
            merged[source["batch_id"]]["count"] += source["count"]
        else:
            merged[source["batch_id"]] = dict(source)
    return [merged[k] for k in sorted(merged)]


def earliest_of(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def latest_of(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)


# --- counts per slot, kept by the database ----------------------------------------------------------
# A lane counts its records per hour: a chat spread over decades has hundreds of thousands of
# slots, some 100 bytes each as a Python dict entry. The database merges them (issue 15: a
# 4M-message chat peaked at 590 MB while the lane's counts were merged and dumped in Python).
GROUPS_FETCHED = 10_000  # rows held at once while reading counts per slot
MERGE_CACHE_KIB = 1024  # SQLite: page cache (and sorter memory) while counts per slot are grouped
DELIVERED_TABLE = "ownerhub_delivered_slots"  # temporary: one per database session, what one commit delivered


@dataclass(frozen=True)
class DeliveredSlots:
    """What a commit's chunks delivered, per slot and stream, counted into ``DELIVERED_TABLE`` by
    ``chunks.delivered``; ``update_lane`` merges it into the lane. ``records``: their total."""

    batch_id: int
    records: int

    def present(self) -> bool:
        """Whether this session still holds the counts (a reconnect loses a temporary table)."""
        with db.cursor() as cursor:
            if db.vendor == "postgresql":
                cursor.execute(f"SELECT to_regclass('pg_temp.{DELIVERED_TABLE}') IS NOT NULL")
            else:
                cursor.execute("SELECT COUNT(*) FROM sqlite_temp_master WHERE type = 'table' AND name = %s",
                               [DELIVERED_TABLE])
            return bool(cursor.fetchone()[0])

    def per_day(self) -> dict[str, int]:
        """New records per UTC day, in day order (a slot's key begins with its UTC day)."""
        found: dict[str, int] = {}
        with db.cursor() as cursor, sqlite_cache(MERGE_CACHE_KIB, cursor):  # a small sorter too
            cursor.execute(f"SELECT substr(slot, 1, 10), SUM(fresh) FROM {quote(DELIVERED_TABLE)} "
                           "WHERE batch_id = %s AND fresh > 0 GROUP BY substr(slot, 1, 10)", [self.batch_id])
            while rows := cursor.fetchmany(GROUPS_FETCHED):
                found.update((day, int(n)) for day, n in rows)
        return dict(sorted(found.items()))

    def entries(self, *, with_streams: bool) -> tuple[str, list]:
        """SQL of the lane's (key, count) rows these counts add, and its parameters: per slot (a slot
        may come twice: records the batch brought first, and held ones it brought again), and per
        ``slot~stream`` when ``with_streams``."""
        table = quote(DELIVERED_TABLE)
        sql = f"SELECT slot AS k, total AS n FROM {table} WHERE batch_id = %s"
        if not with_streams:
            return sql, [self.batch_id]
        per_stream = f"SELECT slot || '~' || stream AS k, total AS n FROM {table} WHERE batch_id = %s"
        return f"{sql} UNION ALL {per_stream}", [self.batch_id, self.batch_id]


def new_delivered_table(cursor) -> str:
    """``DELIVERED_TABLE``, created empty for this session; returns its quoted name."""
    table = quote(DELIVERED_TABLE)
    cursor.execute(f"DROP TABLE IF EXISTS {table}")
    cursor.execute(f"CREATE TEMPORARY TABLE {table} (batch_id bigint NOT NULL, slot text NOT NULL, "
                   "stream text NOT NULL, fresh bigint NOT NULL, total bigint NOT NULL)")
    return table


def drop_delivered_table() -> None:
    with db.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {quote(DELIVERED_TABLE)}")


def _json_entries(value: str) -> str:
    """SQL of the (k, n) rows of the JSON object of counts ``value`` (an SQL expression)."""
    if db.vendor == "postgresql":
        return f"SELECT j.key AS k, j.value::bigint AS n FROM jsonb_each_text(({value})::jsonb) j"
    return f"SELECT j.key AS k, j.value AS n FROM json_each({value}) j"


def _merge_day_counts(lane_id: int, entries: str, params: list) -> None:
    """Add the (k, n) rows of ``entries`` to the lane's ``day_counts``, keys in order.

    PostgreSQL merges them in one statement. SQLite builds the merged JSON (``json_group_object``),
    then writes it back, with a small page cache: a lane of a million slots (24 MB of JSON) took
    104 MB over the process in one statement, 70 MB in these two (one statement copied the
    result once more into the row it updated).
    """
    lane = quote(LaneSummary._meta.db_table)
    old = _json_entries(f"(SELECT day_counts FROM {lane} WHERE id = %s)")
    summed = f"SELECT k, SUM(n) AS n FROM ({old} UNION ALL {entries}) u GROUP BY k"
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            cursor.execute(f"UPDATE {lane} SET day_counts = COALESCE((SELECT jsonb_object_agg(k, n) "
                           f"FROM ({summed}) g), '{{}}'::jsonb) WHERE id = %s", [lane_id, *params, lane_id])
            return
        with sqlite_cache(MERGE_CACHE_KIB, cursor):
            cursor.execute(f"SELECT json_group_object(k, n) FROM ({summed} ORDER BY k)", [lane_id, *params])
            merged = cursor.fetchone()[0]
            with unchecked_json(cursor):  # SQLite built it: valid by construction
                cursor.execute(f"UPDATE {lane} SET day_counts = %s WHERE id = %s", [merged, lane_id])


def _held_slots(connection_id: int) -> Iterator[str]:
    """The keys of the connection's lanes that count a record, read a page at a time."""
    lane = quote(LaneSummary._meta.db_table)
    with db.chunked_cursor() as cursor:
        if db.vendor == "postgresql":
            cursor.execute(f"SELECT j.key FROM {lane} l, jsonb_each_text(l.day_counts) j "
                           "WHERE l.connection_id = %s AND j.value::bigint <> 0", [connection_id])
        else:
            cursor.execute(f"SELECT j.key FROM {lane} l, json_each(l.day_counts) j "
                           "WHERE l.connection_id = %s AND j.value <> 0", [connection_id])
        while rows := cursor.fetchmany(GROUPS_FETCHED):
            for (key,) in rows:
                yield key
