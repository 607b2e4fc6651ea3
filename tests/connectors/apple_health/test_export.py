"""Apple Health exports, the parser alone (no database): the fixtures, a healthy export.zip,
its samples, workouts, routes and summaries, and how values and dates are read."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connections.connectors.apple_health import PARSER_VERSION, parse
from connections.connectors.base import (
    Artifact,
    BatchFacts,
    ParsedRecord,
    ParseOptions,
)
from tests.connectors.apple_health.helpers import (
    FIXTURES,
    PHONE,
    WATCH,
    by_stream,
    export_xml_bytes,
    make_fixtures,
    run,
    samples_of,
    zip_of,
)


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
    assert by_stream(records) == {"samples": 39, "workouts": 2, "activity_summaries": 3, "workout_routes": 20}
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
    # The same items, but no route points: the workout names a route file the bare XML does not hold.
    assert sorted(r.key for r in records) == sorted(r.key for r in full[0] if r.stream != "workout_routes")
    assert (facts.media_declared, facts.media_attached, facts.media_missing) == (1, 0, 1)


def test_activity_summaries_are_days_in_the_owner_time_zone():
    records, _ = run(FIXTURES / "export.zip", ParseOptions(time_zone=ZoneInfo("Europe/Berlin")))
    summaries = [r for r in records if r.stream == "activity_summaries"]
    assert [r.key for r in summaries] == [
        "activity:2024-05-01",
        "activity:2024-05-02",
        "activity:2024-05-03",
    ]
    assert summaries[0].event_at == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)  # noon in Berlin
    assert summaries[0].payload["date"] == "2024-05-01"
    assert summaries[0].payload["activeEnergyBurned"] == 496.3
    assert summaries[0].payload["appleStandHours"] == 11
    utc_records, _ = run(FIXTURES / "export.zip")
    utc_summary = next(r for r in utc_records if r.stream == "activity_summaries")
    assert utc_summary.event_at == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


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


# --------------------------------------------------------------------------- stopping early


def _open_files() -> int:
    return len(list(Path("/proc/self/fd").iterdir()))


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts open files through /proc")
@pytest.mark.parametrize("name", ["export.zip", "export.xml"])
def test_a_caller_that_stops_after_the_first_record_leaves_no_file_open(tmp_path, name):
    """Records come in batches, one per chunk, handed out by one generator: closing it closes
    the export at once (zip and bare export.xml)."""
    path = FIXTURES / "export.zip"
    if name == "export.xml":
        path = tmp_path / name
        path.write_bytes(export_xml_bytes())
    before = _open_files()
    records = parse(Artifact(path, name), BatchFacts(), ParseOptions())
    assert next(records).stream == "samples"
    assert _open_files() > before  # the export is open while records are read
    records.close()
    assert _open_files() == before
