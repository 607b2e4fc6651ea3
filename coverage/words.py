"""Owner words: days, spans, times, counts, "ago", durations, sizes and format names.

Every owner-facing date, count and size is written by this module; the projection,
the receipts, the timeline and the template filters only call it (UI.md, "Words").

A function that shows a date or a time takes ``tz``, the zone to show it in. The
default keeps each caller's behaviour of today: ``None`` shows an aware datetime
in the zone it carries (the projection and the receipts pass UTC instants), and
the template filters pass the current zone; ``clock`` shows UTC. Issue 11 passes the owner's zone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo

Noun = tuple[str, str]  # (singular, plural): ("message", "messages")
ITEM: Noun = ("item", "items")
MEDIA_FILE: Noun = ("media file", "media files")


# ---------------------------------------------------------------- counts


def pick(n: int, forms: Noun) -> str:
    """The form that agrees with ``n``: pick(1, ("needs", "need")) -> 'needs'."""
    return forms[0] if n == 1 else forms[1]


def count(n: int, noun: Noun) -> str:
    """A number and its noun in agreement: '1 message', '1,200 messages'."""
    return f"{n:,} {pick(n, noun)}"


# ---------------------------------------------------------------- days and times


def in_zone(value: datetime, tz: tzinfo | None) -> datetime:
    """``value`` as seen in ``tz``; a naive value, or no zone, leaves it as it is."""
    if tz is None or value.tzinfo is None:
        return value
    return value.astimezone(tz)


def day(value: date | datetime | str | None, tz: tzinfo | None = None, *, missing: str = "an unknown date") -> str:
    """A day: '12 Mar 2023'. Takes a datetime, a date or an ISO date string (kept as is when unreadable)."""
    if value is None or value == "":
        return missing
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = in_zone(value, tz)
    return f"{value.day} {value:%b %Y}"


def month(value: date) -> str:
    """A calendar month: 'March 2015'."""
    return f"{value:%B %Y}"


def span(start: datetime, end: datetime, tz: tzinfo | None = None) -> str:
    """The days from ``start`` to ``end``, the year said once when both share it.

    '12 Mar to 25 Mar 2023', '28 Dec 2022 to 3 Jan 2023', and a single day alone: '1 Dec 2026'.
    """
    start, end = in_zone(start, tz), in_zone(end, tz)
    if start.date() == end.date():
        return day(end)
    first = f"{start.day} {start:%b}" if start.year == end.year else day(start)
    return f"{first} to {day(end)}"


def day_and_time(value: datetime, tz: tzinfo | None = None) -> str:
    """A day and a time of day: '12 Mar 2023, 14:05'."""
    value = in_zone(value, tz)
    return f"{value.day} {value:%b %Y, %H:%M}"


def clock(value: datetime, tz: tzinfo | None = None) -> str:
    """A moment with its zone: '2026-11-25 12:30 UTC' (UTC unless ``tz`` says otherwise)."""
    value = value.astimezone(tz or UTC)
    return f"{value:%Y-%m-%d %H:%M} {value.tzname()}"


# ---------------------------------------------------------------- durations


_UNITS = (
    (365 * 86400, "year"),
    (30 * 86400, "month"),
    (7 * 86400, "week"),
    (86400, "day"),
    (3600, "hour"),
    (60, "minute"),
)


def ago(value: datetime | None, now: datetime) -> str:
    """The largest whole unit between ``value`` and ``now``: '3 months ago', 'in 2 hours', 'just now'."""
    if value is None:
        return ""
    seconds = (now - value).total_seconds()
    for size, unit in _UNITS:
        if abs(seconds) >= size:
            text = count(int(abs(seconds) // size), (unit, f"{unit}s"))
            return f"in {text}" if seconds < 0 else f"{text} ago"
    return "just now"


def interval(seconds: int | None) -> str:
    """How often, after "every": 3600 -> 'hour', 7200 -> '2 hours', 900 -> '15 minutes'."""
    seconds = int(seconds or 0)
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size and seconds % size == 0:
            n = seconds // size
            return unit if n == 1 else f"{n} {unit}s"
    return f"{seconds} seconds"


# ---------------------------------------------------------------- sizes and formats


def size(n: int) -> str:
    """A byte count as an upload limit is stated: '4 GB', '1.5 MB', '512 bytes'."""
    for unit, step in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= step:
            return f"{n / step:g} {unit}"
    return f"{n} bytes"


_FORMAT_WORDS = {
    "whatsapp": "WhatsApp",
    "ios": "iPhone",
    "android": "Android",
    "apple": "Apple",
    "health": "Health",
    "takeout": "Takeout",
    "records": "Records",
    "semantic": "Semantic Location History",
    "ondevice": "On-device Timeline",
    "icalendar": "iCalendar",
    "owntracks": "OwnTracks",
    "overland": "Overland",
    "http": "",
}
_EXTENSIONS = {"zip", "txt", "json", "xml"}


def format_name(source_format: str) -> str:
    """'whatsapp_ios_zip' -> 'WhatsApp iPhone (.zip)': a file format an owner can read."""
    if not source_format:
        return ""
    words, ext = [], ""
    for token in source_format.split("_"):
        if token in _EXTENSIONS:
            ext = f"(.{token})"
        elif word := _FORMAT_WORDS.get(token, token.capitalize()):
            words.append(word)
    return " ".join([*words, ext]).strip()
