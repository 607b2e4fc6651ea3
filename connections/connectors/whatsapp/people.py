"""A chat read as the same people as the source knows them (``ParseOptions.authors``).

Another phone's export of the same chat names its people as that phone knows them. When the
owner says they are the same people (``coverage.pipeline.other_phone``), each message's author is
renamed before it is keyed, and its key is made again by the one rule (``keys.record_key``):
the written minute, the author as the source knows them, the content, and ``n`` counted again
in file order over the renamed authors (two names of this file may be one person of the source).
So a message keys as the source's own export of it did, and counts as a duplicate.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from ..base import ParsedRecord
from .keys import Occurrences, key_content, minute_of, record_key


def as_the_same_people(records: Iterable[ParsedRecord], authors: Mapping[str, str]) -> Iterator[ParsedRecord]:
    """``records`` of one chat, in file order, with ``authors`` (this file's names -> the source's) applied."""
    occurrences = Occurrences()
    for record in records:
        payload = record.payload
        written = payload.get("author", "")
        author = authors.get(written, written)
        minute = minute_of(record.key)
        content = key_content(payload.get("kind", "text"), payload.get("text") or "")
        key = record_key(minute, author, content, occurrences.next(minute, author, content))
        if author != written:
            payload = {**payload, "author": author}
        yield ParsedRecord(record.stream, key, record.event_at, payload, record.media)
