"""A repeating calendar event written out as its occurrences: RRULE, RDATE, EXDATE, RECURRENCE-ID.

Each occurrence is keyed by the event's UID and its original start, as ``ical_times.key_time`` keys
a ``RECURRENCE-ID``, so an event that replaces one occurrence (``RECURRENCE-ID``) takes that
occurrence's place and key. Starts are found on the event's own clock (``ical_repeats``) and each
is read like a ``DTSTART`` written with that time: never in another zone than the event's.
What a feed may write out is bounded (``MAX_SERIES``, ``MAX_REPEATED``, ``ical_repeats``); what
is not written out is kept once, as ical/2 kept every repeating event, and a warning says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .base import BatchFacts, ParseOptions
from .ical_repeats import MAX_OCCURRENCES, NotWritten, rule_starts, until_of
from .ical_times import BadTime, key_time, read_time, until_wall, wall, wall_text
from .ical_zones import FeedZones

MAX_SERIES = 500  # repeating events a feed writes out; later ones are kept once
MAX_REPEATED = 50_000  # records a feed's repeating events give in all
REACH = timedelta(days=366)  # how far a series is written out when the pull names no horizon


@dataclass
class Event:
    """One VEVENT as read: its first value of each property, and what was read of its times."""

    n: int
    first: dict[str, tuple[dict, str]]
    every: dict[str, list[tuple[dict, str]]]  # the properties that may repeat: RDATE, EXDATE
    uid: str
    start: datetime
    all_day: bool
    recurrence: datetime | None
    recurrence_key: datetime | str | None
    payload: dict
    end: datetime | None


@dataclass
class _Budget:
    """What the whole feed may still write out of repeating events (``MAX_SERIES``, ``MAX_REPEATED``)."""

    series: int = MAX_SERIES
    records: int = MAX_REPEATED


@dataclass
class Budget:
    """What the whole feed may still write out of repeating events (``MAX_SERIES``, ``MAX_REPEATED``)."""

    series: int = MAX_SERIES
    records: int = MAX_REPEATED


def occurrences(event: Event, overridden: set, facts: BatchFacts, options: ParseOptions, zones: FeedZones,
                budget: Budget) -> list[tuple[datetime | str, datetime]] | None:
    """(key part, UTC start) of each occurrence of a repeating event, in order: its RRULE's starts and
    its RDATEs, less its EXDATEs and the occurrences a RECURRENCE-ID event replaces. None when it is
    not written out (the event is then kept once, as ical/2 kept it, with its rule in the payload)."""
    params, value = event.first["DTSTART"]
    first = wall(value)
    if first is None:
        return None
    first_start, kind = first
    position = f"event {event.n}"
    if budget.series <= 0 or budget.records <= 0:
        facts.warn("repeats_not_written", f"The feed repeats more events than Ownerhub writes out ({MAX_SERIES:,} "
                   f"or {MAX_REPEATED:,} occurrences); {event.payload['summary'][:60]!r} is shown once.", position)
        return None
    budget.series -= 1
    starts: list[datetime] = [first_start]
    if "RRULE" in event.first:
        rule, until = until_of(event.first["RRULE"][1])
        try:
            found = rule_starts(rule, first_start, _reach(event, options), until_wall(until, kind, params, options, zones))
        except NotWritten as exc:
            facts.warn("repeats_not_written", f"{event.payload['summary'][:60]!r} is shown once: {exc}", position)
            return None
        except Exception:  # noqa: BLE001 - whatever dateutil raises on a rule it cannot read
            facts.warn("repeats_not_read", f"The repeat rule of {event.payload['summary'][:60]!r} cannot be read; "
                       "it is shown once.", position)
            return None
        if found.cut:
            facts.warn("repeats_cut", f"{event.payload['summary'][:60]!r} repeats more than {MAX_OCCURRENCES:,} "
                       f"times; its first {MAX_OCCURRENCES:,} are kept.", position)
        starts = found.starts if found.starts[:1] == [first_start] else [first_start, *found.starts]
    out: dict[datetime, datetime | str] = {}
    for start in starts[: budget.records]:
        text = wall_text(start, kind)
        try:
            at = read_time(text, params, options, facts, zones)[0]
        except BadTime:
            continue
        out.setdefault(at, key_time(params, text, at))
    for rd_params, rd_value in event.every["RDATE"]:
        for part in rd_value.split(","):
            part = part.split("/")[0]
            try:
                at = read_time(part, rd_params, options, facts, zones)[0]
            except BadTime:
                facts.warn("unreadable_date", "A date an event also happens on cannot be read.", position)
                continue
            out.setdefault(at, key_time(rd_params, part, at))
    for ex_params, ex_value in event.every["EXDATE"]:
        for part in ex_value.split(","):
            try:
                out.pop(read_time(part, ex_params, options, facts, zones)[0], None)
            except BadTime:
                facts.warn("unreadable_date", "A date an event does not happen on cannot be read.", position)
    kept = [(key, at) for at, key in sorted(out.items()) if at not in overridden and key not in overridden]
    budget.records -= len(kept)
    return kept


def _reach(event: Event, options: ParseOptions) -> datetime:
    """How far a series is written out, on its own clock: the pull's horizon, else a year after its start."""
    horizon = options.horizon or (event.start + REACH)
    return horizon.astimezone(UTC).replace(tzinfo=None)
