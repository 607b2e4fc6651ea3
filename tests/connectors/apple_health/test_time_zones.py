"""Where a sample or a workout was recorded: its ``HKTimeZone`` metadata is kept in its payload.

An iPhone writes each time with the offset it had when the export was made, so a sample from a
trip abroad carries the home offset; the zone it was recorded in is only in its metadata
(FORMATS.md). The reader keeps it as ``time_zone``, even when the sample's metadata reaches the
reader in the next piece of the file. The time itself, the key and the counts do not change.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from connections.connectors.apple_health import parse
from connections.connectors.base import Artifact, BatchFacts, ParsedRecord, ParseOptions

HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<HealthData locale="de_DE">\n'
SLEEP = (
    '<Record type="HKCategoryTypeIdentifierSleepAnalysis" sourceName="Ana’s Apple Watch" '
    'creationDate="2024-05-02 07:00:00 +0200" startDate="2024-05-02 {h:02d}:{m:02d}:00 +0200" '
    'endDate="2024-05-02 {h:02d}:{m:02d}:30 +0200" value="HKCategoryValueSleepAnalysisAsleepCore">'
    '<MetadataEntry key="HKMetadataKeyHeartRateSensorLocation" value="wrist"/>'
    '<MetadataEntry key="HKTimeZone" value="{zone}"/></Record>\n'
)
STEPS = (
    '<Record type="HKQuantityTypeIdentifierStepCount" sourceName="Ana’s iPhone" unit="count" '
    'startDate="2024-05-02 09:00:00 +0200" endDate="2024-05-02 09:10:00 +0200" value="120"/>\n'
)
WORKOUT = (
    '<Workout workoutActivityType="HKWorkoutActivityTypeRunning" duration="30" durationUnit="min" '
    'sourceName="Ana’s Apple Watch" startDate="2024-05-02 18:00:00 +0200" endDate="2024-05-02 18:30:00 +0200">'
    '<MetadataEntry key="HKIndoorWorkout" value="0"/><MetadataEntry key="HKTimeZone" value="Asia/Tokyo"/>'
    '</Workout>\n'
)


def _export(tmp_path: Path, samples: int, zone: str) -> Path:
    path = tmp_path / "export.xml"
    with path.open("w", encoding="utf-8") as out:
        out.write(HEAD)
        for i in range(samples):
            out.write(SLEEP.format(h=(i // 60) % 24, m=i % 60, zone=zone))
        out.write(STEPS + WORKOUT + "</HealthData>\n")
    return path


@pytest.mark.parametrize(("samples", "zone"), [(3, "Europe/Berlin"), (6_000, "America/Argentina/Buenos_Aires")])
def test_each_sample_and_workout_keeps_the_zone_it_was_recorded_in(tmp_path, samples, zone):
    path = _export(tmp_path, samples, zone)
    assert samples < 10 or path.stat().st_size > 2 << 20  # the big file is read in several pieces

    facts = BatchFacts()
    # As the pipeline does, each record is taken as it comes (a copy: what staging would write then).
    records = [ParsedRecord(r.stream, r.key, r.event_at, dict(r.payload), r.media)
               for r in parse(Artifact(path, path.name), facts, ParseOptions())]

    sleep = [r for r in records if r.payload.get("type") == "HKCategoryTypeIdentifierSleepAnalysis"]
    assert len(sleep) == samples and facts.failed == 0
    assert {r.payload.get("time_zone") for r in sleep} == {zone}
    steps = next(r for r in records if r.payload.get("type") == "HKQuantityTypeIdentifierStepCount")
    assert "time_zone" not in steps.payload  # no metadata, no zone
    workout = next(r for r in records if r.stream == "workouts")
    assert workout.payload["time_zone"] == "Asia/Tokyo"
    assert [r.stream for r in records[-2:]] == ["samples", "workouts"]  # file order kept
