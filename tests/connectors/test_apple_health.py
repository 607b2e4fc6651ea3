"""Apple Health export parser: pure tests (no database)."""

from __future__ import annotations

import importlib.util
import io
import struct
import tempfile
import tracemalloc
import zipfile
import zlib
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connections.connectors import safe_zip
from connections.connectors.apple_health import MANIFEST, PARSER_VERSION, parse, safe_xml
from connections.connectors.base import (
    Artifact,
    ArtifactRejected,
    BatchFacts,
    ParsedRecord,
    ParseOptions,
    location_key,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "apple_health"

_spec = importlib.util.spec_from_file_location(
    "apple_health_fixtures", FIXTURES / "make_fixtures.py"
)
make_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_fixtures)

PHONE = "Ana’s iPhone"
WATCH = "Ana’s Apple Watch"


def run(path: Path, options: ParseOptions | None = None) -> tuple[list[ParsedRecord], BatchFacts]:
    facts = BatchFacts()
    records = list(parse(Artifact(path, path.name), facts, options or ParseOptions()))
    return records, facts


def by_stream(records: list[ParsedRecord]) -> Counter:
    return Counter(r.stream for r in records)


def samples_of(records: list[ParsedRecord], typ: str) -> list[ParsedRecord]:
    return [r for r in records if r.stream == "samples" and r.payload["type"] == typ]


def export_xml_bytes() -> bytes:
    with zipfile.ZipFile(FIXTURES / "export.zip") as zf:
        return zf.read("apple_health_export/export.xml")


def zip_of(tmp: Path, members: dict[str, bytes], name: str = "export.zip") -> Path:
    path = tmp / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    return path


@pytest.fixture(scope="module")
def full() -> tuple[list[ParsedRecord], BatchFacts]:
    return run(FIXTURES / "export.zip")


# --------------------------------------------------------------------------- the fixtures match


def test_fixtures_are_reproducible_and_small():
    for name, data in make_fixtures.fixtures().items():
        assert (FIXTURES / name).read_bytes() == data, f"{name} is stale: run make_fixtures.py"
        assert len(data) < 60_000


# --------------------------------------------------------------------------- a healthy export.zip


def test_export_zip_counts_per_stream(full):
    records, facts = full
    assert by_stream(records) == {"samples": 39, "workouts": 2, "activity_summaries": 3}
    assert facts.source_format == "apple_health_zip"
    assert facts.parser_version == PARSER_VERSION
    assert facts.completeness_claim == "observed"
    assert facts.partial is False


def test_correlation_children_are_not_counted_twice(full):
    records, facts = full
    systolic = samples_of(records, "HKQuantityTypeIdentifierBloodPressureSystolic")
    diastolic = samples_of(records, "HKQuantityTypeIdentifierBloodPressureDiastolic")
    assert len(systolic) == 1 and len(diastolic) == 1
    assert systolic[0].payload["value"] == 121
    assert facts.skipped == 1  # the Correlation itself
    assert not any(r.payload.get("type", "").startswith("HKCorrelation") for r in records)


def test_iphone_and_watch_steps_at_the_same_time_are_both_kept(full):
    records, _ = full
    steps = samples_of(records, "HKQuantityTypeIdentifierStepCount")
    assert len(steps) == 16
    first_slot = [r for r in steps if r.payload["start"] == "2024-05-01T07:00:00+00:00"]
    assert {r.payload["source"] for r in first_slot} == {PHONE, WATCH}
    assert len({r.key for r in first_slot}) == 2
    assert len({r.key for r in records if r.stream == "samples"}) == 39


def test_sample_event_at_is_start_date_in_utc(full):
    records, _ = full
    phone_first = next(
        r
        for r in samples_of(records, "HKQuantityTypeIdentifierStepCount")
        if r.payload["source"] == PHONE
    )
    assert phone_first.event_at == datetime(2024, 5, 1, 7, 0, tzinfo=UTC)
    assert phone_first.event_at.utcoffset().total_seconds() == 0
    assert phone_first.payload == {
        "type": "HKQuantityTypeIdentifierStepCount",
        "source": PHONE,
        "unit": "count",
        "value": 400,
        "start": "2024-05-01T07:00:00+00:00",
        "end": "2024-05-01T07:14:59+00:00",
    }
    sleep = samples_of(records, "HKCategoryTypeIdentifierSleepAnalysis")
    assert [r.event_at for r in sleep] == [
        datetime(2024, 5, 1, 21, 10, tzinfo=UTC),
        datetime(2024, 5, 1, 23, 40, tzinfo=UTC),
    ]
    assert sleep[0].payload["value"] == "HKCategoryValueSleepAnalysisAsleepCore"
    assert sleep[0].payload["unit"] is None
    mindful = samples_of(records, "HKCategoryTypeIdentifierMindfulSession")
    assert mindful[0].payload["value"] is None


def test_bad_date_is_counted_as_failed_with_its_position(full):
    records, facts = full
    assert facts.failed == 1
    [warning] = [w for w in facts.warnings if w.kind == "unparsed_item"]
    assert warning.position == "element 33"
    assert "2024-05-32" in warning.detail
    assert not any("2024-05-32" in str(r.payload) for r in records)


def test_stray_control_character_is_tolerated(full):
    assert b"\x0b" in export_xml_bytes()
    records, facts = full
    [mass] = samples_of(records, "HKQuantityTypeIdentifierBodyMass")
    assert mass.payload["source"] == "ScaleApp"
    assert mass.payload["value"] == 61.4
    assert facts.failed == 1  # only the bad date


def test_keys_are_stable_across_reparses(full):
    records, _ = full
    again, _ = run(FIXTURES / "export.zip")
    assert [r.key for r in records] == [r.key for r in again]


def test_keys_start_with_the_utc_start_and_sort_by_it_within_a_type(full):
    records, _ = full
    items = [r for r in records if r.stream in ("samples", "workouts")]
    first_steps = samples_of(records, "HKQuantityTypeIdentifierStepCount")[0]
    running = next(r for r in items if r.payload["type"] == "HKWorkoutActivityTypeRunning")

    assert first_steps.key.startswith("20240501T070000-")  # 2024-05-01 09:00:00 +0200
    assert running.key.startswith("20240501T053000-")
    assert all(len(r.key) == 48 and r.key[15] == "-" for r in items)
    for stream, typ in {(r.stream, r.payload["type"]) for r in items}:
        of_type = [r for r in items if r.stream == stream and r.payload["type"] == typ]
        by_key = sorted(of_type, key=lambda r: r.key)
        assert [r.event_at for r in by_key] == sorted(r.event_at for r in of_type)


def test_same_instant_written_with_another_offset_has_the_same_key(tmp_path):
    """A re-export made in another time zone writes other offsets for the same samples."""
    xml = export_xml_bytes()
    shifted = xml.replace(b"2024-05-01 09:00:00 +0200", b"2024-05-01 03:00:00 -0400").replace(
        b"2024-05-01 09:14:59 +0200", b"2024-05-01 03:14:59 -0400"
    )
    assert shifted != xml
    a, _ = run(zip_of(tmp_path, {"apple_health_export/export.xml": xml}, "a.zip"))
    b, _ = run(zip_of(tmp_path, {"apple_health_export/export.xml": shifted}, "b.zip"))
    assert [r.key for r in a] == [r.key for r in b]


def test_workouts_old_and_new_style(full):
    records, _ = full
    workouts = {r.payload["type"]: r for r in records if r.stream == "workouts"}
    walking = workouts["HKWorkoutActivityTypeWalking"]
    assert walking.payload["distance"] == 3.2 and walking.payload["distance_unit"] == "km"
    assert walking.payload["energy"] == 180.5 and walking.payload["energy_unit"] == "Cal"
    assert walking.payload["duration"] == 41.25 and walking.payload["duration_unit"] == "min"
    assert walking.media is None and walking.payload["routes"] == []
    assert walking.event_at == datetime(2024, 5, 2, 16, 0, tzinfo=UTC)

    running = workouts["HKWorkoutActivityTypeRunning"]
    assert running.payload["distance"] == pytest.approx(5.1)  # 3.1 km + 2000 m
    assert running.payload["distance_unit"] == "km"
    assert running.payload["energy"] == 402.7
    assert running.payload["start"] == "2024-05-01T05:30:00+00:00"
    assert running.payload["end"] == "2024-05-01T06:02:30+00:00"
    assert running.payload["routes"] == ["workout-routes/route_2024-05-01_7.30am.gpx"]
    assert running.key != walking.key


def test_route_attached_when_the_gpx_is_in_the_zip(full):
    records, facts = full
    running = next(r for r in records if r.payload.get("type") == "HKWorkoutActivityTypeRunning")
    assert running.media == "attached"
    assert (facts.media_declared, facts.media_attached, facts.media_missing) == (1, 1, 0)


def test_route_missing_when_the_gpx_is_absent():
    records, facts = run(FIXTURES / "export_missing_route.zip")
    running = next(r for r in records if r.payload.get("type") == "HKWorkoutActivityTypeRunning")
    assert running.media == "missing"
    assert (facts.media_declared, facts.media_attached, facts.media_missing) == (1, 0, 1)


def test_bare_export_xml_reads_the_same_items_with_routes_missing(tmp_path, full):
    path = tmp_path / "export.xml"
    path.write_bytes(export_xml_bytes())
    records, facts = run(path)
    assert facts.source_format == "apple_health_xml"
    assert [r.key for r in records] == [r.key for r in full[0]]
    assert (facts.media_declared, facts.media_attached, facts.media_missing) == (1, 0, 1)


def test_activity_summaries_are_days_in_the_owner_time_zone():
    records, _ = run(FIXTURES / "export.zip", ParseOptions(time_zone=ZoneInfo("Europe/Berlin")))
    summaries = [r for r in records if r.stream == "activity_summaries"]
    assert [r.key for r in summaries] == [
        "activity:2024-05-01",
        "activity:2024-05-02",
        "activity:2024-05-03",
    ]
    assert summaries[0].event_at == datetime(2024, 4, 30, 22, 0, tzinfo=UTC)
    assert summaries[0].payload["date"] == "2024-05-01"
    assert summaries[0].payload["activeEnergyBurned"] == 496.3
    assert summaries[0].payload["appleStandHours"] == 11
    utc_records, _ = run(FIXTURES / "export.zip")
    utc_summary = next(r for r in utc_records if r.stream == "activity_summaries")
    assert utc_summary.event_at == datetime(2024, 5, 1, 0, 0, tzinfo=UTC)


def test_localized_main_file_is_found_by_content(full):
    records, facts = run(FIXTURES / "localized_name.zip")
    assert facts.source_format == "apple_health_zip"
    assert [r.key for r in records] == [r.key for r in full[0]]
    assert facts.media_attached == 1


def test_unreadable_elements_fail_one_by_one(tmp_path):
    xml = (
        make_fixtures.HEADER
        + make_fixtures.HEAD_ELEMENTS
        + ' <Record sourceName="x" startDate="2024-05-01 09:00:00 +0200" endDate="2024-05-01 09:00:00 +0200"/>\n'
        + ' <Workout workoutActivityType="HKWorkoutActivityTypeYoga" sourceName="x" startDate="soon"/>\n'
        + ' <ActivitySummary dateComponents="2024-02-30" activeEnergyBurned="1"/>\n'
        + ' <Record type="HKQuantityTypeIdentifierStepCount" sourceName="x" value="5"'
        + ' startDate="2024-05-01T09:00:00+02:00" endDate="2024-05-01 09:05:00 +0530"/>\n'
        + "</HealthData>\n"
    )
    path = tmp_path / "export.xml"
    path.write_text(xml, encoding="utf-8")
    records, facts = run(path)
    assert facts.failed == 3
    assert [w.position for w in facts.warnings] == ["element 3", "element 4", "element 5"]
    assert "type" in facts.warnings[0].detail
    [ok] = records
    assert ok.event_at == datetime(2024, 5, 1, 7, 0, tzinfo=UTC)  # tolerant ISO fallback
    assert ok.payload["end"] == "2024-05-01T03:35:00+00:00"  # a half-hour offset


def _export_with_records(records: list[tuple[str, str, str]]) -> str:
    """export.xml text with Records of (startDate, endDate, value)."""
    lines = [
        f' <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="W" unit="count/min" '
        f'startDate="{start}" endDate="{end}" value="{value}"/>\n'
        for start, end, value in records
    ]
    return make_fixtures.HEADER + make_fixtures.HEAD_ELEMENTS + "".join(lines) + "</HealthData>\n"


def test_values_are_json_numbers_only_when_they_are_finite_numbers(tmp_path):
    at = "2024-05-01 09:00:00 +0200"
    raw = ["72.5", "0042", "²", "nan", "-inf", "1e400", "HKCategoryValueNotApplicable", "-3"]
    path = tmp_path / "export.xml"
    path.write_text(_export_with_records([(at, at, v) for v in raw]), encoding="utf-8")
    records, facts = run(path)
    assert facts.failed == 0
    assert [r.payload["value"] for r in records] == [
        72.5,
        42,
        "²",
        "nan",
        "-inf",
        "1e400",
        "HKCategoryValueNotApplicable",
        -3.0,
    ]


OFFSETS = st.sampled_from(["+0000", "+0100", "+0200", "-0400", "+0530", "-0930", "+1345", "-1200"])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2035, 12, 31)),
            OFFSETS,
            st.integers(min_value=0, max_value=7200),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_fast_date_path_agrees_with_strptime(samples):
    """The hour cache must give exactly what a plain strptime read gives, in any order
    (times and the key's time prefix)."""
    rows = []
    expected = []
    for local, offset, length in samples:
        local = local.replace(microsecond=0)
        start = f"{local:%Y-%m-%d %H:%M:%S} {offset}"
        end_local = local + timedelta(seconds=length)
        end = f"{end_local:%Y-%m-%d %H:%M:%S} {offset}"
        rows.append((start, end, "1"))
        read = lambda text: datetime.strptime(text, "%Y-%m-%d %H:%M:%S %z").astimezone(UTC)  # noqa: E731
        expected.append(
            (
                read(start),
                read(start).isoformat(),
                read(end).isoformat(),
                f"{read(start):%Y%m%dT%H%M%S}-",
            )
        )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.xml"
        path.write_text(_export_with_records(rows * 2), encoding="utf-8")  # twice: cache hits
        records, facts = run(path)
    assert facts.failed == 0
    got = [(r.event_at, r.payload["start"], r.payload["end"], r.key[:16]) for r in records]
    assert got == expected * 2


# --------------------------------------------------------------------------- rejections


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("empty.zip", "empty"),
        ("not_health.zip", "wrong_source"),
        ("encrypted.zip", "encrypted"),
        ("entity_bomb.xml", "unsupported"),
        ("external_entity.xml", "unsupported"),
    ],
)
def test_broken_artifacts_are_rejected_before_any_record(name, reason):
    facts = BatchFacts()
    iterator = parse(Artifact(FIXTURES / name, name), facts, ParseOptions())
    with pytest.raises(ArtifactRejected) as caught:
        next(iterator)
    assert caught.value.reason == reason
    if name.endswith(".xml"):
        assert "entities" in caught.value.detail


def test_entity_documents_inside_a_zip_are_rejected(tmp_path):
    for source in ("entity_bomb.xml", "external_entity.xml"):
        path = zip_of(
            tmp_path,
            {"apple_health_export/export.xml": (FIXTURES / source).read_bytes()},
            source + ".zip",
        )
        with pytest.raises(ArtifactRejected) as caught:
            run(path)
        assert caught.value.reason == "unsupported"
        assert "entities" in caught.value.detail


def test_etc_passwd_never_reaches_a_payload(tmp_path):
    passwd = Path("/etc/passwd").read_text(errors="ignore") if Path("/etc/passwd").exists() else ""
    document = (FIXTURES / "external_entity.xml").read_bytes()
    # Also as an external parameter entity, the classic XXE form.
    parameter = document.replace(
        b'<!ENTITY xxe SYSTEM "file:///etc/passwd">',
        b'<!ENTITY % xxe SYSTEM "file:///etc/passwd"> %xxe;',
    )
    assert parameter != document
    for data in (document, parameter):
        path = tmp_path / "x.xml"
        path.write_bytes(data)
        records: list[ParsedRecord] = []
        facts = BatchFacts()
        with pytest.raises(ArtifactRejected):
            for record in parse(Artifact(path, "x.xml"), facts, ParseOptions()):
                records.append(record)
        assert records == []
        text = repr(facts.warnings)
        assert "root:" not in text and (not passwd or passwd[:20] not in text)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"   \n\t ", "empty"),
        (b"hello, this is a text file\n", "wrong_source"),
        (b'<?xml version="1.0"?><gpx version="1.1"><trk/></gpx>', "wrong_source"),
        (b'<?xml version="1.0"?>\n<!-- nothing else -->\n', "malformed"),
        (b'<HealthData locale="en_US"><ExportDate value="x"/><Reco', "malformed"),
    ],
)
def test_bare_files_that_are_not_exports_are_rejected(tmp_path, content, reason):
    path = tmp_path / "export.xml"
    path.write_bytes(content)
    with pytest.raises(ArtifactRejected) as caught:
        run(path)
    assert caught.value.reason == reason


def test_zip_with_only_the_cda_document_is_the_wrong_source(tmp_path):
    path = zip_of(tmp_path, {"apple_health_export/export_cda.xml": make_fixtures.cda_xml()})
    with pytest.raises(ArtifactRejected) as caught:
        run(path)
    assert caught.value.reason == "wrong_source"


@pytest.mark.parametrize("method", [8, 12, 14, 99])  # deflate, bzip2, lzma garbage; unknown
def test_zip_whose_xml_cannot_be_unpacked_is_malformed(tmp_path, method):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("apple_health_export/export.xml", b"garbage " * 64)
    data = bytearray(buf.getvalue())
    for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        struct.pack_into("<H", data, data.find(signature) + offset, method)
    path = tmp_path / "export.zip"
    path.write_bytes(bytes(data))
    with pytest.raises(ArtifactRejected) as caught:
        run(path)
    assert caught.value.reason == "malformed"


# --------------------------------------------------------------------------- partial exports


def test_truncated_xml_inside_a_zip_is_cut_off():
    records, facts = run(FIXTURES / "truncated_xml.zip")
    assert facts.partial is True
    assert by_stream(records) == {"samples": 19}
    [warning] = [w for w in facts.warnings if w.kind == "cut_off"]
    assert warning.position == "element 22"
    assert warning.detail.startswith("export.xml ends in the middle; ")


def _cut(xml: bytes, where: str) -> bytes:
    """export.xml cut inside the 25th top-level Record, or just before it."""
    start = 0
    for _ in range(25):
        start = xml.index(b"<Record ", start + 1)
    return xml[: start + 40] if where == "inside_a_record" else xml[:start]


# (where the export.xml stops, as a bare file or in a zip)
CUTS = [
    ("inside_a_record", "xml"),
    ("inside_a_record", "zip"),
    ("between_records", "xml"),
    ("between_records", "zip"),
]


@pytest.mark.parametrize(("where", "container"), CUTS)
def test_cut_off_export_keeps_the_records_read_and_says_it_ends_in_the_middle(tmp_path, where, container):
    xml = _cut(export_xml_bytes(), where)
    if container == "zip":
        path = zip_of(tmp_path, {"apple_health_export/export.xml": xml})
    else:
        path = tmp_path / "export.xml"
        path.write_bytes(xml)

    records, facts = run(path)

    complete, _ = run(FIXTURES / "export.zip")
    kept = [r.key for r in records]
    assert kept and kept == [r.key for r in complete[: len(kept)]]  # what was read, in order
    assert facts.partial is True
    [warning] = [w for w in facts.warnings if w.kind == "cut_off"]
    assert warning.detail.startswith("export.xml ends in the middle; ")
    assert not any(w.kind == "truncated" for w in facts.warnings)


# export.zip itself cut short (no central directory): (fraction kept, records, the cut's words)
CUT_ZIPS = [
    ("inside_export_xml", 0.4, 16, "export.xml ends in the middle; "),
    ("half_way_the_fixture_truncated_zip", 0.5, 34, "export.xml ends in the middle; "),
    ("after_export_xml", 0.7, 44, "export.zip ends in the middle; export.xml was read whole"),
]


@pytest.mark.parametrize(("scenario", "kept", "count", "words"), CUT_ZIPS, ids=[row[0] for row in CUT_ZIPS])
def test_export_zip_cut_short_keeps_what_it_holds(tmp_path, scenario, kept, count, words):
    full = (FIXTURES / "export.zip").read_bytes()
    path = tmp_path / "export.zip"
    path.write_bytes(full[: int(len(full) * kept)])

    records, facts = run(path)

    assert len(records) == count and facts.partial is True
    [warning] = [w for w in facts.warnings if w.kind == "cut_off"]
    assert warning.detail.startswith(words)
    assert facts.source_format == "apple_health_zip"


def test_the_fixture_truncated_zip_is_read_up_to_its_cut():
    records, facts = run(FIXTURES / "truncated.zip")  # export.zip's first half
    assert len(records) == 34 and any(w.kind == "cut_off" for w in facts.warnings)


def test_export_zip_cut_before_its_first_record_is_still_refused(tmp_path):
    full = (FIXTURES / "export.zip").read_bytes()
    path = tmp_path / "export.zip"
    path.write_bytes(full[:300])
    with pytest.raises(ArtifactRejected) as caught:
        next(parse(Artifact(path, path.name), BatchFacts(), ParseOptions()))
    assert caught.value.reason == "malformed"


def test_a_cut_off_export_is_a_blocking_gap_of_the_connector():
    assert "cut_off" in MANIFEST.blocking_gaps


def test_bare_xml_cut_mid_way_is_partial(tmp_path):
    xml = export_xml_bytes()
    path = tmp_path / "export.xml"
    path.write_bytes(xml[: len(xml) * 3 // 4])
    records, facts = run(path)
    assert facts.partial is True
    assert 20 < len(records) < 44
    assert any(w.kind == "cut_off" for w in facts.warnings)


def test_corrupt_zip_member_after_records_is_partial(tmp_path):
    """A CRC error at the end of export.xml: keep what was read, flag it as partial.

    zipfile raises on the read that reaches the end of the member, so the items
    of that last chunk are not read.
    """
    big = b"".join(t.encode() for t in make_fixtures.iter_large_export(3000))
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("apple_health_export/export.xml", big)
    data = bytearray(path.read_bytes())
    pos = data.rfind(b"</HealthData>")
    data[pos + 2] ^= 0x20  # same length, wrong CRC
    path.write_bytes(bytes(data))
    records, facts = run(path)
    assert facts.partial is True
    assert 0 < len(records) <= 3000
    assert any(w.kind == "damaged" for w in facts.warnings)


# --------------------------------------------------------------------------- older exports: inline routes

_old_spec = importlib.util.spec_from_file_location("apple_health_old", FIXTURES / "make_old_exports.py")
make_old = importlib.util.module_from_spec(_old_spec)
_old_spec.loader.exec_module(make_old)


def test_old_export_fixtures_are_reproducible():
    for name, data in make_old.fixtures().items():
        assert (FIXTURES / name).read_bytes() == data, f"{name} is stale: run make_old_exports.py"


@pytest.fixture(scope="module")
def old() -> tuple[list[ParsedRecord], BatchFacts]:
    return run(FIXTURES / "old_inline_routes.zip")


def _route(records):
    return [r for r in records if r.stream == "workout_routes"]


# (scenario, check)
INLINE_ROUTES = [
    ("every_stream_is_read", lambda rs, f: by_stream(rs) == {"samples": 2, "workouts": 2, "workout_routes": 6}),
    ("the_garbled_point_is_failed_with_its_position",
     lambda rs, f: f.failed == 1 and any(w.position == "element 4" for w in f.warnings)),  # the workout
    ("a_route_point_is_a_place_in_utc",
     lambda rs, f: _route(rs)[0].event_at == datetime(2017, 5, 2, 5, 30, tzinfo=UTC)),
    ("a_route_point_keeps_its_position_and_measures",
     lambda rs, f: _route(rs)[0].payload == {
         "lat": 52.52, "lon": 13.405, "kind": "route", "workout": "HKWorkoutActivityTypeRunning",
         "altitude": 38.5, "accuracy": 4.2, "speed_ms": 2.7, "course": 90.5}),
    ("a_route_point_is_keyed_like_every_location",
     lambda rs, f: all(r.key == location_key(r.event_at, r.payload["lat"], r.payload["lon"]) for r in _route(rs))),
    ("the_workout_counts_its_inline_route_points",
     lambda rs, f: [r.payload["route_points"] for r in rs if r.stream == "workouts"] == [4, 2]),
    ("an_inline_route_is_no_missing_media", lambda rs, f: f.media_declared == 0 and f.media_missing == 0),
    ("the_route_stream_is_declared", lambda rs, f: "workout_routes" in MANIFEST.streams),
]


@pytest.mark.parametrize(("scenario", "check"), INLINE_ROUTES, ids=[row[0] for row in INLINE_ROUTES])
def test_older_export_inline_route_points_are_route_records(old, scenario, check):
    records, facts = old
    assert check(records, facts), scenario


def test_inline_route_reader_memory_stays_flat_for_ten_times_the_points(tmp_path, monkeypatch):
    """tracemalloc peak, 3k vs 30k inline route points in 64 KB chunks: 10x the file, not 10x the memory."""
    monkeypatch.setattr(safe_xml, "CHUNK_SIZE", 1 << 16)
    small = _traced_peak(make_old.write_inline_route_export(tmp_path / "small.xml", 3_000))
    large = _traced_peak(make_old.write_inline_route_export(tmp_path / "large.xml", 30_000))
    assert (small[0], large[0]) == (3_000 + 1, 30_000 + 1)  # the points and their workout
    assert large[1] - small[1] < 512 * 1024, (small, large)


# --------------------------------------------------------------------------- only ArtifactRejected


def _consume(data: bytes, name: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            for record in parse(Artifact(path, name), BatchFacts(), ParseOptions()):
                assert isinstance(record, ParsedRecord)
                assert record.event_at.utcoffset().total_seconds() == 0
        except ArtifactRejected:
            pass


def _zipped(data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("apple_health_export/export.xml", data)
    return buf.getvalue()


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EXPORT_XML = export_xml_bytes()


@FUZZ
@given(st.binary(max_size=4096))
def test_arbitrary_bytes_only_ever_raise_artifact_rejected(data):
    _consume(data, "export.xml")
    _consume(_zipped(data), "export.zip")


@FUZZ
@given(
    cut=st.integers(min_value=0, max_value=len(EXPORT_XML)),
    flips=st.lists(
        st.tuples(st.integers(min_value=0, max_value=len(EXPORT_XML) - 1), st.integers(0, 255)),
        max_size=8,
    ),
)
def test_mangled_exports_only_ever_raise_artifact_rejected(cut, flips):
    data = bytearray(EXPORT_XML[:cut])
    for pos, byte in flips:
        if pos < len(data):
            data[pos] = byte
    _consume(bytes(data), "export.xml")
    _consume(_zipped(bytes(data)), "export.zip")


@FUZZ
@given(st.binary(min_size=1, max_size=2048), st.integers(min_value=0, max_value=4096))
def test_mangled_zip_containers_only_ever_raise_artifact_rejected(noise, at):
    data = bytearray((FIXTURES / "export.zip").read_bytes())
    at = min(at, len(data))
    data[at : at + len(noise)] = noise
    _consume(bytes(data), "export.zip")


# --------------------------------------------------------------------------- flat memory


def _write_compact_export(path: Path, n_records: int) -> Path:
    """A bare export.xml of ``n_records`` short heart-rate Records (fast to write and read)."""
    with open(path, "wb") as out:
        out.write(make_fixtures.HEADER.encode() + make_fixtures.HEAD_ELEMENTS.encode())
        lines = []
        for i in range(n_records):
            minute, second = divmod(i % 3600, 60)
            hour, day = (i // 3600) % 24, 1 + (i // 86400) % 28
            at = b"2024-05-%02d %02d:%02d:%02d +0200" % (day, hour, minute, second)
            lines.append(
                b'<Record type="HKQuantityTypeIdentifierHeartRate" sourceName="W" unit="count/min" '
                b'startDate="%s" endDate="%s" value="%d"/>\n' % (at, at, 60 + i % 50)
            )
            if len(lines) == 5000:
                out.write(b"".join(lines))
                lines.clear()
        out.write(b"".join(lines) + b"</HealthData>\n")
    return path


def _traced_peak(path: Path) -> tuple[int, int]:
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        count = sum(1 for _ in parse(Artifact(path, path.name), BatchFacts(), ParseOptions()))
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    return count, peak


def _max_live_blocks(path: Path) -> tuple[int, int]:
    """Records read, and the most small-object blocks alive at once beyond the start."""
    import gc
    import sys

    gc.collect()  # garbage left by earlier tests would otherwise be freed mid-count
    base = sys.getallocatedblocks()
    most = count = 0
    for _ in parse(Artifact(path, path.name), BatchFacts(), ParseOptions()):
        count += 1
        if count % 500 == 0:
            most = max(most, sys.getallocatedblocks() - base)
    return count, most


def test_memory_peak_does_not_grow_with_the_number_of_records(tmp_path, monkeypatch):
    """tracemalloc peak, 2k vs 20k records in 64 KB chunks (tracemalloc is too slow for 200k here;
    the 20k vs 200k tracemalloc measurement is in the connector report)."""
    monkeypatch.setattr(safe_xml, "CHUNK_SIZE", 1 << 16)
    small = _traced_peak(_write_compact_export(tmp_path / "small.xml", 2_000))
    large = _traced_peak(_write_compact_export(tmp_path / "large.xml", 20_000))
    assert (small[0], large[0]) == (2_000, 20_000)
    assert large[1] - small[1] < 512 * 1024, (small, large)


def test_live_objects_stay_flat_from_20k_to_200k_records(tmp_path):
    small = _max_live_blocks(_write_compact_export(tmp_path / "small.xml", 20_000))
    large = _max_live_blocks(_write_compact_export(tmp_path / "large.xml", 200_000))
    assert (small[0], large[0]) == (20_000, 200_000)
    # One 1 MB chunk holds ~7,500 of these records (~10 blocks each). Accumulating the
    # 180,000 extra records would add ~1.8M blocks; the margin only absorbs GC timing.
    assert large[1] - small[1] < 100_000, (small, large)
    assert large[1] < 250_000, large


def test_a_cut_zip_bomb_stops_instead_of_expanding(tmp_path):
    """No central directory vouches for the sizes: the guard runs as the bytes inflate."""
    body = b"<HealthData>" + b" " * (300 * 1024**2)  # 300 MB of blank space after the root
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = packer.compress(body) + packer.flush()
    name = b"apple_health_export/export.xml"
    header = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0, 0, len(data), len(body), len(name), 0)
    path = tmp_path / "export.zip"
    path.write_bytes(header + name + data[: len(data) // 2])  # cut: no central directory

    member = safe_zip.open_cut_member(path, lambda n: n.endswith("export.xml"))
    given = 0
    with member, pytest.raises(zipfile.BadZipFile):
        while chunk := member.read(1 << 20):
            given += len(chunk)
    assert given < 50 * 1024**2  # stopped at 200 times what was read, not at 150 MB
    with pytest.raises(ArtifactRejected) as caught:
        next(parse(Artifact(path, path.name), BatchFacts(), ParseOptions()))
    assert caught.value.reason == "malformed"
