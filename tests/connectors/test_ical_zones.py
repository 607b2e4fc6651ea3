"""A calendar published by Outlook or Exchange names its zones the Windows way, wherever the
owner lives ("Singapore Standard Time", "E. South America Standard Time"), or in words of its
display language with the zone's definition in the feed ("(UTC+01:00) Amsterdam, Berlin, …").
Each is read in its own zone, not in the owner's zone with a warning; and the key of an
overridden occurrence stays what it was when Ownerhub did not know the zone, so a feed fetched
again does not bring it twice.
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


EXCHANGE_ZONE = "(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna"


def _exchange_feed(rule: str = "FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH={month}") -> str:
    zone = [
        "BEGIN:VTIMEZONE", f"TZID:{EXCHANGE_ZONE.replace(',', chr(92) + ',')}",
        "BEGIN:STANDARD", "DTSTART:16010101T030000", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100",
        f"RRULE:{rule.format(month=10)}", "END:STANDARD",
        "BEGIN:DAYLIGHT", "DTSTART:16010101T020000", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200",
        f"RRULE:{rule.format(month=3)}", "END:DAYLIGHT", "END:VTIMEZONE",
    ]
    events = []
    for uid, start in (("summer@example.org", "20240605T090000"), ("winter@example.org", "20240105T090000")):
        events += ["BEGIN:VEVENT", f"UID:{uid}", "SUMMARY:Team meeting",
                   f'DTSTART;TZID="{EXCHANGE_ZONE}":{start}', "END:VEVENT"]
    events += ["BEGIN:VEVENT", "UID:summer@example.org", "SUMMARY:Team meeting (moved)",
               f'RECURRENCE-ID;TZID="{EXCHANGE_ZONE}":20240612T090000',
               f'DTSTART;TZID="{EXCHANGE_ZONE}":20240612T100000', "END:VEVENT"]
    return "\r\n".join(["BEGIN:VCALENDAR", *zone, *events, "END:VCALENDAR", ""])


def test_a_zone_exchange_names_in_words_is_read_from_the_feed_s_own_definition():
    facts = BatchFacts()
    summer, winter, moved = parse_calendar(_exchange_feed(), facts, ParseOptions(time_zone=ZoneInfo("Asia/Tokyo")))

    assert summer.event_at == datetime(2024, 6, 5, 7, 0, tzinfo=UTC)  # summer time, UTC+2
    assert winter.event_at == datetime(2024, 1, 5, 8, 0, tzinfo=UTC)  # winter, UTC+1
    assert moved.event_at == datetime(2024, 6, 12, 8, 0, tzinfo=UTC)
    assert moved.key == f"summer@example.org|20240612T090000 {EXCHANGE_ZONE}"  # as when the zone was unknown
    assert [w.kind for w in facts.warnings] == []


@pytest.mark.parametrize(
    "rule",
    ["FREQ=SECONDLY;BYMONTH={month}", "FREQ=YEARLY;BYMONTH={month}\r\n ;FREQ=SECONDLY"],
    ids=["secondly", "folded-second-freq"],
)
def test_a_definition_whose_rules_do_not_repeat_yearly_is_not_used(rule):
    facts = BatchFacts()
    hostile = _exchange_feed(rule=rule)
    summer, _winter, _moved = parse_calendar(hostile, facts, ParseOptions(time_zone=ZoneInfo("Asia/Tokyo")))

    assert summer.event_at == datetime(2024, 6, 5, 0, 0, tzinfo=UTC)  # read in the owner's zone, and said
    assert [w.kind for w in facts.warnings] == ["unknown_time_zone"]
