"""A workout's route file in export.zip is read: its points are route records linked to the workout.

The Health app writes each route as ``workout-routes/route_<day>_<time>.gpx`` (GPX 1.1, one
``trkpt`` a fix with ``ele``, a UTC ``time`` and ``extensions`` speed, course, hAcc, vAcc) and
names it from the workout (``<WorkoutRoute><FileReference path=...>``). Before, the file was
only checked for presence: the workout said ``route_points: 0`` and no point reached the map.
Now each point is a ``workout_routes`` record keyed like every location (UTC second and
position, no zone), naming its workout; a file that cannot be read is said, the rest is kept;
and the memory a route needs does not grow with its length.
"""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from connections.connectors.apple_health import routes as routes_module
from connections.connectors.base import ParseOptions, location_key

from .helpers import make_fixtures, run, zip_of

ROUTE = "apple_health_export/workout-routes/route_2024-05-01_7.30am.gpx"
START = datetime(2024, 5, 1, 5, 30, tzinfo=UTC)  # 07:30 in Berlin


def _workout(path: str = "/workout-routes/route_2024-05-01_7.30am.gpx") -> str:
    return (
        ' <Workout workoutActivityType="HKWorkoutActivityTypeRunning" duration="30" durationUnit="min" '
        'sourceName="Ana’s Apple Watch" startDate="2024-05-01 07:30:00 +0200" endDate="2024-05-01 08:00:00 +0200">\n'
        '  <WorkoutRoute sourceName="Ana’s Apple Watch" startDate="2024-05-01 07:30:00 +0200" '
        f'endDate="2024-05-01 08:00:00 +0200"><FileReference path="{path}"/></WorkoutRoute>\n'
        " </Workout>\n"
    )


STEPS = (
    ' <Record type="HKQuantityTypeIdentifierStepCount" sourceName="Ana’s iPhone" unit="count" '
    'startDate="2024-05-01 09:00:00 +0200" endDate="2024-05-01 09:10:00 +0200" value="120"/>\n'
)


def _point(i: int) -> str:
    at = START + timedelta(seconds=i)
    return (
        f'<trkpt lon="{13.405 + i * 1e-5:.6f}" lat="{52.52 + i * 1e-5:.6f}"><ele>38.2</ele>'
        f"<time>{at:%Y-%m-%dT%H:%M:%SZ}</time><extensions><speed>2.9</speed><course>71</course>"
        "<hAcc>3.1</hAcc><vAcc>2.0</vAcc></extensions></trkpt>\n"
    )


def _gpx(points: int) -> bytes:
    """A route as the Health app writes it (FORMATS.md, GPX)."""
    body = "".join(_point(i) for i in range(points))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="Apple Health Export" '
        'xmlns="http://www.topografix.com/GPX/1/1"><metadata><time>2024-06-01T06:10:04Z</time></metadata>'
        f"<trk><name>Route 2024-05-01 7:30am</name><trkseg>\n{body}</trkseg></trk></gpx>\n"
    ).encode()


def _export(tmp_path, route: bytes | None, xml: str | None = None):
    members = {
        "apple_health_export/export.xml": (
            make_fixtures.HEADER + make_fixtures.HEAD_ELEMENTS + (xml or STEPS + _workout()) + "</HealthData>\n"
        ).encode()
    }
    if route is not None:
        members[ROUTE] = route
    return zip_of(tmp_path, members)


def _points(records):
    return [r for r in records if r.stream == "workout_routes"]


def _workouts(records):
    return [r for r in records if r.stream == "workouts"]


def _cut(data: bytes) -> bytes:
    return data[: len(data) * 2 // 3]


# (scenario, route file bytes, check(records, facts))
ROWS = [
    ("every_point_of_the_route_is_a_route_record",
     _gpx(120),
     lambda rs, f: len(_points(rs)) == 120 and _workouts(rs)[0].payload["route_points"] == 120),
    ("a_point_names_its_workout_and_keeps_what_apple_measured",
     _gpx(3),
     lambda rs, f: _points(rs)[0].payload == {
         "lat": 52.52, "lon": 13.405, "kind": "route", "altitude": 38.2, "speed_ms": 2.9, "course": 71,
         "accuracy": 3.1, "workout": "HKWorkoutActivityTypeRunning", "workout_key": _workouts(rs)[0].key}),
    ("a_point_is_an_instant_in_utc_keyed_like_every_location",
     _gpx(3),
     lambda rs, f: _points(rs)[1].event_at == START + timedelta(seconds=1)
     and all(p.key == location_key(p.event_at, p.payload["lat"], p.payload["lon"]) for p in _points(rs))),
    ("the_route_file_is_the_workouts_media_attached_and_read",
     _gpx(3),
     lambda rs, f: (f.media_declared, f.media_attached, f.media_missing) == (1, 1, 0)
     and _workouts(rs)[0].media == "attached" and _workouts(rs)[0].payload["route_points"] == 3
     and not f.warnings),
    ("a_route_file_that_is_no_gpx_is_said_and_the_rest_is_kept",
     b"PK this is not a route",
     lambda rs, f: not _points(rs) and len(_workouts(rs)) == 1 and _workouts(rs)[0].payload["route_points"] == 0
     and [w.kind for w in f.warnings] == ["unreadable_entry"] and any(r.stream == "samples" for r in rs)),
    ("a_route_file_declaring_entities_is_not_expanded",
     make_fixtures.BILLION_LAUGHS,
     lambda rs, f: not _points(rs) and [w.kind for w in f.warnings] == ["unreadable_entry"]
     and any(r.stream == "samples" for r in rs)),
    ("a_route_file_cut_short_keeps_the_points_before_the_cut",
     _cut(_gpx(300)),
     lambda rs, f: 0 < len(_points(rs)) < 300 and f.partial
     and _workouts(rs)[0].payload["route_points"] == len(_points(rs))
     and [w.kind for w in f.warnings] == ["truncated"]),
]


@pytest.mark.parametrize(("scenario", "route", "check"), ROWS, ids=[row[0] for row in ROWS])
def test_a_workouts_route_file_is_read_as_route_points(tmp_path, scenario, route, check):
    records, facts = run(_export(tmp_path, route))
    assert check(records, facts), (scenario, facts.warnings)


def test_route_points_keep_their_keys_and_times_in_any_owner_zone(tmp_path):
    path = _export(tmp_path, _gpx(20))
    in_utc, _ = run(path)
    in_kiritimati, _ = run(path, ParseOptions(time_zone=ZoneInfo("Pacific/Kiritimati")))
    assert [(p.key, p.event_at) for p in _points(in_utc)] == [(p.key, p.event_at) for p in _points(in_kiritimati)]
    assert len(_points(in_utc)) == 20


def test_a_route_file_too_large_to_read_is_said(tmp_path, monkeypatch):
    monkeypatch.setattr(routes_module, "MAX_ROUTE_BYTES", 1000)
    records, facts = run(_export(tmp_path, _gpx(50)))
    assert not _points(records) and _workouts(records)[0].payload["route_points"] == 0
    assert [(w.kind, w.position) for w in facts.warnings] == [("unreadable_entry", f"entry {ROUTE}")]
    assert "larger than" in facts.warnings[0].detail


def test_two_workouts_naming_one_route_file_read_it_once(tmp_path):
    second = _workout().replace("07:30:00", "07:31:00")  # another workout, the same file named
    records, _ = run(_export(tmp_path, _gpx(10), STEPS + _workout() + second))
    assert len(_points(records)) == 10
    assert sorted(w.payload["route_points"] for w in _workouts(records)) == [0, 10]


def _peak(path) -> int:
    """Peak Python memory while the export is read and each record dropped as it comes."""
    from connections.connectors.apple_health import parse
    from connections.connectors.base import Artifact, BatchFacts

    tracemalloc.start()
    try:
        count = sum(1 for _ in parse(Artifact(path, path.name), BatchFacts(), ParseOptions()))
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_route_ten_times_longer_needs_no_more_memory(tmp_path):
    (tmp_path / "short").mkdir()
    (tmp_path / "long").mkdir()
    short_count, short_peak = _peak(_export(tmp_path / "short", _gpx(3_000)))
    long_count, long_peak = _peak(_export(tmp_path / "long", _gpx(30_000)))
    assert (short_count, long_count) == (3_002, 30_002)  # the points, the step count and the workout
    assert long_peak < short_peak * 1.5, (short_peak, long_peak)
