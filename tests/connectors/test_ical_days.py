"""An event that runs past midnight shows on each day it touches in the owner's zone (ical/4).

An owner's late shift runs from 22:00 to 02:00; a conference runs three days with times; a
calendar writes a meeting's length as a DURATION instead of an end. Each is a record for each
day of the owner's zone it touches, like an all-day trip over several days: the first keeps the
event's key, the later ones add their place (day 2, day 3), which no zone changes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.connectors.test_ical_repeats import days_of, feed, read

NEW_YORK = ZoneInfo("America/New_York")

LATE_SHIFT = [
    "UID:shift@x",
    "SUMMARY:Late shift",
    "DTSTART;TZID=Europe/Berlin:20261210T220000",
    "DTEND;TZID=Europe/Berlin:20261211T020000",
]
CONFERENCE = [
    "UID:conf@x",
    "SUMMARY:Conference",
    "DTSTART;TZID=Europe/Berlin:20261214T090000",
    "DTEND;TZID=Europe/Berlin:20261216T170000",
]
BY_DURATION = ["UID:gig@x", "SUMMARY:Concert", "DTSTART:20261212T210000Z", "DURATION:PT4H"]
TO_MIDNIGHT = [
    "UID:party@x",
    "SUMMARY:Party",
    "DTSTART;TZID=Europe/Berlin:20261218T200000",
    "DTEND;TZID=Europe/Berlin:20261219T000000",
]
RETREAT = ["UID:retreat@x", "SUMMARY:Retreat", "DTSTART;VALUE=DATE:20261220", "DURATION:P3D"]

# event, the owner's days it shows on, its keys, what each day says
SPANS = [
    (
        "late shift",
        LATE_SHIFT,
        ["2026-12-10", "2026-12-11"],
        ["shift@x", "shift@x|day#2"],
        ["1 of 2", "2 of 2"],
    ),
    (
        "conference",
        CONFERENCE,
        ["2026-12-14", "2026-12-15", "2026-12-16"],
        ["conf@x", "conf@x|day#2", "conf@x|day#3"],
        ["1 of 3", "2 of 3", "3 of 3"],
    ),
    (
        "length as a duration",
        BY_DURATION,
        ["2026-12-12", "2026-12-13"],
        ["gig@x", "gig@x|day#2"],
        ["1 of 2", "2 of 2"],
    ),
    ("ends at midnight", TO_MIDNIGHT, ["2026-12-18"], ["party@x"], [None]),
    (
        "all-day, length as a duration",
        RETREAT,
        ["2026-12-20", "2026-12-21", "2026-12-22"],
        ["retreat@x", "retreat@x|day:20261221", "retreat@x|day:20261222"],
        ["1 of 3", "2 of 3", "3 of 3"],
    ),
]


@pytest.mark.parametrize(
    ("event", "days", "keys", "said"), [s[1:] for s in SPANS], ids=[s[0] for s in SPANS]
)
def test_an_event_shows_on_each_day_it_touches_in_the_owners_zone(event, days, keys, said):
    records = read(feed(event))

    assert days_of(records) == days
    assert [r.key for r in records] == keys
    assert [r.payload.get("day") for r in records] == said


def test_a_late_shifts_second_day_continues_from_midnight_and_keeps_the_shifts_times():
    first, second = read(feed(LATE_SHIFT))

    assert first.event_at == datetime(2026, 12, 10, 21, 0, tzinfo=UTC)
    assert second.event_at == datetime(2026, 12, 10, 23, 0, tzinfo=UTC)  # 00:00 in Berlin
    assert second.payload["continued"] is True and "continued" not in first.payload
    assert first.payload["end"] == second.payload["end"] == "2026-12-11T01:00:00+00:00"


def test_a_duration_gives_the_events_end():
    [concert, _] = read(feed(BY_DURATION))

    assert concert.payload["end"] == "2026-12-13T01:00:00+00:00"


def test_the_days_a_shift_touches_follow_the_owners_zone_and_its_keys_do_not_change():
    in_berlin = read(feed(LATE_SHIFT, CONFERENCE))
    in_new_york = read(feed(LATE_SHIFT, CONFERENCE), zone=NEW_YORK)

    # 22:00 to 02:00 in Berlin is 16:00 to 20:00 in New York: one day there.
    assert [r.key for r in in_new_york if r.payload["uid"] == "shift@x"] == ["shift@x"]
    assert {r.key for r in in_new_york} <= {r.key for r in in_berlin}
    assert [r.key for r in in_new_york if r.payload["uid"] == "conf@x"] == [
        "conf@x",
        "conf@x|day#2",
        "conf@x|day#3",
    ]


def test_a_weekly_late_shift_shows_each_of_its_nights_on_both_days():
    weekly = [*LATE_SHIFT, "RRULE:FREQ=WEEKLY;COUNT=3"]
    records = read(feed(weekly))

    assert days_of(records) == [
        "2026-12-10",
        "2026-12-11",
        "2026-12-17",
        "2026-12-18",
        "2026-12-24",
        "2026-12-25",
    ]
    assert len({r.key for r in records}) == 6
    assert records[3].payload["end"] == datetime(2026, 12, 18, 1, 0, tzinfo=UTC).isoformat()
