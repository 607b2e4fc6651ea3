"""GPX tracks: a connector of their own, and a second export path into the phone's locations.

The parser tests are pure (no database); the last scenarios run the pipeline
(preview, commit, land) on SQLite or PostgreSQL.
"""

from __future__ import annotations

import importlib.util
import json
import tracemalloc
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connections.connectors import all_manifests, get, google_timeline, gpx, owntracks
from connections.connectors.base import (
    Artifact,
    ArtifactRejected,
    BatchFacts,
    ParsedRecord,
    ParseOptions,
    location_key,
)
from connections.models import Connection
from coverage.models import Record
from coverage.pipeline import acquire_records, land_batch, preview_artifact, start_commit

HERE = Path(__file__).resolve().parents[1] / "fixtures"
FIXTURES = HERE / "gpx"
TIMELINE = HERE / "google_timeline"

_spec = importlib.util.spec_from_file_location("gpx_fixtures", FIXTURES / "make_fixtures.py")
make_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_fixtures)
point = make_fixtures.point
START = make_fixtures.START


def run(path: Path, parser=None) -> tuple[list[ParsedRecord], BatchFacts]:
    facts = BatchFacts()
    records = list((parser or gpx.parse)(Artifact(path, path.name), facts, ParseOptions()))
    return records, facts


def keys_of(indexes) -> list[str]:
    return [location_key(*point(i)) for i in indexes]


def details(facts: BatchFacts) -> list[str]:
    return [w.detail for w in facts.warnings]


def test_fixtures_are_reproducible_and_small():
    for name, data in make_fixtures.fixtures().items():
        assert (FIXTURES / name).read_bytes() == data, f"{name} is stale: run make_fixtures.py"
        assert len(data) < 60_000


# --------------------------------------------------------------------------- what each app's file gives

# file -> (source format, records, skipped, failed, keys of the track's points in order)
APPS = {
    "garmin_connect.gpx": ("gpx", 12, 0, 0, keys_of(range(12))),
    "strava.gpx": ("gpx", 12, 0, 0, keys_of(range(12))),
    "komoot.gpx": ("gpx", 10, 4, 0, keys_of(range(20, 30))),
    "osmand.gpx": ("gpx", 11, 1, 0, keys_of([38, *range(30, 36), *range(40, 44)])),
    "gpslogger.gpx": ("gpx", 8, 1, 0, keys_of(range(50, 58))),
    "apple_route.gpx": ("gpx", 10, 0, 0, keys_of(range(60, 70))),
    "no_namespace.gpx": ("gpx", 2, 0, 0, keys_of([80, 81])),
    "mixed.gpx": ("gpx", 6, 6, 2, [location_key(point(96)[0], 52.53, 13.41), *keys_of(range(90, 95))]),
    "strava_archive.zip": ("gpx_zip", 22, 4, 0, keys_of([*range(12), *range(20, 30)])),
    "apple_health_export.zip": ("gpx_zip", 10, 0, 0, keys_of(range(60, 70))),
}


@pytest.mark.parametrize(("name", "expected"), APPS.items(), ids=list(APPS))
def test_an_apps_gpx_export_gives_its_timed_points_as_locations(name, expected):
    source_format, count, skipped, failed, keys = expected
    records, facts = run(FIXTURES / name)
    assert (facts.source_format, len(records), facts.skipped, facts.failed) == (source_format, count, skipped, failed)
    assert [r.key for r in records] == keys
    assert {r.stream for r in records} == {"locations"}
    assert all(r.event_at.tzinfo is UTC for r in records)
    assert facts.parser_version == gpx.PARSER_VERSION and not facts.partial


def test_the_same_ride_from_garmin_and_from_strava_has_the_same_keys():
    garmin, _ = run(FIXTURES / "garmin_connect.gpx")
    strava, _ = run(FIXTURES / "strava.gpx")
    assert [r.key for r in garmin] == [r.key for r in strava]
    assert [r.event_at for r in garmin] == [point(i)[0] for i in range(12)]


def test_a_time_with_an_offset_or_fractional_seconds_is_read_as_the_instant_it_names():
    gpslogger, _ = run(FIXTURES / "gpslogger.gpx")  # 09:04:10+02:00
    komoot, _ = run(FIXTURES / "komoot.gpx")  # 07:01:40.140Z
    assert gpslogger[0].event_at == point(50)[0]
    assert komoot[0].event_at == point(20)[0] + timedelta(milliseconds=140)


def test_a_time_without_a_zone_is_read_as_utc_as_gpx_says_and_the_receipt_names_it(tmp_path):
    path = tmp_path / "old_logger.gpx"
    path.write_bytes(make_fixtures._doc(
        'version="1.0" creator="old logger"',
        '<trk><trkseg><trkpt lat="52.5" lon="13.4"><time>2024-05-04T07:00:00</time></trkpt></trkseg></trk>\n',
    ))
    records, facts = run(path)
    assert [r.event_at for r in records] == [START]
    assert facts.time_zone_assumed == "UTC"
    assert "1 point had a time without a zone; GPX times are in UTC, so they were read as UTC." in details(facts)


def test_elevation_and_cheap_extension_numbers_are_kept_in_the_payload():
    garmin, _ = run(FIXTURES / "garmin_connect.gpx")
    apple, _ = run(FIXTURES / "apple_route.gpx")
    gpslogger, _ = run(FIXTURES / "gpslogger.gpx")
    assert garmin[3].payload == {
        "lat": pytest.approx(point(3)[1]), "lon": pytest.approx(point(3)[2]), "kind": "raw",
        "source": "gpx", "altitude": 35.4, "heart_rate": 123, "cadence": 83,
    }
    assert apple[0].payload["speed_ms"] == 2.9 and apple[0].payload["accuracy"] == 3.1
    assert gpslogger[0].payload["speed_ms"] == 4.5 and gpslogger[0].payload["course"] == 71.0
    osmand, _ = run(FIXTURES / "osmand.gpx")
    assert osmand[0].payload["kind"] == "waypoint"


# --------------------------------------------------------------------------- what is not coverage, in words


def test_points_without_a_time_are_skipped_with_a_sentence_that_says_why():
    _, mixed = run(FIXTURES / "mixed.gpx")
    _, gpslogger = run(FIXTURES / "gpslogger.gpx")
    assert "2 points have no time, so they cannot show when you were there." in details(mixed)
    assert "1 point has no time, so it cannot show when you were there." in details(gpslogger)


def test_routes_and_waypoints_without_times_are_not_coverage():
    _, mixed = run(FIXTURES / "mixed.gpx")
    assert (
        "3 route points have no time: a route is a plan, not a record of where you were, "
        "so it was not imported." in details(mixed)
    )
    assert (
        "1 waypoint has no time: a saved place does not show when you were there, "
        "so it was not imported." in details(mixed)
    )


def test_a_bad_position_or_time_is_counted_as_failed_with_its_line():
    _, facts = run(FIXTURES / "mixed.gpx")
    failed = [(w.detail, w.position) for w in facts.warnings if w.kind == "unparsed_item"]
    assert failed == [
        ("A track point has no valid position (lat '95.0', lon '13.4').", "line 14"),
        ("A track point's time could not be read ('yesterday at noon').", "line 15"),
    ]


def test_a_zip_of_gpx_files_names_activities_it_cannot_read():
    records, facts = run(FIXTURES / "strava_archive.zip")
    assert len(records) == 22
    assert "1 activity in the zip is not a GPX file (FIT or TCX), so it was not read." in details(facts)


def test_a_truncated_file_keeps_the_points_before_the_cut_and_says_so():
    records, facts = run(FIXTURES / "truncated.gpx")
    assert 0 < len(records) < 12 and [r.key for r in records] == keys_of(range(len(records)))
    assert facts.partial
    assert [w.kind for w in facts.warnings] == ["truncated"]
    assert facts.warnings[0].detail.startswith("The file ends early or is damaged at line ")


# --------------------------------------------------------------------------- refused before anything is written

REFUSED = {
    "empty.gpx": ("empty", "The file is empty."),
    "not_xml.gpx": ("wrong_source", "This is not a GPX file"),
    "not_gpx.kml": ("wrong_source", "This is not a GPX file"),
    "entity_bomb.gpx": ("unsupported", "declares a DTD"),
    "external_entity.gpx": ("unsupported", "declares a DTD"),
    "hostile_member.zip": ("unsupported", "b.gpx declares a DTD"),
    "no_gpx.zip": ("wrong_source", "holds no GPX files"),
    "route_only.gpx": ("empty", "2 route points have no time"),
}


@pytest.mark.parametrize(("name", "expected"), REFUSED.items(), ids=list(REFUSED))
def test_a_file_that_is_not_a_usable_gpx_is_refused_before_any_point(name, expected):
    reason, words = expected
    facts = BatchFacts()
    records = gpx.parse(Artifact(FIXTURES / name, name), facts, ParseOptions())
    with pytest.raises(ArtifactRejected) as refused:
        next(records)
    assert refused.value.reason == reason
    assert words in refused.value.detail


@pytest.mark.parametrize(
    "text",
    [
        b"<!DOCTYPE html>\n<html><body><p>Your activity</p></body></html>\n",
        b'<?xml version="1.0"?>\n<!DOCTYPE HealthData [\n<!ELEMENT HealthData (Record)*>\n]>\n<HealthData/>\n',
    ],
    ids=["web_page", "health_export_xml"],
)
def test_another_kind_of_xml_with_a_doctype_is_not_gpx_rather_than_unsafe(tmp_path, text):
    path = tmp_path / "activity.gpx"
    path.write_bytes(text)
    with pytest.raises(ArtifactRejected) as refused:
        run(path)
    assert (refused.value.reason, refused.value.detail) == ("wrong_source", gpx.NOT_GPX)


def test_a_password_protected_zip_is_refused(tmp_path):
    data = bytearray((FIXTURES / "strava_archive.zip").read_bytes())
    for signature, flag in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (at := data.find(signature, start)) >= 0:
            data[at + flag] |= 0x1
            start = at + 4
    path = tmp_path / "export.zip"
    path.write_bytes(bytes(data))
    with pytest.raises(ArtifactRejected) as refused:
        run(path)
    assert refused.value.reason == "encrypted"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=400), prefix=st.sampled_from([b"", b'<gpx xmlns="http://www.topografix.com/GPX/1/1">']))
def test_any_bytes_give_points_or_a_refusal_never_an_error(tmp_path, body, prefix):
    path = tmp_path / "any.gpx"
    path.write_bytes(prefix + body)
    try:
        run(path)
    except ArtifactRejected:
        pass


def _traced_peak(path: Path) -> tuple[int, int]:
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        count = sum(1 for _ in gpx.parse(Artifact(path, path.name), BatchFacts(), ParseOptions()))
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    return count, peak


def test_memory_stays_flat_for_a_file_ten_times_larger(tmp_path):
    small = _traced_peak(make_fixtures.write_large_gpx(tmp_path / "small.gpx", 3_000))
    large = _traced_peak(make_fixtures.write_large_gpx(tmp_path / "large.gpx", 30_000))
    assert (small[0], large[0]) == (3_000, 30_000)
    assert large[1] - small[1] < 256 * 1024, (small, large)


# --------------------------------------------------------------------------- the connector and the phone's export path


def test_gps_tracks_is_a_connector_of_its_own():
    manifest = get("gpx")
    assert manifest in all_manifests()
    path = manifest.path("owner_artifact")
    assert (manifest.name, manifest.record_noun, manifest.streams) == ("GPS tracks", ("point", "points"), ("locations",))
    assert path.accepted_formats == (".gpx", ".zip") and path.parser is gpx.parse
    assert manifest.record_key_rule == owntracks.MANIFEST.record_key_rule
    for app in ("Garmin Connect", "Strava", "komoot", "OsmAnd", "GPSLogger", "Health app"):
        assert any(app in step for step in path.instructions), app


def test_the_phone_source_takes_a_gpx_file_as_well_as_a_timeline_export():
    path = owntracks.MANIFEST.path("owner_artifact")
    assert ".gpx" in path.accepted_formats and ".json" in path.accepted_formats
    assert any("GPX" in step for step in path.instructions)
    for name in ("garmin_connect.gpx", "strava_archive.zip", "apple_health_export.zip"):
        records, facts = run(FIXTURES / name, path.parser)
        assert [r.key for r in records] == [r.key for r in run(FIXTURES / name)[0]]
        assert facts.source_format.startswith("gpx")


TIMELINE_FILES = ["records.json", "semantic_2023_AUGUST.json", "ondevice_ios.json", "takeout.zip", "truncated.json"]


@pytest.mark.parametrize("name", TIMELINE_FILES)
def test_a_timeline_export_reads_the_same_through_the_phone_source(name):
    via_phone = run(TIMELINE / name, owntracks.MANIFEST.path("owner_artifact").parser)
    direct = run(TIMELINE / name, google_timeline.parse)
    assert via_phone[0] == direct[0]
    assert (via_phone[1].source_format, via_phone[1].skipped, via_phone[1].failed) == (
        direct[1].source_format, direct[1].skipped, direct[1].failed)
    assert details(via_phone[1]) == details(direct[1])


@pytest.mark.parametrize("name", ["not_json.json", "wrong_source.json", "empty.json", "encrypted.zip", "broken.zip"])
def test_a_timeline_file_the_phone_source_refuses_is_refused_for_the_same_reason(name):
    reasons = []
    for parser in (owntracks.MANIFEST.path("owner_artifact").parser, google_timeline.parse):
        with pytest.raises(ArtifactRejected) as refused:
            run(TIMELINE / name, parser)
        reasons.append((refused.value.reason, refused.value.detail))
    assert reasons[0] == reasons[1]


# --------------------------------------------------------------------------- through the pipeline


def _import(connection, path: Path):
    with path.open("rb") as fh:
        batch = preview_artifact(connection, fh, path.name)
    assert batch.status == "preview", batch.reject_detail
    return batch, land_batch(start_commit(batch, enqueue=False).pk)


@pytest.mark.django_db
def test_a_gpx_file_lands_in_a_gps_tracks_source_and_a_re_export_adds_nothing(owner):
    tracks = Connection.objects.create(owner=owner, connector="gpx", slug="rides", name="My rides")
    preview, landed = _import(tracks, FIXTURES / "mixed.gpx")
    assert (preview.count_parsed, preview.count_skipped, preview.count_failed) == (6, 6, 2)
    assert landed.status == "committed" and landed.count_accepted == 6
    assert any(w["detail"].startswith("2 points have no time") for w in landed.warnings)

    _, garmin = _import(tracks, FIXTURES / "garmin_connect.gpx")
    _, strava = _import(tracks, FIXTURES / "strava.gpx")  # the same ride, exported from Strava
    assert (garmin.count_accepted, strava.count_accepted, strava.count_duplicate) == (12, 0, 12)
    assert Record.objects.filter(connection=tracks).count() == 18


@pytest.mark.django_db
def test_a_point_the_phone_pushed_and_the_same_gpx_point_are_one_record(owner):
    phone = Connection.objects.create(owner=owner, connector="owntracks", slug="phone", name="My phone")
    at, lat, lon = point(3)
    body = json.dumps({"_type": "location", "lat": lat, "lon": lon, "tst": int(at.timestamp())}).encode()
    facts = BatchFacts()
    records = owntracks.parse_owntracks(body, facts)
    acquire_records(phone, method="device_sync", trigger="push", records=records, facts=facts)

    preview, landed = _import(phone, FIXTURES / "garmin_connect.gpx")
    assert (preview.count_accepted, preview.count_duplicate) == (11, 1)
    assert (landed.count_accepted, landed.count_duplicate) == (11, 1)
    assert Record.objects.filter(connection=phone).count() == 12
    both = Record.objects.get(connection=phone, key=location_key(at, lat, lon))
    assert {method for _, method in both.deliveries()} == {"device_sync", "owner_artifact"}

