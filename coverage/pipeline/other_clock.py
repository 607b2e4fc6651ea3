"""The same chat exported from a phone whose clock stood in another time zone.

A chat export writes each message at the phone's wall-clock time, without a zone
(``whatsapp.keys``). The other person's phone, in Istanbul when the owner's was in London,
writes every message of the chat two or three hours later than the owner's export did, so no
message of it falls in the minute the source holds it in, and ``other_phone``'s twins in the
same written minute find nothing.

``clock_offset`` samples the preview's new messages written within ``WINDOW`` of the stretch
the source holds (at most ``SAMPLES`` rows, spread over the overlap; a newer export of the
owner's own phone has only the hours after the last message held there) and looks for each one's text among the
messages the source holds up to ``WINDOW`` earlier or later: the difference in written minutes
of each match is a candidate offset. The offset most samples agree on, a whole quarter of an
hour and not zero, is the other phone's clock against the source's when at least
``MIN_MATCHES`` samples, a quarter of all and half of those that matched at all agree; the authors of those
matches pair the names as ``other_phone`` does (the same name on both phones pairs nothing).

An offset is wall clock against wall clock: two zones that change their clocks on the same
nights (Berlin and London, New York and Los Angeles) keep it all year; between zones that do
not, messages from the weeks their offsets differ stay apart (the receipt counts them new).

Bounded: one query for the overlap, one for the sample rows, one per sample (a window of
2 x ``WINDOW`` of held messages), each read a row at a time.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import orjson
from django.db import connection as db

from connections.connectors.whatsapp.keys import (
    MINUTE_CHARS,
    key_content,
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
QUARTER = 15  # minutes: every zone's offset is a whole quarter of an hour


@dataclass
class Offset:
    """The other phone's clock against the source's, and what showed it."""

    minutes: int = 0  # add to this file's written minute to get the source's
    matched: int = 0  # samples found held at that offset
    checked: int = 0  # samples looked for
    pairs: Counter = field(default_factory=Counter)  # (name here, name held) -> samples


def clock_offset(batch: AcquisitionBatch, stream: str) -> Offset | None:
    """The other phone's clock offset, when the preview's new messages are held at another written minute."""
    samples = _samples(batch, stream)
    if len(samples) < MIN_MATCHES:
        return None
    offsets: Counter = Counter()
    found: dict[int, list[tuple[str, str]]] = {}  # offset -> (name here, name held) of each sample
    matched_any = 0
    for key, payload in samples:
        candidates = _held_near(batch.connection_id, stream, key, _content(payload))
        matched_any += bool(candidates)
        for offset, author in candidates.items():
            offsets[offset] += 1
            found.setdefault(offset, []).append((payload.get("author", ""), author))
    if not offsets:
        return None
    (minutes, matched), = offsets.most_common(1)
    if matched < MIN_MATCHES or matched * 2 < matched_any or matched < MIN_SHARE * len(samples):
        return None
    return Offset(minutes, matched, len(samples), Counter(found[minutes]))


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


def _held_near(connection_id: int, stream: str, key: str, content: str) -> dict[int, str]:
    """Offsets (minutes, not zero, whole quarters) at which the source holds ``content``, and its author there."""
    minute = key[:MINUTE_CHARS]
    low, high = moved_minute(minute, -WINDOW), moved_minute(minute, WINDOW) + "."
    found: dict[int, str] = {}
    rows = Record.objects.filter(connection_id=connection_id, stream=stream, key__gte=low, key__lt=high)
    for held_key, payload in rows.values_list("key", "payload").iterator(chunk_size=500):
        if _content(payload) != content:
            continue
        minutes = int((minute_time(held_key) - minute_time(minute)).total_seconds() // 60)
        if minutes and minutes % QUARTER == 0:
            found.setdefault(minutes, payload.get("author", ""))
    return found


def offset_words(minutes: int) -> str:
    """'2 hours', '5 hours 30 minutes', '45 minutes' (of an offset, either way)."""
    hours, rest = divmod(abs(minutes), 60)
    parts = [f"{hours} hour{'s' if hours != 1 else ''}" if hours else "", f"{rest} minutes" if rest else ""]
    return " ".join(p for p in parts if p)
