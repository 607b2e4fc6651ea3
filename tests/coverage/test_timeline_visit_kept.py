"""A visit that begins where and when a trip ends keeps its place (tester's fault 7, session 19).

The trip's end and the visit are the same point (one UTC second, one place), so the import keeps one
record of it. It kept the trip's end, read first, and dropped the visit's place id and type: the
owner's "Home" and "Work" were gone from every visit after a trip, in the on-device Timeline of an
Android phone or an iPhone and in Takeout's Semantic months alike. Now the visit is kept; the counts
are what they were (three read, one of them a repeat inside the file).
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest

import connections.connectors.google_timeline as google_timeline
from connections.connectors.google_timeline import reader
from connections.connectors.google_timeline.common import location_key
from coverage.models import AcquisitionBatch, Record
from coverage.pipeline import land_batch, preview_artifact, start_commit
from coverage.pipeline.reread import commit_reread, preview_reread
from coverage.pipeline.reread_which import outdated_imports

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks", "artifact_root")]

LEFT = datetime(2024, 3, 5, 8, 0, tzinfo=UTC)  # the trip starts at the office
ARRIVED = datetime(2024, 3, 5, 8, 25, tzinfo=UTC)  # and ends at home, where the visit begins
OFFICE, HOME = (52.5300000, 13.3800000), (52.5200066, 13.4049540)


def android() -> tuple[str, dict]:
    def place(lat_lon):
        return f"{lat_lon[0]}°, {lat_lon[1]}°"
    return "Timeline.json", {"semanticSegments": [
        {"startTime": "2024-03-05T09:00:00.000+01:00", "endTime": "2024-03-05T09:25:00.000+01:00",
         "activity": {"start": {"latLng": place(OFFICE)}, "end": {"latLng": place(HOME)},
                      "topCandidate": {"type": "IN_PASSENGER_VEHICLE"}}},
        {"startTime": "2024-03-05T09:25:00.000+01:00", "endTime": "2024-03-05T18:00:00.000+01:00",
         "visit": {"topCandidate": {"placeId": "ChIJ-home", "semanticType": "HOME",
                                    "placeLocation": {"latLng": place(HOME)}}}},
    ], "rawSignals": [], "userLocationProfile": {}}


def ios() -> tuple[str, list]:
    def geo(lat_lon):
        return f"geo:{lat_lon[0]},{lat_lon[1]}"
    return "location-history.json", [
        {"startTime": "2024-03-05T09:00:00.000+01:00", "endTime": "2024-03-05T09:25:00.000+01:00",
         "activity": {"start": geo(OFFICE), "end": geo(HOME), "topCandidate": {"type": "in passenger vehicle"}}},
        {"startTime": "2024-03-05T09:25:00.000+01:00", "endTime": "2024-03-05T18:00:00.000+01:00",
         "visit": {"topCandidate": {"placeID": "ChIJ-home", "semanticType": "Home", "placeLocation": geo(HOME)}}},
    ]


def semantic() -> tuple[str, dict]:
    def e7(lat_lon, prefix=""):
        return {f"{prefix}latitudeE7" if not prefix else f"{prefix}LatitudeE7": round(lat_lon[0] * 1e7),
                f"{prefix}longitudeE7" if not prefix else f"{prefix}LongitudeE7": round(lat_lon[1] * 1e7)}
    return "2024_MARCH.json", {"timelineObjects": [
        {"activitySegment": {"startLocation": e7(OFFICE), "endLocation": e7(HOME),
                             "duration": {"startTimestamp": "2024-03-05T08:00:00Z", "endTimestamp": "2024-03-05T08:25:00Z"},
                             "activityType": "IN_PASSENGER_VEHICLE"}},
        {"placeVisit": {"location": {**e7(HOME), "placeId": "ChIJ-home", "semanticType": "TYPE_HOME", "name": "Home"},
                        "duration": {"startTimestamp": "2024-03-05T08:25:00Z", "endTimestamp": "2024-03-05T17:00:00Z"}}},
    ]}


@pytest.mark.parametrize(("export", "place"), [
    (android, {"place_id": "ChIJ-home", "semantic_type": "HOME"}),
    (ios, {"place_id": "ChIJ-home", "semantic_type": "Home"}),
    (semantic, {"place_id": "ChIJ-home", "name": "Home"}),
])
def test_the_visit_that_begins_where_a_trip_ends_keeps_its_place(timeline, export, place):
    name, document = export()
    batch = preview_artifact(timeline, io.BytesIO(json.dumps(document).encode()), name)
    batch = land_batch(start_commit(batch, enqueue=False).pk)
    assert batch.status == AcquisitionBatch.Status.COMMITTED
    assert (batch.count_parsed, batch.count_accepted, batch.count_duplicate) == (3, 2, 1)

    home = Record.objects.get(connection=timeline, key=location_key(ARRIVED, *HOME))
    assert home.event_at == ARRIVED
    assert home.payload == {"lat": HOME[0], "lon": HOME[1], "kind": "visit", **place}
    assert Record.objects.get(connection=timeline, key=location_key(LEFT, *OFFICE)).payload["kind"] == "activity_start"


def test_an_import_read_by_the_older_reader_gets_its_visit_back_when_read_again(timeline, monkeypatch):
    """The owner's earlier import, read before a visit came first, is offered to be read again; reading it
    again puts the visit's place on the point, and nothing else changes."""
    name, document = android()
    with monkeypatch.context() as older:  # the reader before: records in the order they were written
        older.setattr(reader, "best_first", lambda records: records)
        older.setattr(google_timeline, "PARSER_VERSION", "google_timeline/3")
        old = land_batch(start_commit(preview_artifact(timeline, io.BytesIO(json.dumps(document).encode()), name),
                                      enqueue=False).pk)
    key = location_key(ARRIVED, *HOME)
    assert Record.objects.get(connection=timeline, key=key).payload["kind"] == "activity_end"
    assert outdated_imports([timeline]) == [old]

    new = commit_reread(preview_reread(old))
    assert new.status == AcquisitionBatch.Status.COMMITTED
    assert Record.objects.get(connection=timeline, key=key).payload["place_id"] == "ChIJ-home"
    assert Record.objects.filter(connection=timeline).count() == 2
    assert outdated_imports([timeline]) == []
