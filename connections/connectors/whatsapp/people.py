"""A chat read as the same people as the source knows them (``ParseOptions.authors``).

Another phone's export of the same chat names its people as that phone knows them. When the
owner says they are the same people (``coverage.pipeline.other_phone``), each message's author is
renamed before it is keyed, and its key is made again by the one rule (``keys.record_key``):
the written minute, the author as the source knows them, the content, and ``n`` counted again
in file order over the renamed authors (two names of this file may be one person of the source).
So a message keys as the source's own export of it did, and counts as a duplicate.

A phone whose clock stood in another time zone (``clock``: that zone, and the source's) wrote each
message on that zone's clock: its written minute is read there and written on the source zone's
clock before it is keyed, and its time read in the owner's zone from that minute (the seconds
kept), as the source's own export of it is read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, tzinfo
from zoneinfo import ZoneInfo

from ..base import ParsedRecord
from .keys import Occurrences, key_content, minute_of, minute_stamp, minute_time, record_key


def as_the_same_people(records: Iterable[ParsedRecord], authors: Mapping[str, str],
                       clock: tuple[str, str] | None = None, tz: tzinfo = UTC) -> Iterator[ParsedRecord]:
    """``records`` of one chat, in file order, with ``authors`` (this file's names -> the source's) applied,
    and each written minute read on ``clock``'s first zone and written on its second (its time read in
    ``tz`` again)."""
    occurrences = Occurrences()
    here, source = (ZoneInfo(clock[0]), ZoneInfo(clock[1])) if clock else (None, None)
    for record in records:
        payload = record.payload
        written = payload.get("author", "")
        author = authors.get(written, written)
        minute, event_at = minute_of(record.key), record.event_at
        if here is not None:
            minute = minute_stamp(minute_time(minute).replace(tzinfo=here), source)
            event_at = minute_time(minute).replace(second=event_at.astimezone(tz).second, tzinfo=tz).astimezone(UTC)
        content = key_content(payload.get("kind", "text"), payload.get("text") or "")
        key = record_key(minute, author, content, occurrences.next(minute, author, content))
        if author != written:
            payload = {**payload, "author": author}
        yield ParsedRecord(record.stream, key, event_at, payload, record.media)
