"""The days a calendar event is shown on, and its end: an event that spans days is a record per day.

- An all-day event that ends days after its start (``DTEND``, or ``DURATION``) is a record for each
  date it spans, as written: all-day dates are the calendar's own and depend on no zone. A later
  day is keyed by its date (``|day:YYYYMMDD``), as since ical/3.
- A timed event that runs past midnight in the owner's zone (22:00 to 02:00, a conference of three
  days with times) is a record for each day of the owner's zone it touches; one that ends at
  midnight does not touch the next day. Which days it touches depends on the zone, its keys do
  not: a later day is keyed by its place (``|day#2``), so a change of the owner's zone moves
  records, it never keys them again. A later day stands at the start of its day in the owner's
  zone (the event continues from the day before) and says so (``continued``).
- The first day keeps the event's own key, so an event that spans no day keeps the key it always had.
- ``DURATION`` (RFC 5545 3.3.6: weeks, days, hours, minutes, seconds) gives the end when there is
  no ``DTEND``; it is an exact length (a day of it is 24 hours, also across a change to summer time).

Days are the owner's: every instant here is counted in ``ParseOptions.time_zone``.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from .base import BatchFacts, ParseOptions, day_instant
from .ical_series import Event
from .ical_times import DATE

MAX_DAYS = 366  # days an event is shown on
_DURATION = re.compile(r"^\+?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")

# (the day part of the key: a date as written, the n-th day, or None for the first; when; what the day adds)
Day = tuple[date | int | None, datetime, dict]


def duration(value: str) -> timedelta | None:
    """An RFC 5545 duration ("PT1H30M", "P3D", "P1W"); None when unreadable, negative or empty."""
    m = _DURATION.match(value.strip().upper())
    if m is None or not any(m.groups()):
        return None
    weeks, days, hours, minutes, seconds = (int(g or 0) for g in m.groups())
    length = timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
    return length if length.total_seconds() > 0 else None


def end_of(event_first: dict[str, tuple[dict, str]], start: datetime) -> datetime | None:
    """The end an event's ``DURATION`` gives from ``start``, when it has one and no ``DTEND``."""
    if "DTEND" in event_first or "DURATION" not in event_first:
        return None
    length = duration(event_first["DURATION"][1])
    return start + length if length is not None else None


def days(
    event: Event,
    key_part: datetime | str | None,
    start: datetime,
    end: datetime | None,
    facts: BatchFacts,
    options: ParseOptions,
) -> list[Day]:
    """The days an occurrence (its ``start`` and ``end``) is shown on, first day first; one for most events."""
    if event.all_day:
        spanned = _all_day_span(event, key_part)
        if spanned is None:
            return [(None, start, {})]
        first_day, count = spanned
        count = _capped(count, event, facts)
        return [(None, start, {"day": f"1 of {count}"})] + [
            (
                first_day + timedelta(days=i),
                day_instant(first_day + timedelta(days=i), options.time_zone),
                {"day": f"{i + 1} of {count}"},
            )
            for i in range(1, count)
        ]
    count = days_touched(start, end, options.time_zone)
    if count <= 1:
        return [(None, start, {})]
    return timed_days(start, _capped(count, event, facts), options.time_zone)


def days_touched(start: datetime, end: datetime | None, zone: tzinfo) -> int:
    """How many days of ``zone`` a timed event from ``start`` to ``end`` touches (1 without an end)."""
    if end is None or end <= start:
        return 1
    first_day, last_day = start.astimezone(zone).date(), (end - timedelta(microseconds=1)).astimezone(zone).date()
    return (last_day - first_day).days + 1


def timed_days(start: datetime, count: int, zone: tzinfo) -> list[Day]:
    """The ``count`` days (more than one) of a timed event from ``start`` in ``zone``: the first at its
    start, each later one at the start of its day there, continuing. Also how a zone change places
    such an event again (``coverage.pipeline.zone_days``)."""
    first_day = start.astimezone(zone).date()
    return [(None, start, {"day": f"1 of {count}"})] + [
        (i + 1, _midnight(first_day + timedelta(days=i), zone), {"day": f"{i + 1} of {count}", "continued": True})
        for i in range(1, count)
    ]


def _capped(count: int, event: Event, facts: BatchFacts) -> int:
    if count > MAX_DAYS:
        what = "An all-day event" if event.all_day else "An event"
        facts.warn(
            "long_event",
            f"{what} spans {count:,} days; it is shown on its first {MAX_DAYS}.",
            f"event {event.n}",
        )
    return min(count, MAX_DAYS)


def _midnight(day: date, zone: tzinfo) -> datetime:
    """The start of ``day`` in the owner's zone: where a later day of a timed event stands."""
    return datetime.combine(day, time(0), zone).astimezone(UTC)


def _all_day_span(event: Event, key_part: datetime | str | None) -> tuple[date, int] | None:
    """(first day, days) of an all-day occurrence that ends on a later date than the day after its start."""
    start_day = _date_of(*event.first["DTSTART"])
    if start_day is None:
        return None
    if "DTEND" in event.first:
        end_day = _date_of(*event.first["DTEND"])
    elif "DURATION" in event.first and (length := duration(event.first["DURATION"][1])) is not None:
        end_day = start_day + timedelta(days=max(1, length.days + (1 if length.seconds else 0)))
    else:
        return None
    if end_day is None or (end_day - start_day).days <= 1:
        return None
    if isinstance(key_part, datetime) and event.recurrence is None:  # an occurrence: its own date
        return key_part.date(), (end_day - start_day).days
    return start_day, (end_day - start_day).days


def _date_of(params: dict, value: str) -> date | None:
    m = DATE.match(value.strip())
    if m is None or params.get("VALUE", "DATE") != "DATE":
        return None
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None
