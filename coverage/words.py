"""Owner words: days, spans, times, counts, "ago", durations, sizes and format names.

Every owner-facing date, count and size is written by this module; the projection,
the receipts, the timeline, the commands and the template filters only call it (UI.md, "Words").

A function that shows a date or a time takes ``tz``, the zone to show it in: the owner's
(DESIGN.md, "Time"). ``None`` shows an aware datetime in the zone it carries. A time of
day always names its zone ("today at 09:41 NZDT"); days are the owner's days.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Noun = tuple[str, str]  # (singular, plural): ("message", "messages")
ITEM: Noun = ("item", "items")
MEDIA_FILE: Noun = ("media file", "media files")
DAY: Noun = ("day", "days")
NOTE: Noun = ("note", "notes")
NOUNS: dict[str, Noun] = {noun[0]: noun for noun in (ITEM, MEDIA_FILE, DAY, NOTE)}  # for the templates


# ---------------------------------------------------------------- counts


def pick(n: int, forms: Noun) -> str:
    """The form that agrees with ``n``: pick(1, ("needs", "need")) -> 'needs'."""
    return forms[0] if n == 1 else forms[1]


def count(n: int, noun: Noun) -> str:
    """A number and its noun in agreement: '1 message', '1,200 messages'."""
    return f"{n:,} {pick(n, noun)}"


def part_of(n: int, total: int, noun: Noun) -> str:
    """A part of a whole, the noun agreeing with the whole: '1 of 4 media files', '1 of 1 media file'."""
    return f"{n:,} of {count(total, noun)}"


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


def local_date(value: date | datetime, tz: tzinfo | None) -> date:
    """The owner's calendar day of ``value`` (a date is already a day)."""
    return in_zone(value, tz).date() if isinstance(value, datetime) else value


def span(start: datetime, end: datetime, tz: tzinfo | None = None) -> str:
    """The days from ``start`` to ``end``, the year said once when both share it.

    '12 Mar to 25 Mar 2023', '28 Dec 2022 to 3 Jan 2023', and a single day alone: '1 Dec 2026'.
    """
    start, end = in_zone(start, tz), in_zone(end, tz)
    if start.date() == end.date():
        return day(end)
    first = f"{start.day} {start:%b}" if start.year == end.year else day(start)
    return f"{first} to {day(end)}"


def between(start: datetime, end: datetime, tz: tzinfo | None = None) -> str:
    """The days of a range after a count: 'from 12 Mar to 25 Mar 2023', or 'on 1 Dec 2026' for one day."""
    text = span(start, end, tz)
    return f"on {text}" if " to " not in text else f"from {text}"


def time_of_day(value: datetime, tz: tzinfo | None = None) -> str:
    """A time of day with its zone: '09:41 NZDT'."""
    value = in_zone(value, tz)
    return f"{value:%H:%M} {_abbreviation(value.tzname() or '')}".strip()


def _abbreviation(name: str) -> str:
    """A zone's short name; one that has none ("+14", "-0330") as 'UTC+14', 'UTC-03:30'."""
    if name[:1] not in ("+", "-") or not name[1:].isdigit():
        return name
    sign, digits = name[0], name[1:]
    return f"UTC{sign}{int(digits[:2])}" + (f":{digits[2:]}" if digits[2:].strip("0") else "")


def instant(text) -> datetime | None:
    """An ISO instant a payload holds ('2024-03-05T06:05:00+00:00'), aware; None when it is none."""
    if not isinstance(text, str):
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


def clock_span(start: datetime, end: datetime, tz: tzinfo | None = None) -> str:
    """'22:10 to 22:40 CET'; '22:10 to 06:05 CET the next day'; '09:00 to 18:00 CET on 16 Nov 2026' further on
    (each time with its zone when the clocks changed in between)."""
    first, to = time_of_day(start, tz), time_of_day(end, tz)
    first_clock, _, first_zone = first.partition(" ")
    if first_zone == to.partition(" ")[2]:
        first = first_clock
    days = (local_date(end, tz) - local_date(start, tz)).days
    said = f"{first} to {to}"
    if days == 0:
        return said
    return f"{said} the next day" if days == 1 else f"{said} on {day(end, tz)}"


def day_and_time(value: datetime, tz: tzinfo | None = None) -> str:
    """A day and a time of day, the zone named: '12 Mar 2023 at 14:05 NZDT'."""
    return f"{day(value, tz)} at {time_of_day(value, tz)}"


_NEAR_DAYS = {-1: "yesterday", 0: "today", 1: "tomorrow"}
NEAR_DAY_WORDS = frozenset(_NEAR_DAYS.values())  # a moment that starts with one of these reads without "on"


def moment(value: datetime, tz: tzinfo | None = None, now: datetime | None = None) -> str:
    """A moment as an owner reads it: 'today at 09:41 NZDT', 'tomorrow at 09:41 NZDT', '12 Mar 2023 at 14:05 NZDT'.

    Near ``now`` (the day before, the same day, the day after, in ``tz``) the day is a word.
    """
    if now is not None:
        offset = (local_date(value, tz) - local_date(now, tz)).days
        if offset in _NEAR_DAYS:
            return f"{_NEAR_DAYS[offset]} at {time_of_day(value, tz)}"
    return day_and_time(value, tz)


def moments(start: datetime, end: datetime, tz: tzinfo | None = None, now: datetime | None = None) -> str:
    """From one moment to another: a single day said once ('1 Feb 2024 from 10:00 to 10:01 IST', 'today from
    09:00 to 09:41 NZDT'), else each moment whole ('13 Mar 2026 at 10:00 UTC to 14 Mar 2026 at 18:00 UTC')."""
    first, last = moment(start, tz, now), moment(end, tz, now)
    first_day, _, first_time = first.rpartition(" at ")
    last_day, _, last_time = last.rpartition(" at ")
    if first_day != last_day or local_date(start, tz) != local_date(end, tz):
        return f"{first} to {last}"
    first_clock, _, first_zone = first_time.partition(" ")
    last_clock, _, last_zone = last_time.partition(" ")
    return f"{first_day} from {first_clock if first_zone == last_zone else first_time} to {last_time}"


def when(value: datetime, tz: tzinfo | None = None, now: datetime | None = None) -> str:
    """A moment after a verb: 'today at 09:41 NZDT', 'on 12 Mar 2023 at 14:05 NZDT'."""
    text = moment(value, tz, now)
    return text if text.split(" ", 1)[0] in _NEAR_DAYS.values() else f"on {text}"


def import_name(at: datetime, filename: str, tz: tzinfo | None = None) -> str:
    """An import as the owner names it: its day and its file, '1 Dec 2026 · WhatsApp Chat with Alice.txt'."""
    return f"{day(at, tz)} · {filename}" if filename else day(at, tz)


def zone_name(tz: tzinfo | None) -> str:
    """The IANA name of ``tz`` ('Pacific/Auckland'); 'UTC' for UTC or no zone."""
    if tz is None:
        return "UTC"
    return getattr(tz, "key", None) or tz.tzname(None) or "UTC"


def zone(name: str | None) -> tzinfo:
    """The zone called ``name`` (an IANA name); UTC when there is none or it is unknown."""
    try:
        return ZoneInfo(name) if name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


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


def file_size(n: int) -> str:
    """'5.5 KB', '12 MB', '1.2 GB': a file's size as an owner reads it (one decimal under ten)."""
    for unit, step in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= step:
            value = n / step
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
    return count(n, ("byte", "bytes"))


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
    "gpx": "GPX",
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


def removal_words(noun: Noun, removed: int, kept: int) -> str:
    """What removing an import would do: what goes and what stays, counts agreeing with their nouns."""
    text = f"{count(removed, noun)} {pick(removed, ('goes', 'go'))}."
    if kept:
        text += (f" {count(kept, noun)} {pick(kept, ('stays', 'stay'))}, because another import "
                 "or your phone delivered them too.")
    return text
