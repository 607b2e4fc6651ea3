"""The same chat exported from a phone whose clock stood in another time zone.

A chat export writes each message at the phone's wall-clock time, without a zone
(``whatsapp.keys``). The other person's phone, in Istanbul when the owner's was in London,
writes every message of the chat two or three hours later than the owner's export did, so no
message of it falls in the minute the source holds it in, and ``other_phone``'s twins in the
same written minute find nothing.

``other_clock`` samples the preview's new messages written within ``WINDOW`` of the stretch the
source holds (at most ``SAMPLES`` rows, spread over the overlap; a newer export of the owner's own
phone has only the hours after the last message held there) and looks for each one's text among
the messages the source holds up to ``WINDOW`` earlier or later. Then it tries every zone's clock:
read on it, and then on the source's, where does each sample land? The zone under which most land
on a minute the source holds them in is the other phone's. A zone, not a fixed offset: two zones
that change their clocks on different nights (New York in March, Warsaw three weeks later) are
6 hours apart, then 5, then 6 again. The authors of those matches pair the names as
``other_phone`` does (the same name on both phones pairs nothing).

Bounded: one query for the overlap, one for the sample rows, one per sample (a window of
2 x ``WINDOW`` of held messages), each read a row at a time; the zones are tried in memory.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta, tzinfo
from zoneinfo import ZoneInfo, available_timezones

import orjson
from django.db import connection as db

from connections.connectors.whatsapp.keys import (
    MINUTE_CHARS,
    key_content,
    minute_stamp,
    minute_time,
    moved_minute,
)

from ..models import AcquisitionBatch, Record
from .staging import STAGING_TABLE, quote

SAMPLES = 40  # new messages looked for among the held ones
READ_FOR_SAMPLES = 4000  # new rows in the overlap read to choose the samples from
WINDOW = 14 * 60  # minutes: the widest offset between two zones' clocks is 26 h; 14 either way covers one phone
MIN_TEXT = 8  # characters of text a sample needs ("ok" and "👍" match anything)
MIN_MATCHES = 3
MIN_SHARE = 0.25  # of the samples: a newer export's own new messages seldom repeat held ones at one offset
# The zones tried, by their canonical names (no "US/Eastern" beside "America/New_York").
ZONES = tuple(sorted(z for z in available_timezones() if z.split("/")[0] in (
    "Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific")))


@dataclass
class Clock:
    """The other phone's clock (a zone's), what showed it, and the offsets it gives against the source's."""

    zone: str  # a zone whose clock the other phone kept (one of those that keep the same one)
    source_zone: str  # the zone the source's messages were written in (the owner's, when found)
    matched: int = 0  # samples found held where that clock puts them
    checked: int = 0  # samples looked for
    pairs: Counter = field(default_factory=Counter)  # (name here, name held) -> samples
    offsets: tuple[int, int] = (0, 0)  # minutes to add to this file's times: the nearest and the farthest found

    @property
    def option(self) -> dict[str, str]:
        return {"zone": self.zone, "source_zone": self.source_zone}


def other_clock(batch: AcquisitionBatch, stream: str, source_zone: tzinfo) -> Clock | None:
    """The clock the other phone kept, when the preview's new messages are held at other written minutes.

    Each zone is tried (``ZONES``): the one under which most samples land on a minute the source holds
    them in wins, when at least ``MIN_MATCHES``, a quarter of the samples and half of those found at all
    agree. A zone, not an offset: two phones whose clocks changed on different nights (New York in
    March, Warsaw three weeks later) are 6 hours apart, then 5, then 6 again."""
    samples = _samples(batch, stream)
    if len(samples) < MIN_MATCHES:
        return None
    found = []  # (this file's minute, its author, {held minute: held author})
    for key, payload in samples:
        if held := _held_near(batch.connection_id, stream, key, _content(payload)):
            found.append((key[:MINUTE_CHARS], payload.get("author", ""), held))
    if len(found) < MIN_MATCHES:
        return None
    landed_by: dict[str, list] = {}
    for name in ZONES:
        zone = ZoneInfo(name)
        landed_by[name] = [(minute, author, held, on) for minute, author, held in found
                           if (on := minute_stamp(minute_time(minute).replace(tzinfo=zone), source_zone)) in held]
    most = max(len(landed) for landed in landed_by.values())
    tied = [name for name, landed in landed_by.items() if len(landed) == most]
    best_zone = min(tied, key=lambda name: (_offsets_over(name, source_zone, found), name))
    best = landed_by[best_zone]
    matched = len(best)
    if matched < MIN_MATCHES or matched * 2 < len(found) or matched < MIN_SHARE * len(samples):
        return None
    shifts = [int((minute_time(on) - minute_time(minute)).total_seconds() // 60) for minute, _, _, on in best]
    return Clock(best_zone, getattr(source_zone, "key", str(source_zone)), matched, len(samples),
                 Counter((author, held[on]) for _, author, held, on in best),
                 (min(shifts, key=abs), max(shifts, key=abs)))


def _offsets_over(name: str, source_zone: tzinfo, found: list) -> int:
    """How many different offsets zone ``name`` keeps against the source's over the months the samples span:
    of zones that place the samples alike, the one changing its clocks on the source's nights (or not at all
    when it does not) is taken, the likeliest for the weeks between the samples."""
    zone, first, last = ZoneInfo(name), minute_time(found[0][0]), minute_time(found[-1][0])
    months = [first.replace(day=15) + timedelta(days=30 * n) for n in range((last - first).days // 30 + 2)]
    return len({at.replace(tzinfo=zone).utcoffset() - at.replace(tzinfo=source_zone).utcoffset() for at in months})


def _content(payload: dict) -> str:
    return key_content(payload.get("kind", "text"), payload.get("text") or "")


def _samples(batch: AcquisitionBatch, stream: str) -> list[tuple[str, dict]]:
    """Up to ``SAMPLES`` new text messages of the preview written within ``WINDOW`` of the stretch the source holds."""
    held = Record.objects.filter(connection_id=batch.connection_id, stream=stream).order_by("key")
    first, last = held.values_list("key", flat=True).first(), held.reverse().values_list("key", flat=True).first()
    if not first or not last:
        return []
    low, high = moved_minute(first[:MINUTE_CHARS], -WINDOW), moved_minute(last[:MINUTE_CHARS], WINDOW) + "."
    staged, records = quote(STAGING_TABLE), quote(Record._meta.db_table)
    sql = (
        f"SELECT s.{quote('key')}, s.payload FROM {staged} s WHERE s.batch_id = %s AND s.stream = %s "
        f"AND s.{quote('key')} >= %s AND s.{quote('key')} < %s AND NOT EXISTS (SELECT 1 FROM {records} h "
        f"WHERE h.connection_id = %s AND h.stream = s.stream AND h.{quote('key')} = s.{quote('key')}) "
        f"ORDER BY s.{quote('key')} LIMIT {READ_FOR_SAMPLES}"
    )
    rows = []
    with db.cursor() as cursor:
        cursor.execute(sql, [batch.pk, stream, low, high, batch.connection_id])
        for key, payload in cursor:
            payload = orjson.loads(payload) if isinstance(payload, str | bytes) else payload
            if payload.get("kind", "text") == "text" and len(payload.get("text") or "") >= MIN_TEXT:
                rows.append((key, payload))
    step = max(1, len(rows) // SAMPLES)
    return rows[::step][:SAMPLES]


def _held_near(connection_id: int, stream: str, key: str, content: str) -> dict[str, str]:
    """The minutes (not this one) within ``WINDOW`` at which the source holds ``content``, and its author there."""
    minute = key[:MINUTE_CHARS]
    low, high = moved_minute(minute, -WINDOW), moved_minute(minute, WINDOW) + "."
    found: dict[str, str] = {}
    rows = Record.objects.filter(connection_id=connection_id, stream=stream, key__gte=low, key__lt=high)
    for held_key, payload in rows.values_list("key", "payload").iterator(chunk_size=500):
        if held_key[:MINUTE_CHARS] != minute and _content(payload) == content:
            found.setdefault(held_key[:MINUTE_CHARS], payload.get("author", ""))
    return found


def offset_words(minutes: int) -> str:
    """'2 hours', '5 hours 30 minutes', '45 minutes' (of an offset, either way)."""
    hours, rest = divmod(abs(minutes), 60)
    parts = [f"{hours} hour{'s' if hours != 1 else ''}" if hours else "", f"{rest} minutes" if rest else ""]
    return " ".join(p for p in parts if p)
