"""Google location history parser: Records.json, Semantic months, on-device Timeline, Takeout zips.

Pure tests (no database). Fixture counts are explained in
tests/fixtures/google_timeline/make_fixtures.py.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import json
import random
import re
import tempfile
import zipfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connections.connectors import google_timeline as gt
from connections.connectors.base import (
    Artifact,
    ArtifactRejected,
    BatchFacts,
    ParseOptions,
    location_key,
)
from connections.connectors.google_timeline import common, stream
from connections.connectors.google_timeline import records as records_json

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "google_timeline"


def run(path: Path, options: ParseOptions | None = None, name: str | None = None):
    facts = BatchFacts()
    records = list(gt.parse(Artifact(path, name or path.name), facts, options or ParseOptions()))
    return records, facts


def fixture(name: str):
    return run(FIXTURES / name)


def rejection(path: Path) -> ArtifactRejected:
    """The rejection, raised by the very first step of the iterator (before any record)."""
    iterator = gt.parse(Artifact(path, path.name), BatchFacts(), ParseOptions())
    with pytest.raises(ArtifactRejected) as caught:
        next(iterator)
    return caught.value


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def assert_keys_are_location_keys(records) -> None:
    for record in records:
        assert record.stream == "locations"
        assert record.event_at.tzinfo is UTC
        assert record.key == location_key(
            record.event_at, record.payload["lat"], record.payload["lon"]
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


# ------------------------------------------------------------ on-device Android


def test_android_timeline_with_localized_name_applies_offsets_and_counts_overlaps():
    records, facts = fixture("Zeitachse.json")

    assert facts.source_format == "ondevice_android_json"
    assert len(records) == 63  # 5 days x 12 + 3 raw positions
    assert len({r.key for r in records}) == 43  # 5 days x 8 + 3: paths overlap visits and trips
    assert facts.skipped == 5  # 1 timelineMemory, 2 wifiScan, 2 activityRecord
    assert facts.failed == 1
    assert facts.warnings[0].position == "element 18"
    # "2023-05-10T07:00:00.000+02:00" is 05:00 UTC.
    assert min(r.event_at for r in records) == utc(2023, 5, 10, 5, 0)
    assert max(r.event_at for r in records) == utc(2023, 5, 14, 21, 30)
    first = min(records, key=lambda r: r.event_at)
    assert first.payload == {
        "lat": 52.5200066,
        "lon": 13.404954,
        "kind": "visit",
        "place_id": "ChIJ-home",
        "semantic_type": "HOME",
    }
    trip = next(r for r in records if r.payload["kind"] == "activity_end")
    assert trip.event_at == utc(2023, 5, 10, 6, 30)
    assert trip.payload["activity_type"] == "WALKING"
    assert_keys_are_location_keys(records)


def test_older_android_export_overlaps_the_newer_one_with_identical_keys():
    newer, _ = fixture("Zeitachse.json")
    older, older_facts = fixture("ondevice_android_older.json")

    assert len(older) == 73
    assert min(r.event_at for r in older) == utc(2023, 5, 6, 5, 0)
    assert max(r.event_at for r in older) == utc(2023, 5, 11, 15, 40)
    assert older_facts.skipped == older_facts.failed == 0
    shared = {r.key for r in older} & {r.key for r in newer}
    assert len(shared) == 16  # the 10th and 11th: 8 distinct keys a day
    assert min(r.event_at for r in newer if r.key in shared) == utc(2023, 5, 10, 5, 0)


def test_android_times_without_zone_are_read_in_the_owner_zone(tmp_path):
    doc = {
        "semanticSegments": [
            {
                "startTime": "2024-06-15T09:00:00",
                "endTime": "2024-06-15T10:00:00",
                "visit": {
                    "topCandidate": {
                        "placeId": "p",
                        "placeLocation": {"latLng": "48.1371079°, 11.5753822°"},
                    }
                },
            }
        ]
    }
    path = write(tmp_path, "Timeline.json", json.dumps(doc))

    records, facts = run(path, ParseOptions(time_zone=ZoneInfo("Europe/Berlin")))

    assert [r.event_at for r in records] == [utc(2024, 6, 15, 7)]
    assert facts.time_zone_assumed == "Europe/Berlin"
    assert any(w.kind == "time_zone_assumed" for w in facts.warnings)


def test_android_raw_signals_first_and_profile_first_are_still_detected(tmp_path):
    signal = {"position": {"LatLng": "48.1°, 11.5°", "timestamp": "2024-06-15T09:05:00.000+02:00"}}
    for doc in (
        {"rawSignals": [signal], "semanticSegments": []},
        {"userLocationProfile": {}, "rawSignals": [signal]},
    ):
        path = write(tmp_path, "Chronologie.json", json.dumps(doc))
        records, facts = run(path)
        assert facts.source_format == "ondevice_android_json"
        assert [(r.event_at, r.payload["kind"]) for r in records] == [
            (utc(2024, 6, 15, 7, 5), "raw")
        ]


def slow_only():
    """Disable both orjson readers, so every document is read by guarded ijson alone."""
    never = re.compile(rb"(?!)")
    docs = {fmt: dataclasses.replace(doc, head=never) for fmt, doc in stream._ARRAY_DOCS.items()}

    def not_fast(*args, **kwargs):
        raise stream._NotFast
        yield  # pragma: no cover

    return contextlib.ExitStack(), [
        mock.patch.object(stream, "_ARRAY_DOCS", docs),
        mock.patch.object(stream, "_document_arrays", not_fast),
    ]


def run_slow_only(path: Path):
    stack, patches = slow_only()
    with stack:
        for patch in patches:
            stack.enter_context(patch)
        return run(path)


def summary(records, facts) -> tuple:
    return (
        [(r.key, r.event_at, r.payload) for r in records],
        facts.source_format,
        facts.skipped,
        facts.failed,
        facts.partial,
        [w.as_dict() for w in facts.warnings],
    )


@pytest.mark.parametrize("cut_at", ["semanticSegments", "rawSignals", "userLocationProfile"])
def test_truncated_android_timeline_keeps_everything_before_the_cut_once(tmp_path, cut_at):
    raw = (FIXTURES / "Zeitachse.json").read_bytes()
    anchor = {
        "semanticSegments": b'"timelinePath"',
        "rawSignals": b'"wifiScan"',
        "userLocationProfile": b'"label"',
    }
    cut = raw[: raw.rindex(anchor[cut_at]) + 5]

    records, facts = run(write(tmp_path, "Timeline.json", cut))

    full, _ = fixture("Zeitachse.json")
    assert 0 < len(records) <= len(full)
    assert [r.key for r in records] == [r.key for r in full][: len(records)]  # each once, in order
    assert facts.partial
    assert facts.warnings[-1].kind == "truncated"
    assert summary(records, facts) == summary(*run_slow_only(tmp_path / "Timeline.json"))


def test_android_timeline_with_unknown_members_and_trailing_bytes(tmp_path):
    doc = json.loads((FIXTURES / "Zeitachse.json").read_text())
    odd = {"exportInfo": {"version": [1, {"x": "]}"}]}, **doc, "zzz": "tail, with } inside"}
    path = write(tmp_path, "Timeline.json", json.dumps(odd).encode() + b"\n\x00")

    records, facts = run(path)

    assert len(records) == 63
    assert facts.warnings[-1].kind == "trailing_data"
    assert summary(records, facts) == summary(*run_slow_only(path))


def test_large_android_timeline_in_tiny_chunks_matches_ijson(tmp_path, monkeypatch):
    doc = json.loads((FIXTURES / "Zeitachse.json").read_text())
    doc["semanticSegments"] *= 40
    doc["rawSignals"] *= 60
    path = write(tmp_path, "Timeline.json", json.dumps(doc, indent=1))
    monkeypatch.setattr(stream, "_CHUNK", 4096)

    records, facts = run(path)

    assert len(records) == 40 * 60 + 60 * 3
    assert summary(records, facts) == summary(*run_slow_only(path))


# --------------------------------------------------------------- on-device iOS


def test_ios_array_reads_geo_uris_string_scalars_and_path_offsets():
    records, facts = fixture("ondevice_ios.json")

    assert facts.source_format == "ondevice_ios_json"
    assert len(records) == 12
    assert len({r.key for r in records}) == 10  # trip ends equal the next visit
    assert facts.skipped == 2  # a path point without offset, a timelineMemory
    assert facts.failed == 1
    assert facts.warnings[0].position == "element 8"
    # The array is not time-sorted: paths come after the visits.
    assert records[0].event_at == utc(2023, 8, 27, 20, 48, 56)
    assert min(r.event_at for r in records) == utc(2023, 8, 27, 20, 48, 56)
    assert max(r.event_at for r in records) == utc(2023, 8, 28, 14, 35)  # 13:00Z + 95 min
    assert records[0].payload == {
        "lat": 27.720022,
        "lon": -97.347951,
        "kind": "visit",
        "place_id": "ChIJ-beach",
        "semantic_type": "Unknown",
    }
    first_path = next(r for r in records if r.payload["kind"] == "path")
    assert first_path.event_at == utc(2023, 8, 27, 20, 49)  # startTime + "49" minutes
    assert_keys_are_location_keys(records)


# ------------------------------------------------------------------- Takeout zips


def test_takeout_zip_with_records_keeps_a_semantic_month_records_does_not_cover():
    # Records.json covers 8 to 10 May 2023; the Semantic month is August 2023: nothing overlaps.
    records, facts = fixture("takeout.zip")

    assert facts.source_format == "takeout_records_zip"
    assert len(records) == 30 + 15
    assert {r.payload["kind"] for r in records[:30]} == {"raw"}
    assert max(r.event_at for r in records) == utc(2023, 8, 1, 23)
    assert not any(w.kind == "semantic_skipped" for w in facts.warnings)
    assert facts.failed == 1 + 1
    assert facts.warnings[0].position == (
        "entry Takeout/Location History (Timeline)/Records.json, element 31"
    )


# Takeout of 2015 Records next to 2015 and 2021 Semantic months (make_takeout_years.py).
TAKEOUT_YEARS = [
    # (scenario, check)
    ("records_from_2015_are_all_read", lambda rs, f: sum(r.payload["kind"] == "raw" for r in rs) == 10),
    ("a_2021_month_next_to_2015_records_is_kept",
     lambda rs, f: sum(r.event_at.year == 2021 for r in rs) == 7),
    ("a_2015_visit_on_a_day_records_covers_is_left_out",
     lambda rs, f: not any(r.event_at == utc(2015, 3, 2, 9) for r in rs)),
    ("a_2015_visit_on_a_day_records_does_not_cover_is_kept",
     lambda rs, f: any(r.event_at == utc(2015, 3, 20, 9) for r in rs)),
    ("the_left_out_visit_is_counted_and_explained",
     lambda rs, f: [w.detail for w in f.warnings if w.kind == "semantic_overlap"] == [
         "1 place from Semantic Location History was left out: Records.json already has points "
         "on the same days, and importing both would count those days twice."]),
    ("the_untimed_waypoint_is_skipped_and_the_overlap_too", lambda rs, f: f.skipped == 1 + 1),
    ("nothing_failed", lambda rs, f: f.failed == 0),
    ("every_kept_record", lambda rs, f: len(rs) == 10 + 1 + 7),
]


@pytest.mark.parametrize(("scenario", "check"), TAKEOUT_YEARS, ids=[row[0] for row in TAKEOUT_YEARS])
def test_takeout_overlap_is_measured_by_days_never_assumed(scenario, check):
    records, facts = fixture("takeout_years.zip")

    assert check(records, facts), scenario
    assert_keys_are_location_keys(records)


# Semantic month with epoch-millisecond strings and raw paths inside visits.
SEMANTIC_EPOCH = [
    ("visit", utc(2021, 8, 1, 18), "visit"),
    ("visit_raw_path_point_in_timestampMs", utc(2021, 8, 1, 19), "path"),
    ("visit_raw_path_point_in_timestamp", utc(2021, 8, 1, 20), "path"),
    ("trip_start_from_an_epoch_string_startTimestamp", utc(2021, 8, 2, 8), "activity_start"),
    ("trip_raw_path_point_with_an_epoch_string_timestamp", utc(2021, 8, 2, 9), "path"),
    ("timestamped_waypoint", utc(2021, 8, 2, 10), "path"),
    ("trip_end_from_an_epoch_string_endTimestamp", utc(2021, 8, 2, 11), "activity_end"),
]


@pytest.mark.parametrize(("scenario", "at", "kind"), SEMANTIC_EPOCH, ids=[row[0] for row in SEMANTIC_EPOCH])
def test_semantic_epoch_strings_and_visit_raw_paths_are_records(scenario, at, kind):
    records, facts = fixture("semantic_2021_AUGUST_epoch.json")

    assert [r.payload["kind"] for r in records if r.event_at == at] == [kind]
    assert len(records) == 7 and facts.failed == 0
    assert facts.skipped == 1  # the waypoint without a time
    assert [w.kind for w in facts.warnings] == ["untimed_waypoints"]


def test_semantic_month_where_nothing_can_be_read_counts_every_failure():
    records, facts = fixture("semantic_unreadable.json")

    assert records == [] and facts.failed == 3


def test_takeout_zip_without_records_imports_every_semantic_month():
    records, facts = fixture("takeout_semantic_only.zip")

    assert facts.source_format == "takeout_semantic_zip"
    assert len(records) == 4 + 15  # July + August
    assert min(r.event_at for r in records) == utc(2023, 7, 14, 9)
    assert max(r.event_at for r in records) == utc(2023, 8, 1, 23)
    assert not any(w.kind == "semantic_skipped" for w in facts.warnings)


def test_zip_holding_a_phone_timeline_is_accepted(tmp_path):
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.write(FIXTURES / "Zeitachse.json", "Zeitachse.json")
        zf.writestr("__MACOSX/._Zeitachse.json", b"\x00\x05\x16\x07")

    records, facts = run(path)

    assert facts.source_format == "ondevice_android_zip"
    assert len(records) == 63


def test_zip_with_truncated_records_is_partial(tmp_path):
    path = tmp_path / "takeout.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.write(FIXTURES / "truncated.json", "Takeout/Location History/Records.json")

    records, facts = run(path)

    assert len(records) == 5
    assert facts.partial
    assert facts.warnings[-1].kind == "truncated"


# ------------------------------------------------------------ damage and rejection


def test_truncated_file_keeps_the_points_before_the_cut_and_is_partial():
    records, facts = fixture("truncated.json")

    assert len(records) == 5
    assert facts.partial
    assert [(w.kind, w.detail, w.position) for w in facts.warnings] == [
        ("truncated", "The file ends early; points after element 5 were not read.", "element 5")
    ]


def test_truncated_before_the_first_point_is_rejected_as_malformed(tmp_path):
    path = write(tmp_path, "Records.json", '{"locations": [{"latitudeE7": 525200000, "longi')
    assert rejection(path).reason == "malformed"


def test_trailing_bytes_after_a_complete_file_are_ignored_with_a_warning(tmp_path):
    raw = (FIXTURES / "records.json").read_bytes() + b"\x00\x00garbage"
    records, facts = run(write(tmp_path, "Records.json", raw))

    assert len(records) == 30
    assert not facts.partial
    assert facts.warnings[-1].kind == "trailing_data"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("empty.json", "empty"),
        ("not_json.json", "malformed"),
        ("wrong_source.json", "wrong_source"),
        ("broken.zip", "malformed"),
        ("encrypted.zip", "encrypted"),
        ("no_location.zip", "wrong_source"),
    ],
)
def test_fixture_rejections(name, reason):
    assert rejection(FIXTURES / name).reason == reason


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"   \n", "empty"),
        (b"\xef\xbb\xbf", "empty"),
        (b"[]", "empty"),
        (b'{"foo": 1}', "wrong_source"),
        (b"{}", "wrong_source"),
        (b"42", "wrong_source"),
        (b'[{"name": "a list of something else"}]', "wrong_source"),
        (
            b'<?xml version="1.0" encoding="UTF-8"?>\n<HealthData locale="en_US">'
            b'<Record type="HKQuantityTypeIdentifierStepCount"/></HealthData>',
            "wrong_source",
        ),
        (
            "\u200e[12.03.23, 14:05:12] Anna: Hallo\n[12.03.23, 14:06:01] Ben: Hi\n".encode(),
            "wrong_source",
        ),
        (b"12/03/2023, 14:05 - Anna: Hello\n", "wrong_source"),
        (b'{"locations": [{"latitudeE7": 1}', "malformed"),
        (b"{'locations': []}", "malformed"),
        (b"PK\x03\x04 not really a zip", "malformed"),
        (gzip.compress(b'{"locations": []}'), "unsupported"),
    ],
)
def test_rejections_by_content(tmp_path, content, reason):
    assert rejection(write(tmp_path, "upload.json", content)).reason == reason


@pytest.mark.parametrize(
    "content",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"locations": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"semanticSegments": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"timelineObjects": [' + b'{"a":' * 100_000 + b"1" + b"}" * 100_000 + b"]}",
        b'{"rawSignals": [{"'
        + b"k" * 5000
        + b'": '
        + b'{"'
        + b"k" * 5000
        + b'": ' * 20
        + b"1"
        + b"}" * 21
        + b"]}",
    ],
    ids=["array", "records", "android", "semantic-objects", "long-keys"],
)
def test_pathological_nesting_is_rejected_not_a_crash(tmp_path, content):
    path = write(tmp_path, "deep.json", content)
    try:
        records, facts = run(path)
    except ArtifactRejected as exc:
        assert exc.reason in ("malformed", "wrong_source")
    else:
        assert records == [] and facts.failed <= 1


def records_head() -> bytes:
    """records.json's 32 elements with the array left open."""
    raw = (FIXTURES / "records.json").read_bytes()
    return raw[: raw.rindex(b"]")].rstrip()


@pytest.mark.parametrize("filler", [0, 3000], ids=["within-first-read", "after-first-read"])
def test_deep_nesting_after_real_points_keeps_the_points_and_marks_the_file_partial(
    tmp_path, filler
):
    timeless = b"".join([b', {"latitudeE7": 525200000, "longitudeE7": 134000000}'] * filler)
    deep = b", " + b"[" * 100_000 + b"]" * 100_000 + b"]}"

    records, facts = run(write(tmp_path, "Records.json", records_head() + timeless + deep))

    assert len(records) == 30
    assert facts.skipped == 1 + filler
    assert facts.partial
    assert facts.warnings[-1].kind == "damaged"


def test_one_enormous_element_does_not_stall_the_reader(tmp_path):
    enormous = b', {"latitudeE7": 525200000, "longitudeE7": 134000000, "timestamp": "2023-06-01T00:00:00Z", '
    enormous += b'"junk": [' + b",".join([b"1"] * 3_000_000) + b"]}"
    raw = records_head() + enormous + b"]}"

    records, facts = run(write(tmp_path, "Records.json", raw))

    assert len(records) == 31
    assert not facts.partial


# ---------------------------------------------------------- large files, fast path


def big_records(n: int, seed: int = 3) -> tuple[bytes, list[tuple[datetime, float, float]]]:
    """A multi-chunk Records.json; some strings hold brackets and commas to mislead a cheap cut."""
    rnd = random.Random(seed)
    start = utc(2023, 1, 1)
    points, expected = [], []
    for i in range(n):
        at = start + timedelta(seconds=37 * i, milliseconds=rnd.randint(0, 999))
        lat, lon = rnd.randint(-899999999, 899999999), rnd.randint(-1799999999, 1799999999)
        point = {"latitudeE7": lat, "longitudeE7": lon, "accuracy": rnd.randint(1, 99)}
        if i % 2:
            point["timestampMs"] = str(int(at.timestamp() * 1000))
        else:
            point["timestamp"] = at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        if i % 7 == 0:  # unbalanced brackets in strings defeat the cheap cut: the exact one is used
            point["source"] = '[[{"odd": ' if i % 14 == 0 else "}"
        if i % 5 == 0:
            point["activity"] = [{"activity": [{"type": "STILL", "confidence": 100}]}]
        points.append(point)
        expected.append((at, lat / 1e7, lon / 1e7))
    return json.dumps({"locations": points}, indent=2).encode(), expected


@pytest.fixture(params=["2 MiB chunks", "4 KiB chunks"])
def chunked(request, monkeypatch):
    """Points in the file, read with the real chunk size or tiny chunks (many batches)."""
    if request.param == "4 KiB chunks":
        monkeypatch.setattr(stream, "_CHUNK", 4096)
        return 3_000
    return 30_000


def test_large_records_file_across_batches_matches_every_point(tmp_path, chunked):
    raw, expected = big_records(chunked)
    assert len(raw) > 2 * stream._CHUNK

    records, facts = run(write(tmp_path, "Records.json", raw))

    assert facts.failed == facts.skipped == 0
    assert [(r.event_at, r.payload["lat"], r.payload["lon"]) for r in records] == expected
    assert_keys_are_location_keys(records)
    assert records[14].payload["source"] == '[[{"odd": '


def test_large_records_file_truncated_mid_way_is_partial_at_the_right_element(tmp_path, chunked):
    raw, expected = big_records(chunked)
    cut = raw.index(b'"latitudeE7"', len(raw) * 2 // 3)
    records, facts = run(write(tmp_path, "Records.json", raw[: cut + 20]))

    read = len(records)
    assert chunked // 2 < read < chunked
    assert [(r.event_at, r.payload["lat"], r.payload["lon"]) for r in records] == expected[:read]
    assert facts.partial
    assert (
        facts.warnings[-1].detail
        == f"The file ends early; points after element {read} were not read."
    )


def test_large_records_file_damaged_in_the_middle_keeps_what_comes_before(tmp_path, chunked):
    raw, expected = big_records(chunked)
    at = raw.index(b'"accuracy"', len(raw) // 2)
    damaged = raw[:at] + b"@@" + raw[at + 2 :]

    records, facts = run(write(tmp_path, "Records.json", damaged))

    assert chunked // 3 < len(records) < chunked * 2 // 3
    assert [(r.event_at, r.payload["lat"], r.payload["lon"]) for r in records] == expected[
        : len(records)
    ]
    assert facts.partial
    assert facts.warnings[-1].kind == "damaged"


# ------------------------------------------------------------------ property tests


def parse_bytes(data: bytes, name: str = "upload.json") -> list:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            return list(gt.parse(Artifact(path, name), BatchFacts(), ParseOptions()))
        except ArtifactRejected:
            return []


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=40,
)
# Values shaped loosely like Timeline data, so the handlers meet near-misses.
coordinate_text = st.sampled_from(
    ["48.1°, 11.5°", "geo:27.7,-97.3", "91°, 0°", "a, b", "geo:", "1,2,3,4", ""]
)
time_text = st.sampled_from(
    [
        "2024-06-15T09:00:00.000+02:00",
        "2023-05-01T10:00:00Z",
        "2023-05-01",
        "0001-01-01T00:00:00+14:00",
        "x",
        "",
    ]
)
near_miss = st.recursive(
    st.none()
    | st.integers(min_value=-(2**40), max_value=2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | coordinate_text
    | time_text
    | st.sampled_from(["1683706530123", "-5", "49", "1e3", "WIFI"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "latitudeE7",
                    "longitudeE7",
                    "latE7",
                    "lngE7",
                    "timestamp",
                    "timestampMs",
                    "accuracy",
                    "source",
                    "altitude",
                    "placeVisit",
                    "activitySegment",
                    "location",
                    "duration",
                    "startTimestamp",
                    "endTimestampMs",
                    "startLocation",
                    "endLocation",
                    "simplifiedRawPath",
                    "points",
                    "childVisits",
                    "parkingEvent",
                    "startTime",
                    "endTime",
                    "visit",
                    "activity",
                    "timelinePath",
                    "topCandidate",
                    "placeLocation",
                    "latLng",
                    "LatLng",
                    "point",
                    "time",
                    "start",
                    "end",
                    "durationMinutesOffsetFromStartTime",
                    "position",
                    "centerLatE7",
                ]
            ),
            children,
            max_size=6,
        )
    ),
    max_leaves=30,
)
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(st.binary(max_size=400))
def test_arbitrary_bytes_only_ever_raise_artifact_rejected(data):
    parse_bytes(data)
    parse_bytes(b"PK\x03\x04" + data, "upload.zip")


@PROPERTY
@given(json_values)
def test_arbitrary_json_only_ever_raises_artifact_rejected(value):
    parse_bytes(json.dumps(value).encode())


@PROPERTY
@given(
    st.sampled_from(["locations", "timelineObjects", "semanticSegments", "rawSignals", None]),
    st.lists(near_miss, max_size=6),
    st.integers(min_value=0, max_value=60),
)
def test_near_miss_elements_never_escape_and_truncation_never_crashes(key, elements, cut):
    raw = json.dumps(elements if key is None else {key: elements}).encode()
    for record in parse_bytes(raw):
        assert record.key == location_key(
            record.event_at, record.payload["lat"], record.payload["lon"]
        )
        assert record.event_at.tzinfo is UTC
    parse_bytes(raw[: max(len(raw) - cut, 1)])


optional_field = st.one_of(
    st.none(),
    st.integers(min_value=-(2**62), max_value=2**62),
    st.integers(min_value=-5, max_value=5000),
    st.floats(allow_nan=False),
    st.booleans(),
    st.text(max_size=70),
    st.sampled_from(["WIFI", "GPS", "CELL", "VISIBLE_WIFI", "a\x00b"]),
)


@PROPERTY
@given(
    st.integers(min_value=-999999999, max_value=999999999)
    | st.integers(min_value=3_900_000_000, max_value=2**32),
    st.integers(min_value=-1999999999, max_value=1999999999),
    st.integers(min_value=-(10**12), max_value=4_100_000_000_000),
    st.sampled_from(["iso-z", "iso-offset", "ms-text", "ms-number"]),
    optional_field,
    optional_field,
    optional_field,
)
def test_fast_records_path_agrees_with_the_careful_one(
    lat, lon, ms, time_form, accuracy, source, altitude
):
    at = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
    point = {
        "latitudeE7": lat,
        "longitudeE7": lon,
        "accuracy": accuracy,
        "source": source,
        "altitude": altitude,
    }
    if time_form == "iso-z":
        point["timestamp"] = at.isoformat().replace("+00:00", "Z")
    elif time_form == "iso-offset":
        point["timestamp"] = at.astimezone(timezone(timedelta(hours=-3))).isoformat()
    else:
        point["timestampMs"] = str(ms) if time_form == "ms-text" else ms
    fast_facts, careful_facts = BatchFacts(), BatchFacts()
    fast = list(records_json._consume_records(iter([[point]]), common._Ctx(fast_facts, None, UTC)))
    try:
        careful = records_json._records_element(point, 1, common._Ctx(careful_facts, None, UTC))
    except common._Bad:
        careful = None
    assert fast == ([careful] if careful is not None else [])
    for record in fast:
        assert record.key == location_key(
            record.event_at, record.payload["lat"], record.payload["lon"]
        )


@PROPERTY
@given(
    st.sampled_from(["locations", "timelineObjects", "semanticSegments", "ios"]),
    st.lists(near_miss, max_size=5),
    st.lists(near_miss, max_size=3),
    st.integers(min_value=0, max_value=80),
)
def test_fast_readers_agree_with_ijson_alone(kind, elements, signals, cut):
    if kind == "ios":
        doc = elements
    elif kind == "semanticSegments":
        doc = {kind: elements, "rawSignals": signals, "userLocationProfile": {"a": signals}}
    else:
        doc = {kind: elements}
    raw = json.dumps(doc).encode()
    for data in (raw, raw[: max(len(raw) - cut, 1)]):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "upload.json"
            path.write_bytes(data)
            try:
                fast = summary(*run(path))
            except ArtifactRejected as exc:
                fast = exc.reason
            try:
                slow = summary(*run_slow_only(path))
            except ArtifactRejected as exc:
                slow = exc.reason
            assert fast == slow
