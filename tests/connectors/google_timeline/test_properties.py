"""Google location history parser: property tests (arbitrary bytes and near-miss elements
only ever raise ArtifactRejected; the fast readers agree with the careful ones).
"""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

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
from connections.connectors.google_timeline import common
from connections.connectors.google_timeline import records as records_json
from tests.connectors.google_timeline.helpers import (
    run,
    run_slow_only,
    summary,
)

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
