"""A calendar's events placed again on the owner's days the moment the owner changes zone.

A calendar feed's records depend on the owner's zone in two ways (``connections.connectors.ical_days``):

- an all-day event is a date, not an instant: its record stands at noon of that date in the owner's
  zone (``base.day_instant``), so after a move across many hours it would stand on another day;
- a timed event past midnight is a record per day of the owner's zone it touches: which days, and
  how many, depend on the zone (22:00 to 02:00 in Berlin is one evening in New York).

Waiting for the next pull would leave them on the old zone's days meanwhile (a feed pulled only when
the owner asks may wait for ever), so ``place_in_zone`` places them again from what is held, with no
fetch: an all-day record at noon of its own date in the new zone; a timed event's days counted again
in the new zone (the first day keeps its start; later days are updated, added or taken away, keyed as
the reader keys them). Single timed events need nothing: an instant is on the new zone's day at once.
Events written without a zone (floating) keep their wall-clock time only once the feed is read again:
the last pull keeps the zone it read them in (``pull.READ_IN``), so the next pull reads the feed whole
and says they moved. The pull notes where its events now stand (``PLACED_IN``), for a second move.

The caller holds nothing: each calendar is placed under its connection's lock, in one transaction with
its summaries counted again (``recount``), so the day pages, the card and the timeline agree at once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime, tzinfo

from django.db import transaction

from connections.connectors.base import MAX_KEY_CHARS, clean_key, day_instant
from connections.connectors.ical_days import MAX_DAYS, days_touched, timed_days
from connections.models import Connection
from connections.zones import zone_named

from ..models import AcquisitionBatch, Record, RecordProvenance
from .pull import READ_IN
from .recount import recount_summaries
from .set_aside import note_rewrite

CONNECTOR = "ical_feed"
METHOD = "provider_api"
PLACED_IN = "placed_in"  # a pull's options: the owner's zone its events stand in now, when placed again since
UPDATE_CHUNK = 500


def on_zone_changed(sender, *, owner, before: str, after: str, **kwargs) -> None:
    """``connections.account.zone_changed``'s receiver."""
    place_owner_calendars(owner, before, after)


def place_owner_calendars(owner, before: str, after: str) -> int:
    """Place every calendar feed of ``owner`` in zone ``after`` (the owner was in ``before``); returns
    how many records moved, were added or taken away."""
    done = 0
    for connection in Connection.objects.for_owner(owner).filter(connector=CONNECTOR):
        done += place_in_zone(connection, before, after)
    return done


def place_in_zone(connection: Connection, before: str, after: str) -> int:
    """Place ``connection``'s pulled events on the days of zone ``after`` (see the module doc)."""
    with transaction.atomic():
        connection = Connection.objects.select_for_update().get(pk=connection.pk)
        last = (
            AcquisitionBatch.objects.select_for_update()
            .filter(connection=connection, method=METHOD, status=AcquisitionBatch.Status.COMMITTED)
            .order_by("-created_at", "-pk")
            .first()
        )
        if last is None:
            return 0
        options = last.options or {}
        placed = zone_named(options.get(PLACED_IN) or options.get(READ_IN) or last.time_zone_assumed or before)
        new = zone_named(after)
        held = list(
            Record.objects.filter(connection=connection, first_batch__method=METHOD,
                                  first_batch__status=AcquisitionBatch.Status.COMMITTED)
            .only("stream", "key", "event_at", "payload", "media", "first_batch_id")
            .order_by("pk")
        )
        updated, added, gone = _placed(held, placed, new)
        Record.objects.bulk_update(updated, ["event_at", "payload"], batch_size=UPDATE_CHUNK)
        Record.objects.bulk_create(added, batch_size=UPDATE_CHUNK)
        RecordProvenance.objects.filter(record_id__in=gone).delete()
        Record.objects.filter(pk__in=gone).delete()
        last.options = {**options, PLACED_IN: getattr(new, "key", None) or after}
        AcquisitionBatch.objects.filter(pk=last.pk).update(options=last.options)
        if updated or added or gone:
            note_rewrite(connection)
            recount_summaries(connection, last, last.committed_at or last.created_at)
        return len(updated) + len(added) + len(gone)


def _placed(held: list[Record], placed: tzinfo, new: tzinfo) -> tuple[list[Record], list[Record], list[int]]:
    """(records to update, records to add, ids to take away) to place ``held`` in ``new`` rather than ``placed``."""
    updated: list[Record] = []
    added: list[Record] = []
    gone: list[int] = []
    later = _later_days(held)
    for record in held:
        payload = record.payload or {}
        if payload.get("all_day"):
            at = _same_day(record.event_at, placed, new)
            if payload.get("end"):  # the day after its last, as written, also at noon
                payload = {**payload, "end": _same_day(datetime.fromisoformat(payload["end"]), placed, new).isoformat()}
            if at != record.event_at or payload != record.payload:
                record.event_at, record.payload = at, payload
                updated.append(record)
        elif not payload.get("continued") and payload.get("end"):
            ups, adds, goes = _timed(record, later.get(_event_of(payload), {}), new)
            updated += ups
            added += adds
            gone += goes
    return updated, added, gone


def _same_day(at: datetime, placed: tzinfo, new: tzinfo) -> datetime:
    """Where a date that stands at ``at`` in ``placed`` stands in ``new`` (``base.day_instant``)."""
    return day_instant(at.astimezone(placed).date(), new)


def _event_of(payload: dict) -> tuple[str, str, str]:
    """What the days of one occurrence share: its UID, end and the occurrence it replaces."""
    return payload.get("uid", ""), payload.get("end", ""), payload.get("recurrence_id", "")


def _later_days(held: Iterable[Record]) -> dict[tuple[str, str, str], dict[int, Record]]:
    """The later days of timed events (``continued``), by occurrence and by place (2, 3, ...)."""
    found: dict[tuple[str, str, str], dict[int, Record]] = {}
    for record in held:
        payload = record.payload or {}
        if payload.get("continued") and not payload.get("all_day"):
            place = _place(payload.get("day", ""))
            if place:
                found.setdefault(_event_of(payload), {})[place] = record
    return found


def _place(day: str) -> int:
    """2 of "2 of 3"; 0 when unreadable."""
    head = day.split(" of ", 1)[0]
    return int(head) if head.isdigit() else 0


def _timed(first: Record, later: dict[int, Record], new: tzinfo) -> tuple[list[Record], list[Record], list[int]]:
    """One timed occurrence, held as ``first`` (its start) and ``later`` (its continuing days), on ``new``'s days."""
    start, end = first.event_at, datetime.fromisoformat(first.payload["end"])
    count = min(days_touched(start, end, new), MAX_DAYS)
    updated: list[Record] = []
    added: list[Record] = []
    base = {k: v for k, v in first.payload.items() if k not in ("day", "continued")}
    days = timed_days(start, count, new) if count > 1 else [(None, start, {})]
    for place, at, said in days:
        payload = {**base, **said}
        if place is None:
            if payload != first.payload:
                first.payload = payload
                updated.append(first)
            continue
        held = later.get(place)
        if held is not None:
            if held.event_at != at or held.payload != payload:
                held.event_at, held.payload = at, payload
                updated.append(held)
            continue
        key = _later_key(first.key, start, payload, place)
        if key is not None:
            added.append(Record(connection_id=first.connection_id, stream=first.stream, key=key, event_at=at,
                                payload=payload, media=first.media, first_batch_id=first.first_batch_id))
    gone = [record.pk for place, record in later.items() if place > count]
    return updated, added, gone


def _later_key(key: str, start: datetime, payload: dict, place: int) -> str | None:
    """The key the reader gives the ``place``-th day of the event keyed ``key`` (``ical_feed.event_key``).

    A key over the column's length is a digest of its text: the text is found again among what the
    event's own fields can make of it; None when none matches (the next pull adds that day)."""
    if not key.startswith("sha256:"):
        return clean_key(f"{key}|day#{place}")
    uid = payload.get("uid", "")
    candidates = [uid, f"{uid}|{start.astimezone(UTC):%Y%m%dT%H%M%SZ}"]  # an event; an occurrence of a series
    if payload.get("recurrence_id"):  # an occurrence the calendar changed
        candidates.append(f"{uid}|{datetime.fromisoformat(payload['recurrence_id']).astimezone(UTC):%Y%m%dT%H%M%SZ}")
    for text in candidates:
        if len(text) > MAX_KEY_CHARS and "sha256:" + hashlib.sha256(text.encode()).hexdigest() == key:
            return clean_key(f"{text}|day#{place}")
    return None
