"""Google location history parser: Records.json and Semantic Location History months.

Pure tests (no database). Fixture counts are explained in
tests/fixtures/google_timeline/make_fixtures.py.
"""

from __future__ import annotations

import json

import pytest

from connections.connectors import google_timeline as gt
from connections.connectors.google_timeline import common
from tests.connectors.google_timeline.helpers import (
    assert_keys_are_location_keys,
    fixture,
    run,
    utc,
    write,
)

# ------------------------------------------------------------------- Records.json


def test_records_json_yields_every_point_counting_the_duplicate_garbled_and_timeless():
    records, facts = fixture("records.json")

    assert facts.source_format == "takeout_records_json"
    assert facts.parser_version == gt.PARSER_VERSION
    assert len(records) == 30
    assert len({r.key for r in records}) == 29  # element 30 repeats element 6
    assert facts.skipped == 1  # element 32 has no time
    assert facts.failed == 1
    assert [w.position for w in facts.warnings if w.kind == "unparsed_item"] == ["element 31"]
    assert not facts.partial
    times = sorted(r.event_at for r in records)
    assert times[0] == utc(2023, 5, 8, 6, 0, 0)
    assert times[-1] == utc(2023, 5, 10, 17, 51, 0, 999000)
    assert_keys_are_location_keys(records)


def test_records_json_reads_timestamp_and_timestamp_ms_alike():
    records, _ = fixture("records.json")
    by_time = {r.event_at: r for r in records}

    iso_point = by_time[utc(2023, 5, 8, 6, 0, 0)]  # element 1: "timestamp" without ms
    ms_point = by_time[utc(2023, 5, 8, 8, 13, 0, 37000)]  # element 2: "timestampMs"
    assert iso_point.payload == {
        "lat": 52.5200066,
        "lon": 13.404954,
        "kind": "raw",
        "accuracy": 10,
        "source": "GPS",
        "altitude": 34,
    }
    assert ms_point.payload == {
        "lat": 52.5211066,
        "lon": 13.406654,
        "kind": "raw",
        "accuracy": 11,
        "source": "WIFI",
    }
    assert ms_point.key == "1683533580:52.52111:13.40665"


def test_records_json_with_bom_and_overflowed_e7_values(tmp_path):
    # Some exports overflow E7 values past 2^31; Google's own tools subtract 2^32.
    points = [
        {
            "latitudeE7": 525200000,
            "longitudeE7": 4294967296 - 1234567,
            "timestamp": "2023-05-01T10:00:00Z",
        },
        {
            "latitudeE7": 4294967296 - 339000000,
            "longitudeE7": 1512000000,
            "timestampMs": "1682935200000",
        },
    ]
    path = write(
        tmp_path, "Records.json", b"\xef\xbb\xbf" + json.dumps({"locations": points}).encode()
    )

    records, facts = run(path)

    assert [(r.payload["lat"], r.payload["lon"]) for r in records] == [
        (52.52, -0.1234567),
        (-33.9, 151.2),
    ]
    assert [r.event_at for r in records] == [utc(2023, 5, 1, 10), utc(2023, 5, 1, 10)]
    assert facts.failed == 0


def test_records_json_out_of_range_and_garbled_elements_fail_with_their_position(tmp_path):
    points = [
        {"latitudeE7": 525200000, "longitudeE7": 134000000, "timestamp": "2023-05-01T10:00:00Z"},
        {"latitudeE7": 955200000, "longitudeE7": 134000000, "timestamp": "2023-05-01T10:01:00Z"},
        {"latitudeE7": 525200000, "longitudeE7": 134000000, "timestamp": "yesterday"},
        {
            "latitudeE7": 525200000,
            "longitudeE7": 134000000,
            "timestampMs": "99999999999999999999999",
        },
        "not a point",
        {"latitudeE7": True, "longitudeE7": 134000000, "timestamp": "2023-05-01T10:02:00Z"},
        {
            "latitudeE7": 525200000,
            "longitudeE7": 134000000,
            "timestamp": "2023-05-01T12:03:00+02:00",
        },
    ]
    path = write(tmp_path, "Records.json", json.dumps({"locations": points}))

    records, facts = run(path)

    assert [r.event_at for r in records] == [utc(2023, 5, 1, 10), utc(2023, 5, 1, 10, 3)]
    assert facts.failed == 5
    assert [w.position for w in facts.warnings] == [f"element {n}" for n in (2, 3, 4, 5, 6)]


def test_same_fix_from_records_json_and_the_phone_timeline_has_the_same_key():
    records, _ = fixture("records.json")
    android, _ = fixture("Zeitachse.json")
    shared_at = utc(2023, 5, 10, 8, 15, 30, 123000)

    from_records = [r for r in records if r.event_at == shared_at]
    from_phone = [r for r in android if r.event_at == shared_at]

    assert len(from_records) == len(from_phone) == 1
    assert from_records[0].key == from_phone[0].key == "1683706530:52.51630:13.37770"
    assert from_phone[0].payload == {
        "lat": 52.5163,
        "lon": 13.3777,
        "kind": "raw",
        "accuracy": 13,
        "source": "WIFI",
        "altitude": 41.2,
    }


@pytest.mark.parametrize(
    "name", ["records.json", "Zeitachse.json", "ondevice_ios.json", "takeout_semantic_only.zip"]
)
def test_keys_are_the_same_when_location_key_is_called_instead_of_formatted_inline(
    monkeypatch, name
):
    inline, _ = fixture(name)
    monkeypatch.setattr(common, "_INLINE_KEY", False)
    called, _ = fixture(name)

    assert common._inline_key_matches()
    assert [(r.key, r.event_at, r.payload) for r in called] == [
        (r.key, r.event_at, r.payload) for r in inline
    ]


# ------------------------------------------------------- Semantic Location History


def test_semantic_month_yields_visits_trip_ends_paths_and_parking():
    records, facts = fixture("semantic_2023_AUGUST.json")

    assert facts.source_format == "takeout_semantic_json"
    kinds = [r.payload["kind"] for r in records]
    assert len(records) == 15
    assert {k: kinds.count(k) for k in set(kinds)} == {
        "visit": 4,  # incl. one child visit
        "activity_start": 3,
        "activity_end": 2,
        "path": 5,  # simplifiedRawPath only: waypoints have no time
        "parking": 1,
    }
    assert len({r.key for r in records}) == 12  # trip ends coincide with the next visit
    # a placeVisit without location, an object of neither kind, 2 waypoints without a time
    assert facts.skipped == 2 + 2
    assert facts.failed == 1
    assert facts.warnings[0].position == "element 7"
    assert min(r.event_at for r in records) == utc(2023, 8, 1, 18)
    assert max(r.event_at for r in records) == utc(2023, 8, 1, 23)
    assert_keys_are_location_keys(records)


def test_semantic_visit_and_activity_payloads():
    records, _ = fixture("semantic_2023_AUGUST.json")

    first_visit = records[0]
    assert first_visit.payload == {
        "lat": 43.6425662,
        "lon": -79.3870568,
        "kind": "visit",
        "place_id": "ChIJmzrzi9Y0K4gRgXUc3sTY7RU",
        "name": "CN Tower",
    }
    walk_start = next(r for r in records if r.payload["kind"] == "activity_start")
    assert walk_start.event_at == utc(2023, 8, 1, 20)
    assert walk_start.payload["activity_type"] == "WALKING"
    # Older "...TimestampMs" durations read the same way.
    drive_end = [r for r in records if r.payload.get("activity_type") == "IN_PASSENGER_VEHICLE"][-1]
    assert drive_end.payload["kind"] == "activity_end"
    assert drive_end.event_at == utc(2023, 8, 1, 21, 50)
