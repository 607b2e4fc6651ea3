"""A calendar's days follow the owner to a new time zone the moment they change it, not at the next pull.

Ana's calendar feed is pulled in Berlin. She moves to Auckland (UTC+13 in December) or Los Angeles
(UTC-8) and changes her zone on the settings page. An all-day event is a date: it stays on its written
day(s) wherever she is. A timed event is an instant: it moves to the new zone's day at once, and an
event past midnight is on the days it touches there (a Berlin late shift is one morning in Auckland; a
Berlin afternoon workshop runs past midnight in Auckland). Her feed is pulled only when she asks, so
nothing else would move them. The day pages, the card and the timeline agree, and the next pull finds
nothing the calendar changed.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from coverage.evidence import load_one
from tests.live import test_feed_calendar_now as feed
from tests.live.test_feed_calendar_now import NOW, TRIP, day_page, pulled

pytestmark = pytest.mark.django_db
published, owner_client = feed.published, feed.owner_client  # the calendar's fixtures: Ana in Berlin, logged in

HOLIDAY = ["UID:holiday@example.org", "SUMMARY:Office closed", "DTSTART;VALUE=DATE:20261208",
           "DTEND;VALUE=DATE:20261209"]
SHIFT = ["UID:shift@example.org", "SUMMARY:Late shift", "DTSTART;TZID=Europe/Berlin:20261210T220000",
         "DTEND;TZID=Europe/Berlin:20261211T020000"]
WORKSHOP = ["UID:workshop@example.org", "SUMMARY:Workshop", "DTSTART:20261214T100000Z", "DTEND:20261214T140000Z"]
# A long Outlook-style UID: the record's key is a digest of it.
LONG_UID = "040000008200E00074C5B7101A82E00800000000" + "A" * 100
LONG = [f"UID:{LONG_UID}", "SUMMARY:Planning", "DTSTART:20261216T100000Z", "DTEND:20261216T140000Z"]

LOS_ANGELES = [("2026-12-01", "All day (day 1 of 3) Ski trip"), ("2026-12-03", "All day (day 3 of 3) Ski trip"),
               ("2026-12-08", "All day Office closed"), ("2026-12-10", "13:00 PST Late shift"),
               ("2026-12-14", "02:00 PST Workshop")]
NOT_IN_LOS_ANGELES = [("2026-11-30", "Ski trip"), ("2026-12-07", "Office closed"), ("2026-12-11", "Late shift"),
                      ("2026-12-10", "Continues"), ("2026-12-15", "Workshop")]

# zones moved to, in turn; each (day page, what it shows); each (day page, what it no longer shows)
MOVES = [
    ("Pacific/Auckland",
     [("2026-12-01", "All day (day 1 of 3) Ski trip"), ("2026-12-03", "All day (day 3 of 3) Ski trip"),
      ("2026-12-08", "All day Office closed"), ("2026-12-11", "10:00 NZDT Late shift"),
      ("2026-12-14", "23:00 NZDT (day 1 of 2) Workshop"), ("2026-12-15", "Continues (day 2 of 2) Workshop"),
      ("2026-12-16", "23:00 NZDT (day 1 of 2) Planning"), ("2026-12-17", "Continues (day 2 of 2) Planning")],
     [("2026-12-04", "Ski trip"), ("2026-12-09", "Office closed"), ("2026-12-10", "Late shift"),
      ("2026-12-11", "Continues")]),
    ("America/Los_Angeles", LOS_ANGELES, NOT_IN_LOS_ANGELES),
    ("Pacific/Kiritimati, then America/Los_Angeles", LOS_ANGELES, NOT_IN_LOS_ANGELES),  # two moves, no pull between
]


@pytest.mark.parametrize(("zone", "shown", "not_shown"), MOVES, ids=[m[0] for m in MOVES])
def test_after_the_owner_changes_zone_calendar_days_are_right_before_any_pull(
        calendar, published, owner_client, zone, shown, not_shown):
    published.show(TRIP, HOLIDAY, SHIFT, WORKSHOP, LONG)
    pulled(calendar)

    for moved_to in zone.split(", then "):
        owner_client.post("/settings/time-zone/", {"time_zone": moved_to})

    for day, text in shown:
        assert text in day_page(owner_client, day), (day, text)
    for day, text in not_shown:
        assert text not in day_page(owner_client, day), (day, text)
    # The card and the timeline count the same days the pages show.
    health = load_one(calendar, now=NOW, timeline=True)
    cells = {c.start: c.count for strip in health.coverage.timeline.strips for c in strip.cells if c.count}
    assert min(cells) == date(2026, 12, 1)
    assert cells[date(2026, 12, 8)] == 1
    assert health.verdict.headline == f"Covers 1 Dec to {max(cells).day} Dec 2026"
    for day, text in shown:
        assert cells.get(date.fromisoformat(day)), (day, text)

    # The next pull finds nothing the calendar changed: the events stand where it would place them.
    run = pulled(calendar, NOW + timedelta(hours=1))
    assert "changed" not in run.message and "moved" not in run.message, run.message
