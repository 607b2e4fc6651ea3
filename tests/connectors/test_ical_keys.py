"""iCalendar event keys never depend on the owner's zone (issue 11 section 2).

A floating time (no zone, no "Z") is read in the owner's zone, so its instant moves when the
owner corrects their zone; the key of an overridden occurrence, or of an event without a UID,
must not move with it.
"""

from __future__ import annotations

import hashlib
from zoneinfo import ZoneInfo

from connections.connectors.base import BatchFacts, ParseOptions
from connections.connectors.ical_feed import parse_calendar

FEED = "\r\n".join(
    [
        "BEGIN:VCALENDAR",
        "BEGIN:VEVENT",
        "UID:book-club@example.org",
        "SUMMARY:Book club",
        "DTSTART:20240605T190000",
        "RRULE:FREQ=WEEKLY;COUNT=4",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:book-club@example.org",
        "SUMMARY:Book club (later)",
        "RECURRENCE-ID:20240612T190000",
        "DTSTART:20240612T200000",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:book-club@example.org",
        "SUMMARY:Book club (on Mars)",
        "RECURRENCE-ID;TZID=Mars/Olympus:20240619T190000",
        "DTSTART;TZID=Mars/Olympus:20240619T190000",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "SUMMARY:Garden party",
        "DTSTART:20240620T150000",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:standup@example.org",
        "SUMMARY:Stand-up (moved)",
        "RECURRENCE-ID;TZID=Europe/Berlin:20240605T090000",
        "DTSTART;TZID=Europe/Berlin:20240605T100000",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "SUMMARY:Village fair",
        "DTSTART;VALUE=DATE:20240622",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:holidays@example.org",
        "SUMMARY:Holiday (moved)",
        "RECURRENCE-ID;VALUE=DATE:20240701",
        "DTSTART;VALUE=DATE:20240702",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
)


def keys_in(zone: str) -> dict[str, str]:
    options = ParseOptions(time_zone=ZoneInfo(zone))
    return {r.payload["summary"]: r.key for r in parse_calendar(FEED, BatchFacts(), options)}


def test_floating_occurrences_and_events_without_uid_keep_their_keys_in_any_owner_zone():
    auckland, berlin = keys_in("Pacific/Auckland"), keys_in("Europe/Berlin")

    assert auckland == berlin
    assert auckland["Book club (later)"] == "book-club@example.org|20240612T190000"
    assert auckland["Book club (on Mars)"] == "book-club@example.org|20240619T190000 Mars/Olympus"


def test_an_occurrence_in_a_named_zone_is_keyed_by_its_instant_as_before():
    keys = keys_in("Pacific/Auckland")

    assert keys["Stand-up (moved)"] == "standup@example.org|20240605T070000Z"


def test_each_occurrence_of_a_floating_series_is_keyed_by_its_start_as_written_in_any_owner_zone():
    """A repeating event is a record per occurrence (ical/3), keyed as a RECURRENCE-ID of it would be:
    the two occurrences replaced by other events (12 and 19 Jun) are theirs, keyed as before."""
    for zone in ("Pacific/Auckland", "Europe/Berlin", "America/Los_Angeles"):
        options = ParseOptions(time_zone=ZoneInfo(zone))
        series = [r.key for r in parse_calendar(FEED, BatchFacts(), options) if r.payload["summary"] == "Book club"]
        assert series == ["book-club@example.org|20240605T190000", "book-club@example.org|20240626T190000"]


def test_all_day_dates_are_keyed_as_ical_1_keyed_them_whatever_the_owners_zone():
    """An all-day date stands at noon in the owner's zone (``base.day_instant``); its key is still
    midnight UTC of the date, as before, so a feed fetched again brings nothing twice."""
    for zone in ("Pacific/Pago_Pago", "America/St_Johns", "Pacific/Kiritimati"):
        keys = keys_in(zone)
        assert keys["Holiday (moved)"] == "holidays@example.org|20240701T000000Z"
        anchor = "2024-06-22T00:00:00+00:00|Village fair"
        assert keys["Village fair"] == "nouid:" + hashlib.sha256(anchor.encode()).hexdigest()[:32]
