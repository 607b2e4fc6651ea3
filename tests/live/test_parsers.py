"""The push payload and iCalendar parsers: pure, tolerant, counting what they skip."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from connections.connectors.base import ArtifactRejected, BatchFacts, ParseOptions, location_key
from connections.connectors.ical_feed import event_key, parse_calendar, unfold
from connections.connectors.owntracks import PayloadRejected, parse_overland, parse_owntracks
from tests.live.conftest import ical

LOCATION = {"_type": "location", "lat": 52.52, "lon": 13.405, "tst": 1717228800, "acc": 12, "tid": "AS"}


def owntracks(body, facts=None):
    return parse_owntracks(body if isinstance(body, bytes) else json.dumps(body).encode(), facts or BatchFacts())


def test_owntracks_location_keyed_like_an_export():
    [record] = owntracks(LOCATION)
    at = datetime(2024, 6, 1, 8, 0, tzinfo=UTC)
    assert record.stream == "locations"
    assert record.event_at == at
    assert record.key == location_key(at, 52.52, 13.405)
    assert record.payload["accuracy"] == 12 and record.payload["tracker"] == "AS"


@pytest.mark.parametrize("message", [{"_type": "lwt", "tst": 1}, {"_type": "transition"}, {"_type": "encrypted", "data": "x"}])
def test_owntracks_other_types_are_skipped_not_refused(message):
    facts = BatchFacts()
    assert owntracks(message, facts) == []
    assert facts.skipped == 1 and facts.failed == 0


def test_owntracks_empty_body_is_nothing():
    facts = BatchFacts()
    assert owntracks(b"", facts) == [] and facts.skipped == facts.failed == 0


@pytest.mark.parametrize(
    "body, reason",
    [
        (b"{not json", "not_json"),
        (b'"a string"', "not_a_message"),
        (b'{"lat": 1}', "no_type"),
    ],
)
def test_owntracks_unreadable_payloads_are_refused_with_a_reason(body, reason):
    with pytest.raises(PayloadRejected) as caught:
        owntracks(body)
    assert caught.value.reason == reason


@pytest.mark.parametrize("location", [{"_type": "location", "lat": 95, "lon": 1, "tst": 1},
                                      {"_type": "location", "lat": 1, "lon": 1}])
def test_a_lone_owntracks_location_that_cannot_be_read_is_counted_not_refused(location):
    facts = BatchFacts()
    assert owntracks(json.dumps(location).encode(), facts) == [] and facts.failed == 1


def test_owntracks_array_counts_the_bad_one_and_keeps_the_rest():
    facts = BatchFacts()
    records = owntracks([LOCATION, {"_type": "location", "lat": "x", "lon": 1, "tst": 5}, {"_type": "status"}], facts)
    assert len(records) == 1 and facts.failed == 1 and facts.skipped == 1


def test_overland_batch_reads_lon_lat_and_offsets():
    body = {
        "locations": [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [13.405, 52.52]},
             "properties": {"timestamp": "2024-06-01T10:00:00+02:00", "device_id": "phone1", "motion": ["walking"]}},
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [13.41, 52.53]},
             "properties": {"timestamp": "2024-06-01T01:00:00-0700"}},
            {"type": "Feature", "geometry": None, "properties": {"action": "app_paused"}},
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [13.41]}, "properties": {}},
        ]
    }
    facts = BatchFacts()
    records = parse_overland(json.dumps(body).encode(), facts)
    assert [r.event_at for r in records] == [
        datetime(2024, 6, 1, 8, 0, tzinfo=UTC),
        datetime(2024, 6, 1, 8, 0, tzinfo=UTC),
    ]
    assert records[0].payload["lat"] == 52.52 and records[0].payload["device"] == "phone1"
    assert (facts.skipped, facts.failed) == (1, 1)


@pytest.mark.parametrize("body", [b"", b"[]", b'{"locations": {}}', b"\xff\xfe"])
def test_overland_without_locations_is_refused(body):
    with pytest.raises(PayloadRejected):
        parse_overland(body, BatchFacts())


def test_unfold_joins_continuation_lines():
    assert list(unfold("A:1\r\nB:long\r\n  tail\r\n\tmore\r\nC:3")) == ["A:1", "B:long tailmore", "C:3"]


def test_calendar_events_keys_and_times():
    facts = BatchFacts()
    options = ParseOptions(time_zone=ZoneInfo("America/New_York"))
    records = list(parse_calendar(ical("calendar.ics").decode(), facts, options))
    events = {r.payload["summary"]: r for r in reversed(records)}  # a series' first occurrence
    assert set(events) == {
        "Team stand-up, daily",
        "Team stand-up (moved)",
        "Dentist with a very long title that is folded across two lines because it is long",
        "Public holiday",
        "Dinner (floating time)",
        "Lunch from Outlook",
    }
    standup = events["Team stand-up, daily"]
    assert standup.key == "standup-2024@example.com|20240603T070000Z"  # one record per occurrence (ical/3)
    assert standup.event_at == datetime(2024, 6, 3, 7, 0, tzinfo=UTC)  # Berlin summer time
    assert sum(r.payload["summary"] == "Team stand-up, daily" for r in records) == 9  # 10, one moved
    assert standup.payload["rrule"] == "FREQ=DAILY;COUNT=10"
    moved = events["Team stand-up (moved)"]
    assert moved.key == "standup-2024@example.com|20240605T070000Z"
    assert moved.event_at == datetime(2024, 6, 5, 8, 0, tzinfo=UTC)
    assert events["Dentist with a very long title that is folded across two lines because it is long"].event_at == (
        datetime(2024, 6, 4, 14, 30, tzinfo=UTC)
    )
    holiday = events["Public holiday"]
    # An all-day date stands at noon in the owner's zone (New York: 16:00 UTC), on its own day there.
    assert holiday.event_at == datetime(2024, 6, 10, 16, 0, tzinfo=UTC) and holiday.payload["all_day"] is True
    assert events["Dinner (floating time)"].event_at == datetime(2024, 6, 7, 22, 0, tzinfo=UTC)  # owner's zone
    assert events["Lunch from Outlook"].event_at == datetime(2024, 6, 8, 10, 0, tzinfo=UTC)
    assert facts.failed == 1  # the event without a start
    assert facts.time_zone_assumed == "America/New_York"


def test_not_a_calendar_is_rejected_before_any_event():
    with pytest.raises(ArtifactRejected):
        list(parse_calendar(ical("not_a_calendar.html").decode(), BatchFacts(), ParseOptions()))


def test_unknown_zone_is_read_in_the_owner_zone_with_a_warning():
    text = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:x\nDTSTART;TZID=Mars/Olympus:20240101T120000\nEND:VEVENT\nEND:VCALENDAR\n"
    facts = BatchFacts()
    [event] = parse_calendar(text, facts, ParseOptions(time_zone=UTC))
    assert event.event_at == datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
    assert [w.kind for w in facts.warnings] == ["unknown_time_zone"]


def test_long_uids_get_a_stable_digest_key():
    uid = "040000008200E00074C5B7101A82E008" * 5
    assert event_key(uid, None) == event_key(uid, None)
    assert len(event_key(uid, None)) <= 120 and event_key(uid, None).startswith("sha256:")
