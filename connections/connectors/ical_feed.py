"""An iCalendar feed fetched on a schedule (provider_api).

``parse_calendar(text, facts, options)`` reads iCalendar text (RFC 5545) into
records of stream ``events``; it is pure (no database, no clock, no network):

- Content lines are unfolded first (a line starting with a space or tab
  continues the previous one); CRLF and bare LF are both accepted.
- Only properties directly inside a ``VEVENT`` are read; nested components
  (``VALARM``) and ``VTIMEZONE`` definitions are passed over.
- The key is the ``UID`` plus the ``RECURRENCE-ID`` (as UTC) of an overridden
  occurrence, so a re-fetched feed gives the same keys. A key never depends on
  the owner's zone: a floating ``RECURRENCE-ID`` (or one in a zone Ownerhub does
  not know) is keyed by its wall-clock text as written, and so is the start of
  an event without a ``UID``; an all-day date by midnight UTC of it (``key_time``). Keys longer than the column (long Outlook UIDs)
  are replaced by a digest of the same text.
- ``DTSTART`` becomes UTC: ``...Z`` is UTC; ``TZID=...`` is read in that zone
  (``ical_zones``: IANA names, every Windows name, or the feed's own ``VTIMEZONE``
  of that name); a time in a zone none of those tells, and a floating time, is
  read in the owner's zone; a date-only (all-day) value stands at noon of that
  date in the owner's zone (``base.day_instant``), so it counts on its own day
  there; when the owner changes zone, the held events are placed again in the new
  one at once (``coverage.pipeline.zone_days``), without waiting for a pull.
- A repeating event (``RRULE``, ``RDATE``) is a record per occurrence, from its first start up to
  ``ParseOptions.horizon`` (a year after the pull), less its ``EXDATE``s, each keyed by the ``UID``
  and the occurrence's original start exactly as a ``RECURRENCE-ID`` of it is keyed, so the event
  that replaces one occurrence takes its place (``ical_series``; bounded: ``ical_repeats``). A
  non-repeating event keeps the key it always had.
- An event that spans days is a record per day it is shown on (``payload["day"]``: "2 of 3";
  ``ical_days``): an all-day one for each date it spans, a timed one for each day of the owner's zone
  it touches (22:00 to 02:00: two). The first day keeps the event's key, the others add their date
  (all-day) or their place (timed). ``DURATION`` gives the end of an event without ``DTEND``.
- A cancelled event (``STATUS:CANCELLED``) is a record with that status: a day page says so.
- The feed is the calendar as it is now: ``BatchFacts.snapshot`` names the range it speaks for,
  from its first record's time to the horizon (nothing when it ended inside an event).

A text that is not a calendar raises ``ArtifactRejected`` before anything is
yielded. An event without a readable ``DTSTART`` is counted as failed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from .base import ArtifactRejected, BatchFacts, Body, ParsedRecord, ParseOptions
from .ical_days import days, end_of
from .ical_series import Budget, Event, occurrences
from .ical_times import BadTime, key_time, read_time
from .ical_zones import FeedZones
from .manifest import AcquisitionPath, FetchPolicy, Manifest, StreamView

# 2: an all-day date at noon in the owner's zone (base.day_instant); 3: a repeating event is a record per
# occurrence, an all-day event a record per day it spans, and a feed is a snapshot (BatchFacts.snapshot);
# 4: a timed event is a record per day it touches in the owner's zone, and DURATION gives an end (ical_days)
PARSER_VERSION = "ical/4"
STREAM = "events"
MAX_KEY = 120  # Record.key
_MAX_TEXT = 500

def unfold(text: str) -> Iterator[str]:
    """Logical content lines of iCalendar text (folding undone, blank lines dropped)."""
    current: str | None = None
    for raw in text.splitlines():
        if raw[:1] in (" ", "\t") and current is not None:
            current += raw[1:]
            continue
        if current:
            yield current
        current = raw
    if current:
        yield current


def split_line(line: str) -> tuple[str, dict[str, str], str]:
    """(NAME, {PARAM: value}, value) of one content line; quoted parameter values may hold ':' and ';'."""
    quoted = False
    cut = -1
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == ":" and not quoted:
            cut = i
            break
    if cut < 0:
        raise BadTime("no colon")
    head, value = line[:cut], line[cut + 1 :]
    parts, buf, quoted = [], "", False
    for ch in head:
        if ch == '"':
            quoted = not quoted
        if ch == ";" and not quoted:
            parts.append(buf)
            buf = ""
        else:
            buf += ch
    parts.append(buf)
    params = {}
    for part in parts[1:]:
        key, _, val = part.partition("=")
        params[key.strip().upper()] = val.strip().strip('"')
    return parts[0].strip().upper(), params, value


def _unescape(value: str) -> str:
    out = re.sub(r"\\([nN\\;,])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)
    return out.replace("\x00", "")[:_MAX_TEXT]


def event_key(uid: str, recurrence: datetime | str | None, day: date | int | None = None) -> str:
    """``UID``, plus the occurrence (its UTC instant, or its text from ``as_written``), plus, for the
    second and later days of an event that spans several, the day: its date as written for an all-day
    event, its place (2, 3, ...) for a timed one (``ical_days``)."""
    if isinstance(recurrence, datetime):
        recurrence = f"{recurrence:%Y%m%dT%H%M%SZ}"
    raw = uid if recurrence is None else f"{uid}|{recurrence}"
    if isinstance(day, date):
        raw = f"{raw}|day:{day:%Y%m%d}"
    elif day is not None:
        raw = f"{raw}|day#{day}"
    if len(raw) <= MAX_KEY:
        return raw
    return "sha256:" + hashlib.sha256(raw.encode()).hexdigest()


def _read(props: list[tuple[str, dict, str]], n: int, facts: BatchFacts, options: ParseOptions,
          zones: FeedZones) -> Event | None:
    first: dict[str, tuple[dict, str]] = {}
    every: dict[str, list[tuple[dict, str]]] = {"RDATE": [], "EXDATE": []}
    for name, params, value in props:
        first.setdefault(name, (params, value))
        if name in every:
            every[name].append((params, value))
    if "DTSTART" not in first:
        facts.fail("An event without a start time.", f"event {n}")
        return None

    def when(name: str) -> tuple[datetime, bool]:
        params, value = first[name]
        return read_time(value, params, options, facts, zones)

    try:
        start, all_day = when("DTSTART")
        recurrence = when("RECURRENCE-ID")[0] if "RECURRENCE-ID" in first else None
        recurrence_key = recurrence and key_time(*first["RECURRENCE-ID"], recurrence)
    except BadTime as exc:
        facts.fail(f"An event whose start time cannot be read ({exc}).", f"event {n}")
        return None
    uid = first.get("UID", ({}, ""))[1].strip()
    summary = _unescape(first.get("SUMMARY", ({}, ""))[1])
    if not uid:
        # Required by RFC 5545, but some generators omit it: start and title stand in.
        anchor = key_time(*first["DTSTART"], start)
        anchor = anchor if isinstance(anchor, str) else anchor.isoformat()
        uid = "nouid:" + hashlib.sha256(f"{anchor}|{summary}".encode()).hexdigest()[:32]
        facts.warn("no_uid", "An event has no UID; its start and title identify it.", f"event {n}")
    payload: dict = {"uid": uid[:_MAX_TEXT], "summary": summary, "all_day": all_day}
    if recurrence is not None:
        payload["recurrence_id"] = recurrence.isoformat()
    end = end_of(first, start)
    if "DTEND" in first:
        try:
            end = when("DTEND")[0]
        except BadTime:
            pass
    if end is not None:
        payload["end"] = end.isoformat()
    for name, field in (("LOCATION", "location"), ("STATUS", "status"), ("RRULE", "rrule")):
        if name in first:
            payload[field] = _unescape(first[name][1])
    return Event(n, first, every, uid, start, all_day, recurrence, recurrence_key, payload, end)


def _records(event: Event, overridden: set, facts: BatchFacts, options: ParseOptions, zones: FeedZones,
             budget: Budget) -> Iterator[ParsedRecord]:
    """The records of one event: one, one per occurrence of a repeating one, and one per day of each
    one that spans several days."""
    repeats = ("RRULE" in event.first or event.every["RDATE"]) and event.recurrence is None
    written = occurrences(event, overridden, facts, options, zones, budget) if repeats else None
    if written is None:
        yield from _days(event, event.recurrence_key, event.start, event.payload, facts, options)
        return
    for key_part, start in written:
        payload = dict(event.payload)
        if event.end is not None:
            payload["end"] = (start + (event.end - event.start)).isoformat()
        yield from _days(event, key_part, start, payload, facts, options)


def _days(event: Event, key_part: datetime | str | None, start: datetime, payload: dict, facts: BatchFacts,
          options: ParseOptions) -> Iterator[ParsedRecord]:
    """An occurrence's records: one for each day it is shown on (``ical_days``), the first keyed as the
    occurrence is."""
    end = datetime.fromisoformat(payload["end"]) if "end" in payload else None
    for day, at, said in days(event, key_part, start, end, facts, options):
        yield ParsedRecord(STREAM, event_key(event.uid, key_part, day), at, {**payload, **said})


def parse_calendar(text: str, facts: BatchFacts, options: ParseOptions) -> Iterator[ParsedRecord]:
    """The events of an iCalendar text (see the module doc)."""
    facts.source_format = "icalendar"
    facts.parser_version = PARSER_VERSION
    lines = unfold(text.lstrip("\ufeff"))
    first = next(lines, "").strip().upper()
    if first != "BEGIN:VCALENDAR":
        raise ArtifactRejected("wrong_source", "This is not an iCalendar feed (no BEGIN:VCALENDAR).")
    zones = FeedZones(text)
    events = list(_events(lines, facts, options, zones))
    overridden: dict[str, set] = {}
    for event in events:
        if event.recurrence is not None:
            overridden.setdefault(event.uid, set()).update((event.recurrence, event.recurrence_key))
    budget = Budget()
    earliest = latest = None
    for event in events:
        for record in _records(event, overridden.get(event.uid, set()), facts, options, zones, budget):
            earliest = record.event_at if earliest is None else min(earliest, record.event_at)
            latest = record.event_at if latest is None else max(latest, record.event_at)
            yield record
    if earliest is not None and not facts.partial:
        facts.snapshot = (earliest, max(latest, options.horizon or latest))


def _events(lines: Iterator[str], facts: BatchFacts, options: ParseOptions, zones: FeedZones) -> Iterator[Event]:
    depth = 0  # nesting inside the current VEVENT (alarms)
    props: list | None = None
    n = 0
    for line in lines:
        try:
            name, params, value = split_line(line)
        except BadTime:
            if props is not None:
                facts.fail("A line of an event could not be read.", f"event {n}")
            continue
        if name == "BEGIN":
            if props is not None:
                depth += 1
            elif value.strip().upper() == "VEVENT":
                props, depth, n = [], 0, n + 1
            continue
        if name == "END":
            if props is None:
                continue
            if depth:
                depth -= 1
            elif value.strip().upper() == "VEVENT":
                event = _read(props, n, facts, options, zones)
                props = None
                if event is not None:
                    yield event
            continue
        if props is not None and depth == 0:
            props.append((name, params, value))
    if props is not None:
        facts.partial = True
        facts.fail("The feed ended inside an event.", f"event {n}")


def parse_feed(body: Body, facts: BatchFacts, options: ParseOptions) -> Iterator[ParsedRecord]:
    """The pull path's parser: the feed's answer as text, read by ``parse_calendar``."""
    return parse_calendar(body.text(), facts, options)


MANIFEST = Manifest(
    id="ical_feed",
    name="Calendar feed",
    record_noun=("event", "events"),
    summary="A calendar's secret iCal address, fetched on a schedule.",
    paths=(
        AcquisitionPath(
            method="provider_api",
            job="Keep a calendar current from its feed address",
            trigger="scheduled",
            recommended=True,
            needs_credential=True,
            instructions=(
                "In your calendar's settings, copy the secret address in iCal format.",
                "Paste it here; Ownerhub fetches it on the schedule you choose.",
            ),
            parser=parse_feed,
            fetch=FetchPolicy(),
        ),
    ),
    streams=("events",),
    views={"events": StreamView("agenda", ("summary", "location", "status", "all_day", "day", "continued"))},
    record_key_rule="identifier the calendar gives the event and, for a repeating event, the occurrence",
    expected_refresh=timedelta(days=1),
    recovery="Copy the calendar's secret iCal address again and paste it here.",
)
