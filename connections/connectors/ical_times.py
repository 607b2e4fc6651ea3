"""Times of an iCalendar feed: a DTSTART-like value read as an instant, and what a key holds of it.

Shared by ``ical_feed`` (events) and ``ical_series`` (the occurrences of a repeating event).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, tzinfo

from .base import BatchFacts, ParseOptions, day_instant
from .ical_zones import FeedZones, keyed_as_written

DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
DATETIME = re.compile(r"^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(Z?)$")


class BadTime(ValueError):
    """A time that cannot be read (the message says why, for the owner's warning)."""


def read_time(value: str, params: dict[str, str], options: ParseOptions, facts: BatchFacts,
              zones: FeedZones) -> tuple[datetime, bool]:
    """(UTC instant, all_day) of a DTSTART-like value; raises BadTime when unreadable."""
    value = value.strip()
    m = DATE.match(value)
    if m is not None and params.get("VALUE", "DATE") == "DATE":
        try:
            day = date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            raise BadTime("impossible date") from None
        return day_instant(day, options.time_zone), True
    m = DATETIME.match(value)
    if m is None:
        raise BadTime("unreadable time")
    try:
        naive = datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]), min(int(m[6]), 59))
    except ValueError:
        raise BadTime("impossible time") from None
    if m[7]:
        return naive.replace(tzinfo=UTC), False
    tzid = params.get("TZID")
    zone: tzinfo | None = None
    if tzid:
        zone = zones.zone(tzid)
        if zone is None and tzid not in zones.warned:
            zones.warned.add(tzid)
            facts.warn(
                "unknown_time_zone",
                f"The time zone {tzid[:60]!r} is not known; its times were read in your time zone.",
            )
    if zone is None:
        zone = options.time_zone
        facts.time_zone_assumed = getattr(zone, "key", None) or str(zone)
    try:
        return naive.replace(tzinfo=zone).astimezone(UTC), False
    except (OverflowError, ValueError):
        raise BadTime("time out of range") from None


def as_written(params: dict[str, str], value: str) -> str | None:
    """The wall-clock text of a floating date-time, or of one in a zone no name tells (with that
    zone's name); None for a date, a UTC time or a time in a named zone.

    A floating time is read in the owner's zone, and a time in a zone only the feed defines
    may be read otherwise once the definition changes, so their instants are no part of a key.
    A time in a Windows zone learned after ical/1 keeps the text it was keyed by when it was
    not known (``ical_zones.keyed_as_written``).
    """
    value = value.strip()
    m = DATETIME.match(value)
    if m is None or m[7]:
        return None
    tzid = params.get("TZID", "").strip()
    if not tzid:
        return value
    return f"{value} {tzid}" if keyed_as_written(tzid) else None


def key_time(params: dict[str, str], value: str, instant: datetime) -> datetime | str:
    """What a key holds of a time read as ``instant``: its text from ``as_written``; for a date,
    midnight UTC of that date, where ical/1 stood it (the instant now depends on the owner's zone:
    ``base.day_instant``); else ``instant`` itself."""
    written = as_written(params, value)
    if written:
        return written
    m = DATE.match(value.strip())
    if m is not None and params.get("VALUE", "DATE") == "DATE":
        return datetime(int(m[1]), int(m[2]), int(m[3]), tzinfo=UTC)
    return instant


def wall(value: str) -> tuple[datetime, str] | None:
    """A DTSTART-like value as a naive wall-clock time and its kind: "date", "utc" or "local"."""
    value = value.strip()
    m = DATE.match(value)
    if m is not None:
        try:
            return datetime(int(m[1]), int(m[2]), int(m[3])), "date"
        except ValueError:
            return None
    m = DATETIME.match(value)
    if m is None:
        return None
    try:
        at = datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]), min(int(m[6]), 59))
    except ValueError:
        return None
    return at, "utc" if m[7] else "local"


def wall_text(at: datetime, kind: str) -> str:
    """``wall`` undone: the value as a feed writes it."""
    if kind == "date":
        return f"{at:%Y%m%d}"
    return f"{at:%Y%m%dT%H%M%S}" + ("Z" if kind == "utc" else "")


def until_wall(until: str | None, kind: str, params: dict, options: ParseOptions, zones: FeedZones) -> datetime | None:
    """An RRULE's UNTIL on the series' own clock (naive); None when there is none or it cannot be read."""
    if until is None:
        return None
    found = wall(until)
    if found is None:
        return None
    at, until_kind = found
    if until_kind == "date":
        return at.replace(hour=23, minute=59, second=59)
    if until_kind == "local" or kind in ("date", "utc"):
        return at
    zone = zones.zone(params["TZID"]) if params.get("TZID") else None
    return at.replace(tzinfo=UTC).astimezone(zone or options.time_zone).replace(tzinfo=None)
