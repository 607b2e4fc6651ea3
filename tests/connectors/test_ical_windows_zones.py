"""A calendar published by Outlook or Exchange names its zones the Windows way, wherever the
owner lives: "Singapore Standard Time", "E. South America Standard Time". Each is read in its
IANA zone (CLDR's table), not in the owner's zone with a warning; and the key of an overridden
occurrence stays what it was when Ownerhub did not know the zone, so a feed fetched again does
not bring it twice.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from connections.connectors.base import BatchFacts, ParseOptions
from connections.connectors.ical_feed import parse_calendar


def _feed(tzid: str, recurrence: bool = False) -> str:
    lines = ["BEGIN:VCALENDAR", "BEGIN:VEVENT", "UID:standup@example.org", "SUMMARY:Stand-up",
             f"DTSTART;TZID={tzid}:20240605T090000"]
    if recurrence:
        lines.append(f"RECURRENCE-ID;TZID={tzid}:20240605T090000")
    return "\r\n".join([*lines, "END:VEVENT", "END:VCALENDAR", ""])


@pytest.mark.parametrize(
    ("tzid", "zone"),
    [
        ("Singapore Standard Time", "Asia/Singapore"),
        ("E. South America Standard Time", "America/Sao_Paulo"),
        ("Arabian Standard Time", "Asia/Dubai"),
        ("Egypt Standard Time", "Africa/Cairo"),
        ("South Africa Standard Time", "Africa/Johannesburg"),
        ("Korea Standard Time", "Asia/Seoul"),
        ("New Zealand Standard Time", "Pacific/Auckland"),
        ("Central Standard Time (Mexico)", "America/Mexico_City"),
        ("W. Europe Standard Time", "Europe/Berlin"),
        ('"Tokyo Standard Time"', "Asia/Tokyo"),
    ],
)
def test_an_outlook_zone_anywhere_in_the_world_is_read_in_its_own_zone(tzid, zone):
    facts = BatchFacts()
    (event,) = parse_calendar(_feed(tzid), facts, ParseOptions(time_zone=ZoneInfo("Europe/Lisbon")))

    assert event.event_at == datetime(2024, 6, 5, 9, 0, tzinfo=ZoneInfo(zone)).astimezone(UTC)
    assert [w.kind for w in facts.warnings] == []


@pytest.mark.parametrize(
    ("tzid", "key"),
    [
        # Unknown before: keyed by the time as written, and still so.
        ("Singapore Standard Time", "standup@example.org|20240605T090000 Singapore Standard Time"),
        # Known since the first reader: keyed by the instant.
        ("W. Europe Standard Time", "standup@example.org|20240605T070000Z"),
    ],
)
def test_an_overridden_occurrence_keeps_the_key_it_had(tzid, key):
    (event,) = parse_calendar(_feed(tzid, recurrence=True), BatchFacts(), ParseOptions())

    assert event.key == key
