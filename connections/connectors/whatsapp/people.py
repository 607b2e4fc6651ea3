"""A chat read as the same people as the source knows them (``ParseOptions.authors``).

Another phone's export of the same chat names its people as that phone knows them. When the
owner says they are the same people (``coverage.pipeline.other_phone``), each message's author is
renamed before it is keyed, and its key is made again by the one rule (``keys.record_key``):
the written minute, the author as the source knows them, the content, and ``n`` counted again
in file order over the renamed authors (two names of this file may be one person of the source).
So a message keys as the source's own export of it did, and counts as a duplicate.

A phone whose clock stood in another time zone wrote each message ``shift_minutes`` off the
source's clock: its written minute is moved by that much before it is keyed, and its time read
in the owner's zone from the moved minute (the seconds kept).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, tzinfo

from ..base import ParsedRecord
from .keys import Occurrences, key_content, minute_of, minute_time, moved_minute, record_key


def as_the_same_people(records: Iterable[ParsedRecord], authors: Mapping[str, str], shift_minutes: int = 0,
                       tz: tzinfo = UTC) -> Iterator[ParsedRecord]:
    """``records`` of one chat, in file order, with ``authors`` (this file's names -> the source's) applied,
    and each written minute moved by ``shift_minutes`` (its time read in ``tz`` again)."""
    occurrences = Occurrences()
    for record in records:
        payload = record.payload
        written = payload.get("author", "")
        author = authors.get(written, written)
        minute, event_at = minute_of(record.key), record.event_at
        if shift_minutes:
            minute = moved_minute(minute, shift_minutes)
            event_at = minute_time(minute).replace(second=event_at.astimezone(tz).second, tzinfo=tz).astimezone(UTC)
        content = key_content(payload.get("kind", "text"), payload.get("text") or "")
        key = record_key(minute, author, content, occurrences.next(minute, author, content))
        if author != written:
            payload = {**payload, "author": author}
        yield ParsedRecord(record.stream, key, event_at, payload, record.media)
