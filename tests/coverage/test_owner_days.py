"""The owner's days from summaries kept in UTC days (coverage/days.py): what can be said exactly, and how."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from coverage.days import owner_day_counts, owner_days, owner_gaps

AUCKLAND = ZoneInfo("Pacific/Auckland")  # UTC+13 in November
LOS_ANGELES = ZoneInfo("America/Los_Angeles")  # UTC-8 in November


@pytest.mark.parametrize(
    ("tz", "expected"),
    [
        pytest.param(None, [("2026-11-12", "2026-11-14", 3)], id="utc_days_as_they_are"),
        # Nothing from 12 Nov 00:00 to 15 Nov 00:00 UTC: 12 Nov 13:00 to 15 Nov 13:00 in Auckland.
        pytest.param(AUCKLAND, [("2026-11-13", "2026-11-14", 2)], id="auckland_days_wholly_empty"),
        # ... and 11 Nov 16:00 to 14 Nov 16:00 in Los Angeles.
        pytest.param(LOS_ANGELES, [("2026-11-12", "2026-11-13", 2)], id="los_angeles_days_wholly_empty"),
    ],
)
def test_a_hole_is_the_owners_days_with_nothing_recorded(tz, expected):
    assert owner_gaps([{"start": "2026-11-12", "end": "2026-11-14", "days": 3}], tz) == expected


def test_a_one_day_hole_in_utc_is_no_whole_day_of_an_owner_far_from_utc():
    assert owner_gaps([{"start": "2026-11-12", "end": "2026-11-12", "days": 1}], AUCKLAND) == []


def test_counts_move_as_the_first_and_last_records_moved():
    # Written 09:00 in Auckland, 10 to 12 Nov: the evening before in UTC.
    first, last = datetime(2026, 11, 9, 20, 0, tzinfo=UTC), datetime(2026, 11, 11, 20, 0, tzinfo=UTC)
    utc = {"2026-11-09": 4, "2026-11-10": 5, "2026-11-11": 6}
    assert owner_day_counts(utc, AUCKLAND, first, last) == {
        date(2026, 11, 10): 4, date(2026, 11, 11): 5, date(2026, 11, 12): 6,
    }
    assert owner_days(["2026-11-10"], AUCKLAND, first, last) == {date(2026, 11, 11)}
    assert owner_day_counts(utc, None) == {date(2026, 11, 9): 4, date(2026, 11, 10): 5, date(2026, 11, 11): 6}


def test_counts_stay_within_the_owners_first_and_last_day():
    # First record early in the owner's day, last late: the two moved differently; noon decides, then the bounds.
    first, last = datetime(2026, 11, 9, 20, 0, tzinfo=UTC), datetime(2026, 11, 11, 8, 0, tzinfo=UTC)
    counts = owner_day_counts({"2026-11-09": 1, "2026-11-10": 1, "2026-11-11": 1}, AUCKLAND, first, last)
    assert min(counts) == date(2026, 11, 10) and max(counts) == date(2026, 11, 11)
    assert sum(counts.values()) == 3
