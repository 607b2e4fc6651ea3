"""Google location history parser: the on-device Timeline exports of Android and iOS.

Pure tests (no database). Fixture counts are explained in
tests/fixtures/google_timeline/make_fixtures.py.
"""

from __future__ import annotations

import json
from collections import Counter
from zoneinfo import ZoneInfo

import pytest

from connections.connectors.base import (
    ParseOptions,
)
from connections.connectors.google_timeline import stream
from tests.connectors.google_timeline.helpers import (
    FIXTURES,
    assert_keys_are_location_keys,
    fixture,
    run,
    run_slow_only,
    summary,
    utc,
    write,
)

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


def _first_of_each_key(records) -> list[tuple[str, dict]]:
    """(key, payload) of each key's first record, the one an import keeps, in the order the keys come."""
    first: dict[str, dict] = {}
    for r in records:
        first.setdefault(r.key, r.payload)
    return list(first.items())


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
    # Each once, in order: the points kept (a key's first record, ``prefer``) are the full file's first ones,
    # and nothing read before the cut is handed out twice.
    kept, kept_full = _first_of_each_key(records), _first_of_each_key(full)
    assert kept == kept_full[: len(kept)]
    assert not Counter((r.key, r.payload["kind"]) for r in records) - Counter((r.key, r.payload["kind"]) for r in full)
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
