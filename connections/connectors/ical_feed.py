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
  there, and still does after a move of less than 12 hours.
- Recurring events are stored once, at their first start, with the rule in the
  payload; occurrences are not expanded.

A text that is not a calendar raises ``ArtifactRejected`` before anything is
yielded. An event without a readable ``DTSTART`` is counted as failed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, tzinfo

from .base import ArtifactRejected, BatchFacts, Body, ParsedRecord, ParseOptions, day_instant
from .ical_zones import FeedZones, keyed_as_written
from .manifest import AcquisitionPath, FetchPolicy, Manifest, StreamView

PARSER_VERSION = "ical/2"  # 2: an all-day date at noon in the owner's zone (base.day_instant)
STREAM = "events"
MAX_KEY = 120  # Record.key
_MAX_TEXT = 500

_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DATETIME = re.compile(r"^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(Z?)$")


class _Bad(ValueError):
    pass


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
        raise _Bad("no colon")
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


def read_time(value: str, params: dict[str, str], options: ParseOptions, facts: BatchFacts,
              zones: FeedZones) -> tuple[datetime, bool]:
    """(UTC instant, all_day) of a DTSTART-like value; raises _Bad when unreadable."""
    value = value.strip()
    m = _DATE.match(value)
    if m is not None and params.get("VALUE", "DATE") == "DATE":
        try:
            day = date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            raise _Bad("impossible date") from None
        return day_instant(day, options.time_zone), True
    m = _DATETIME.match(value)
    if m is None:
        raise _Bad("unreadable time")
    try:
        naive = datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]), min(int(m[6]), 59))
    except ValueError:
        raise _Bad("impossible time") from None
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
        raise _Bad("time out of range") from None


def as_written(params: dict[str, str], value: str) -> str | None:
    """The wall-clock text of a floating date-time, or of one in a zone no name tells (with that
    zone's name); None for a date, a UTC time or a time in a named zone.

    A floating time is read in the owner's zone, and a time in a zone only the feed defines
    may be read otherwise once the definition changes, so their instants are no part of a key.
    A time in a Windows zone learned after ical/1 keeps the text it was keyed by when it was
    not known (``ical_zones.keyed_as_written``).
    """
    value = value.strip()
    m = _DATETIME.match(value)
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
    m = _DATE.match(value.strip())
    if m is not None and params.get("VALUE", "DATE") == "DATE":
        return datetime(int(m[1]), int(m[2]), int(m[3]), tzinfo=UTC)
    return instant


def event_key(uid: str, recurrence: datetime | str | None) -> str:
    """``UID``, plus the overridden occurrence: its UTC instant, or its text from ``as_written``."""
    if isinstance(recurrence, datetime):
        recurrence = f"{recurrence:%Y%m%dT%H%M%SZ}"
    raw = uid if recurrence is None else f"{uid}|{recurrence}"
    if len(raw) <= MAX_KEY:
        return raw
    return "sha256:" + hashlib.sha256(raw.encode()).hexdigest()


def _event(props: list[tuple[str, dict, str]], n: int, facts: BatchFacts, options: ParseOptions,
           zones: FeedZones) -> ParsedRecord | None:
    first: dict[str, tuple[dict, str]] = {}
    for name, params, value in props:
        first.setdefault(name, (params, value))
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
    except _Bad as exc:
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
    if "DTEND" in first:
        try:
            payload["end"] = when("DTEND")[0].isoformat()
        except _Bad:
            pass
    for name, field in (("LOCATION", "location"), ("STATUS", "status"), ("RRULE", "rrule")):
        if name in first:
            payload[field] = _unescape(first[name][1])
    return ParsedRecord(STREAM, event_key(uid, recurrence_key), start, payload)


def parse_calendar(text: str, facts: BatchFacts, options: ParseOptions) -> Iterator[ParsedRecord]:
    """The events of an iCalendar text (see the module doc)."""
    facts.source_format = "icalendar"
    facts.parser_version = PARSER_VERSION
    lines = unfold(text.lstrip("\ufeff"))
    first = next(lines, "").strip().upper()
    if first != "BEGIN:VCALENDAR":
        raise ArtifactRejected("wrong_source", "This is not an iCalendar feed (no BEGIN:VCALENDAR).")
    zones = FeedZones(text)
    depth = 0  # nesting inside the current VEVENT (alarms)
    props: list | None = None
    n = 0
    for line in lines:
        try:
            name, params, value = split_line(line)
        except _Bad:
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
                record = _event(props, n, facts, options, zones)
                props = None
                if record is not None:
                    yield record
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
    views={"events": StreamView("agenda", ("summary", "location", "status", "all_day"))},
    record_key_rule="identifier the calendar gives the event and, for a repeating event, the occurrence",
    expected_refresh=timedelta(days=1),
    recovery="Copy the calendar's secret iCal address again and paste it here.",
)
