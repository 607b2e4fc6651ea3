"""The key of a WhatsApp message: the same whichever phone, language, zone or export wrote it.

``record_key(minute, author, content, n)`` is the rule, written once; the reader and the
migration that re-keyed stored messages (``coverage/migrations/0012_whatsapp_keys.py``) both
call it. A key is::

    YYYYMMDDTHHMM-<32 hex: blake2b of minute, author, content and n>

- ``minute``: the wall-clock date and minute as the chat writes them. Never a zone (an owner
  who corrects their zone re-reads the chat: the instants move, the keys stay) and never
  seconds (Android exports have none, iOS exports and phone backups have them and may
  disagree with each other).
- ``author``: the author as written (invisible direction marks removed).
- ``content``: ``key_content(kind, text)``: the text of a plain message; for any other kind
  (media attached, missing or omitted, in any language; a deleted message; a call; a shared
  location; a poll) a language-free token of the kind alone. A photo's caption is not part of
  it: an export with media keeps the caption, one without media may not, and both must give
  the same key so that a re-export with media fills in the missing files.
- ``n``: how many messages with the same author and content came earlier in the same minute,
  in file order. Two "ok" in one minute are two messages; two photos in one minute are told
  apart by their order, as no export names a photo the same way.

Keys start with the minute so that a large import's inserts land on neighbouring index pages.
"""

from __future__ import annotations

import hashlib
from collections import deque
from datetime import datetime, timedelta, tzinfo

__all__ = ["Occurrences", "key_content", "minute_of", "minute_time", "moved_minute", "record_key"]

_blake2b = hashlib.blake2b
_COUNTS = tuple(str(n) for n in range(64))  # n as text, made once
_FRESH = _blake2b(digest_size=16)  # copied for each key: half the cost of a new hash object
MINUTE_CHARS = len("YYYYMMDDTHHMM")
# Kinds a reader gives a message that is not plain text -> the token keyed in its place.
_TOKENS = {kind: f"\x00{kind}" for kind in ("media", "deleted", "call", "location", "poll")}


def record_key(minute: str, author: str, content: str, n: int) -> str:
    """The key of a message: ``minute`` "YYYYMMDDTHHMM" as written, ``content`` from
    ``key_content``, ``n`` the count of earlier identical (author, content) in that minute."""
    digest = _FRESH.copy()  # as blake2b(data, digest_size=16), without parsing arguments
    digest.update(f"{minute}\x1f{author}\x1f{content}\x1f{_COUNTS[n] if n < 64 else n}".encode())
    return f"{minute}-{digest.hexdigest()}"


def key_content(kind: str, text: str) -> str:
    """What a message contributes to its key: its text if plain, else its kind's token."""
    if kind == "text":
        return text
    return _TOKENS.get(kind) or f"\x00{kind}"


def minute_stamp(at: datetime, tz: tzinfo | None) -> str:
    """The key minute "YYYYMMDDTHHMM" of an instant, on the wall clock of ``tz`` (a backup's exact time
    becomes the minute an export of the same phone writes; ``None``: ``at`` is a wall-clock time
    already). A key part, never owner copy."""
    local = at.astimezone(tz) if tz is not None else at
    return f"{local.year:04d}{local.month:02d}{local.day:02d}T{local.hour:02d}{local.minute:02d}"


def moved_minute(minute: str, minutes: int) -> str:
    """The key minute ``minutes`` later (earlier when negative): another phone's clock read on this one's."""
    return minute_stamp(minute_time(minute) + timedelta(minutes=minutes), None)


def minute_time(minute: str) -> datetime:
    """The wall-clock time (no zone) of a key minute "YYYYMMDDTHHMM"."""
    return datetime(int(minute[:4]), int(minute[4:6]), int(minute[6:8]), int(minute[9:11]), int(minute[11:13]))


def minute_of(stamp: str) -> str:
    """The minute "YYYYMMDDTHHMM" of a wall-clock stamp "YYYYMMDDTHHMM[SS]…"."""
    return stamp[:MINUTE_CHARS]


class Occurrences:
    """The ``n`` of each message, in file order, remembering the last ``window`` minutes.

    A minute listed again after another (a message that reached the phone late, or the hour
    repeated when clocks go back) continues its count instead of reusing a key. Memory stays
    bounded: the oldest minute is forgotten first.
    """

    __slots__ = ("minutes", "order", "window")

    def __init__(self, window: int = 128):
        self.window = window
        self.minutes: dict[str, dict[tuple[str, str], int]] = {}
        # First-seen order, kept apart: finding a dict's oldest key after many deletions
        # walks the holes they left.
        self.order: deque[str] = deque()

    def counts(self, minute: str) -> dict[tuple[str, str], int]:
        """The counter of one minute: (author, content) -> messages seen so far."""
        counts = self.minutes.get(minute)
        if counts is None:
            if len(self.order) >= self.window:
                del self.minutes[self.order.popleft()]
            counts = self.minutes[minute] = {}
            self.order.append(minute)
        return counts

    def next(self, minute: str, author: str, content: str) -> int:
        """``n`` of this message (and count it)."""
        counts = self.counts(minute)
        ident = (author, content)
        n = counts.get(ident, 0)
        counts[ident] = n + 1
        return n
