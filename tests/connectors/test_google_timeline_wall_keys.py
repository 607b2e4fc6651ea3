"""On-device Timeline times written without a zone are keyed on the wall-clock time as written
(issue 11, section 2: a record's key never depends on the owner's zone). Read in two zones, the same
file gives the same keys and different instants; times that carry a zone keep their UTC keys."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from connections.connectors import google_timeline as gt
from connections.connectors.base import Artifact, BatchFacts, ParseOptions, location_key

ANDROID_WITHOUT_ZONES = {
    "semanticSegments": [
        {"startTime": "2024-06-15T09:00:00", "endTime": "2024-06-15T10:00:00",
         "visit": {"topCandidate": {"placeId": "p", "placeLocation": {"latLng": "48.1371079°, 11.5753822°"}}}},
        {"startTime": "2024-06-15T10:00:00", "endTime": "2024-06-15T10:30:00",
         "activity": {"start": {"latLng": "48.1371°, 11.5753°"}, "end": {"latLng": "48.2°, 11.6°"},
                      "topCandidate": {"type": "WALKING"}}},
        {"startTime": "2024-06-15T10:00:00", "endTime": "2024-06-15T10:30:00",
         "timelinePath": [{"point": "48.15°, 11.58°", "time": "2024-06-15T10:10:00"}]},
    ],
    "rawSignals": [{"position": {"LatLng": "48.1°, 11.5°", "timestamp": "2024-06-15T10:20:00"}}],
}
IOS_WITHOUT_ZONES = [
    {"startTime": "2024-06-15T10:00:00", "endTime": "2024-06-15T10:30:00",
     "timelinePath": [{"point": "geo:48.15,11.58", "durationMinutesOffsetFromStartTime": "10"}]},
]


def read(tmp_path: Path, doc, zone: str):
    path = tmp_path / f"Timeline-{zone.replace('/', '-')}.json"
    path.write_text(json.dumps(doc))
    return list(gt.parse(Artifact(path, "Timeline.json"), BatchFacts(), ParseOptions(time_zone=ZoneInfo(zone))))


def test_the_same_zoneless_android_file_read_in_two_zones_keeps_its_keys_and_moves_its_instants(tmp_path):
    berlin = read(tmp_path, ANDROID_WITHOUT_ZONES, "Europe/Berlin")
    auckland = read(tmp_path, ANDROID_WITHOUT_ZONES, "Pacific/Auckland")

    assert len(berlin) == 5
    assert [r.key for r in berlin] == [r.key for r in auckland]
    assert [r.event_at for r in berlin][0] == datetime(2024, 6, 15, 7, 0, tzinfo=UTC)
    assert [r.event_at for r in auckland][0] == datetime(2024, 6, 14, 21, 0, tzinfo=UTC)
    assert all(b.event_at != a.event_at for b, a in zip(berlin, auckland, strict=True))


def test_the_same_zoneless_ios_file_read_in_two_zones_keeps_its_keys(tmp_path):
    berlin = read(tmp_path, IOS_WITHOUT_ZONES, "Europe/Berlin")
    auckland = read(tmp_path, IOS_WITHOUT_ZONES, "Pacific/Auckland")

    assert len(berlin) == 1
    assert [r.key for r in berlin] == [r.key for r in auckland]
    assert berlin[0].event_at != auckland[0].event_at


def test_a_zoneless_key_never_merges_with_a_fix_keyed_by_its_utc_second(tmp_path):
    """Wall clock 09:00 at home is not the phone's 09:00 UTC fix at home (an hour or more apart)."""
    (visit, *_rest) = read(tmp_path, ANDROID_WITHOUT_ZONES, "Europe/Berlin")
    wall = datetime(2024, 6, 15, 9, 0, tzinfo=UTC)
    assert visit.key != location_key(wall, 48.1371079, 11.5753822)
    assert visit.key != location_key(visit.event_at, 48.1371079, 11.5753822)


def test_times_that_carry_a_zone_keep_their_utc_keys(tmp_path):
    doc = {"rawSignals": [{"position": {"LatLng": "48.1°, 11.5°", "timestamp": "2024-06-15T09:05:00.000+02:00"}}]}
    (signal,) = read(tmp_path, doc, "Pacific/Auckland")
    assert signal.key == location_key(datetime(2024, 6, 15, 7, 5, tzinfo=UTC), 48.1, 11.5)


def test_reading_zoneless_times_on_the_wall_clock_is_a_new_parser_version():
    assert gt.PARSER_VERSION != "google_timeline/2"
