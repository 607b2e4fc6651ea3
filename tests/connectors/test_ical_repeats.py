"""A calendar's repeating and multi-day events, as the feed's reader writes them out (ical/3).

An owner's calendar repeats: a weekly stand-up, a monthly rent reminder, a birthday. The reader
writes each occurrence as a record, from the series' start up to the pull's horizon (a year
ahead), less the days the calendar skips (EXDATE), plus extra days (RDATE), and an occurrence
moved on its own (RECURRENCE-ID) is that event instead. An all-day event over several days is a
record for each day. Keys never depend on the owner's zone, and a rule that repeats absurdly never
stalls the reader.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from connections.connectors import ical_repeats, ical_series
from connections.connectors.base import BatchFacts, ParseOptions
from connections.connectors.ical_feed import parse_calendar

HORIZON = datetime(2027, 12, 4, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


def feed(*events: list[str]) -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0"]
    for event in events:
        lines += ["BEGIN:VEVENT", *event, "END:VEVENT"]
    return "\r\n".join([*lines, "END:VCALENDAR", ""])


def read(text: str, zone=BERLIN, horizon=HORIZON, facts: BatchFacts | None = None):
    return list(parse_calendar(text, facts or BatchFacts(), ParseOptions(time_zone=zone, horizon=horizon)))


def days_of(records, zone=BERLIN) -> list[str]:
    return [r.event_at.astimezone(zone).date().isoformat() for r in records]


STANDUP = ["UID:standup@example.org", "SUMMARY:Weekly standup", "DTSTART;TZID=Europe/Berlin:20261207T091500",
           "DTEND;TZID=Europe/Berlin:20261207T093000", "RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20261228T235959Z"]


def test_an_owners_weekly_standup_is_an_event_on_each_monday_of_the_month():
    records = read(feed(STANDUP))

    assert days_of(records) == ["2026-12-07", "2026-12-14", "2026-12-21", "2026-12-28"]
    assert {r.event_at.astimezone(BERLIN).strftime("%H:%M") for r in records} == {"09:15"}
    assert [r.key for r in records][:2] == ["standup@example.org|20261207T081500Z", "standup@example.org|20261214T081500Z"]
    assert records[1].payload["end"] == "2026-12-14T08:30:00+00:00"


def test_a_standup_keeps_its_local_hour_across_summer_time():
    rule = ["UID:s@x", "SUMMARY:Standup", "DTSTART;TZID=Europe/Berlin:20260323T091500", "RRULE:FREQ=WEEKLY;COUNT=2"]
    records = read(feed(rule))

    assert [r.event_at.hour for r in records] == [8, 7]  # 09:15 CET, then 09:15 CEST


def test_a_skipped_week_an_extra_day_and_a_moved_occurrence_are_as_the_calendar_says():
    series = [*STANDUP, "EXDATE;TZID=Europe/Berlin:20261214T091500", "RDATE;TZID=Europe/Berlin:20261217T091500"]
    moved = ["UID:standup@example.org", "SUMMARY:Weekly standup (after the holiday)",
             "RECURRENCE-ID;TZID=Europe/Berlin:20261228T091500", "DTSTART;TZID=Europe/Berlin:20261229T110000"]
    records = read(feed(series, moved))

    shown = sorted((d, r.payload["summary"]) for d, r in zip(days_of(records), records, strict=True))
    assert shown == [
        ("2026-12-07", "Weekly standup"),
        ("2026-12-17", "Weekly standup"),
        ("2026-12-21", "Weekly standup"),
        ("2026-12-29", "Weekly standup (after the holiday)"),
    ]
    # The moved occurrence is keyed as it always was, by the start it replaces.
    assert "standup@example.org|20261228T081500Z" in {r.key for r in records}
    assert len({r.key for r in records}) == len(records)


def test_a_cancelled_occurrence_stays_as_cancelled_on_its_day():
    cancelled = ["UID:standup@example.org", "SUMMARY:Weekly standup", "STATUS:CANCELLED",
                 "RECURRENCE-ID;TZID=Europe/Berlin:20261221T091500", "DTSTART;TZID=Europe/Berlin:20261221T091500"]
    records = read(feed(STANDUP, cancelled))

    assert [(d, r.payload.get("status")) for d, r in zip(days_of(records), records, strict=True)] == [
        ("2026-12-07", None), ("2026-12-14", None), ("2026-12-28", None), ("2026-12-21", "CANCELLED"),
    ]


@pytest.mark.parametrize("zone", ["Pacific/Auckland", "Europe/Berlin", "America/Los_Angeles"])
def test_occurrence_keys_never_depend_on_the_owners_zone(zone):
    birthday = ["UID:bday@x", "SUMMARY:Ada's birthday", "DTSTART;VALUE=DATE:20241210", "RRULE:FREQ=YEARLY"]
    book_club = ["UID:book@x", "SUMMARY:Book club", "DTSTART:20261202T190000", "RRULE:FREQ=MONTHLY;COUNT=2"]
    keys = [r.key for r in read(feed(STANDUP, birthday, book_club), zone=ZoneInfo(zone))]

    assert keys == [
        "standup@example.org|20261207T081500Z", "standup@example.org|20261214T081500Z",
        "standup@example.org|20261221T081500Z", "standup@example.org|20261228T081500Z",
        "bday@x|20241210T000000Z", "bday@x|20251210T000000Z", "bday@x|20261210T000000Z",  # 2027: past the horizon
        "book@x|20261202T190000", "book@x|20270102T190000",
    ]


def test_a_series_without_end_is_written_out_to_the_horizon_and_no_further():
    rent = ["UID:rent@x", "SUMMARY:Pay the rent", "DTSTART;VALUE=DATE:20260101", "RRULE:FREQ=MONTHLY"]
    records = read(feed(rent))

    assert days_of(records)[0] == "2026-01-01" and days_of(records)[-1] == "2027-12-01"
    assert len(records) == 24


def test_an_event_that_does_not_repeat_keeps_its_key():
    [dentist] = read(feed(["UID:dentist@x", "SUMMARY:Dentist", "DTSTART:20261210T143000Z"]))

    assert dentist.key == "dentist@x"


def test_a_three_day_all_day_event_is_on_each_of_its_days_in_any_owners_zone():
    trip = ["UID:trip@x", "SUMMARY:Ski trip", "DTSTART;VALUE=DATE:20261201", "DTEND;VALUE=DATE:20261204"]
    for zone in (ZoneInfo("Pacific/Pago_Pago"), BERLIN, ZoneInfo("Pacific/Kiritimati")):
        records = read(feed(trip), zone=zone)

        assert days_of(records, zone) == ["2026-12-01", "2026-12-02", "2026-12-03"]
        assert [r.key for r in records] == ["trip@x", "trip@x|day:20261202", "trip@x|day:20261203"]
        assert [r.payload["day"] for r in records] == ["1 of 3", "2 of 3", "3 of 3"]


def test_a_weekend_away_every_month_is_on_both_days_of_each_weekend():
    away = ["UID:away@x", "SUMMARY:Away", "DTSTART;VALUE=DATE:20261205", "DTEND;VALUE=DATE:20261207",
            "RRULE:FREQ=MONTHLY;BYDAY=1SA;COUNT=2"]
    records = read(feed(away))

    assert days_of(records) == ["2026-12-05", "2026-12-06", "2027-01-02", "2027-01-03"]
    assert len({r.key for r in records}) == 4


def test_the_snapshot_speaks_for_the_feed_from_its_first_event_to_the_horizon():
    facts = BatchFacts()
    read(feed(STANDUP), facts=facts)

    assert facts.snapshot == (datetime(2026, 12, 7, 8, 15, tzinfo=UTC), HORIZON)


def test_a_feed_cut_off_inside_an_event_speaks_for_nothing():
    text = feed(STANDUP).replace("END:VEVENT\r\nEND:VCALENDAR\r\n", "")
    facts = BatchFacts()
    read(text, facts=facts)

    assert facts.partial and facts.snapshot is None


# ---------------------------------------------------------------- absurd rules


ABSURD = [
    "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",  # no day is 30 Feb: dateutil searched until the year 9999
    "FREQ=WEEKLY;BYMONTH=2;BYMONTHDAY=31",
    "FREQ=MONTHLY;BYDAY=-1FR;BYSETPOS=9",
    "FREQ=MINUTELY;BYHOUR=3;BYMONTH=2;BYMONTHDAY=31",  # a minute this took dateutil
    "FREQ=SECONDLY",
    "FREQ=DAILY;INTERVAL=0",  # dateutil stepped by nothing for ever
    "FREQ=DAILY;INTERVAL=-3",  # ... or backwards
    "FREQ=MONTHLY;BYDAY=+9MO",  # dateutil raised IndexError
    "FREQ=DAILY;COUNT=999999999999",
    "FREQ=YEARLY;BYYEARDAY=400",
    "NOT A RULE",
]


def test_absurd_rules_are_read_at_once_each_kept_once_or_cut_with_a_warning():
    events = [
        [f"UID:absurd-{i}@x", f"SUMMARY:Absurd {i}", f"DTSTART:{start}0101T090000Z", f"RRULE:{rule}"]
        for i, (start, rule) in enumerate((start, rule) for start in (1900, 2026) for rule in ABSURD)
    ]
    facts = BatchFacts()
    started = time.monotonic()
    records = read(feed(*events), facts=facts)

    assert time.monotonic() - started < 5
    per_event = {r.payload["uid"]: 0 for r in records}
    for r in records:
        per_event[r.payload["uid"]] += 1
    assert set(per_event) == {f"absurd-{i}@x" for i in range(2 * len(ABSURD))}  # each event is there
    assert max(per_event.values()) <= ical_repeats.MAX_OCCURRENCES
    endless = ABSURD.index("FREQ=DAILY;COUNT=999999999999")
    assert per_event[f"absurd-{endless}@x"] == ical_repeats.MAX_OCCURRENCES  # a daily rule from 1900: cut
    kinds = {w.kind for w in facts.warnings}
    assert {"repeats_cut", "repeats_not_written", "repeats_not_read"} <= kinds


def test_a_feed_of_many_endless_series_stays_within_its_budget():
    events = [[f"UID:s{i}@x", "SUMMARY:Daily", "DTSTART:20200101T090000Z", "RRULE:FREQ=DAILY"] for i in range(60)]
    facts = BatchFacts()
    records = read(feed(*events), facts=facts)

    assert len(records) <= ical_series.MAX_REPEATED + 60
    assert any(w.kind == "repeats_not_written" for w in facts.warnings)


def test_a_rule_no_day_matches_ends_its_search_at_the_horizon():
    started = time.monotonic()
    found = ical_repeats.rule_starts("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", datetime(2026, 1, 1), datetime(2027, 12, 4))

    assert found.starts == [] and not found.cut
    assert time.monotonic() - started < 0.5


def test_an_all_day_event_over_years_is_shown_on_its_first_366_days():
    facts = BatchFacts()
    records = read(feed(["UID:long@x", "SUMMARY:Sabbatical", "DTSTART;VALUE=DATE:20200101",
                         "DTEND;VALUE=DATE:20300101"]), facts=facts)

    assert len(records) == 366 and records[-1].event_at.date() == date(2020, 12, 31)
    assert [w.kind for w in facts.warnings] == ["long_event"]
