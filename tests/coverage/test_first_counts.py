"""An owner's first import of a file is measured from what staging counted on the way in (issue 15):
the preview does not read every staged row again, and it says exactly what reading them says.

Whatever the rows (several streams, repeats near and far, media states, instants in any quarter
hour, owners in whole-hour and quarter-hour zones), the counted measure is either the very measure
the SQL gives, or none at all (then the preview reads staging as before). Previews of real files
are the same field for field either way.
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connections.connectors.base import ParsedRecord
from connections.services import add_connection
from coverage.models import AcquisitionBatch
from coverage.pipeline import first_counts, preview_artifact, slots, staging
from coverage.pipeline.first_counts import RowCounts
from coverage.pipeline.landing import measure_staged
from coverage.pipeline.streams import stream_coverage
from tests.coverage.test_chunked_commit import push
from tests.coverage.test_import_memory import export_file
from tests.factories import BatchFactory, ConnectionFactory, OwnerFactory, OwnerProfileFactory

pytestmark = pytest.mark.django_db
START = datetime(2024, 3, 30, 21, 0, tzinfo=UTC)  # the rows cross UTC midnight and a month's end
ZONES = ("UTC", "Asia/Kathmandu", "Asia/Kolkata", "America/St_Johns", "Pacific/Auckland")
MEDIA = (None, "attached", "missing", "omitted")


@st.composite
def parsed_rows(draw) -> list[ParsedRecord]:
    """Rows as a parser yields them: a few streams, keys that may repeat, any second of three days."""
    count = draw(st.integers(min_value=1, max_value=60))
    rows = []
    for _ in range(count):
        seconds = draw(st.integers(min_value=0, max_value=3 * 86_400))
        micro = draw(st.sampled_from((0, 0, 250_000)))
        rows.append(ParsedRecord(
            stream=draw(st.sampled_from(("samples", "samples", "workouts", "locations"))),
            key=f"k{draw(st.integers(min_value=0, max_value=80))}",
            event_at=START + timedelta(seconds=seconds, microseconds=micro),
            payload={"n": seconds},
            media=draw(st.sampled_from(MEDIA)),
        ))
    return rows


def staged_and_counted(connection, rows: list[ParsedRecord], by_slot: bool) -> tuple[AcquisitionBatch, RowCounts]:
    batch = BatchFactory(connection=connection, status=AcquisitionBatch.Status.PREVIEW)
    counted = first_counts.counts_for(connection.pk, by_slot=by_slot, text_times=staging.text_times())
    staging.stage(batch.pk, rows, None, None, counted)
    return batch, counted


@pytest.fixture
def tiny_chunks(monkeypatch):
    """Chunks of seven rows, and three keys carried to the next: repeats near and far."""
    monkeypatch.setattr(staging, "STAGE_CHUNK", 7)
    monkeypatch.setattr(first_counts, "KEYS_CARRIED", 3)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=parsed_rows(), zone=st.sampled_from(ZONES), by_slot=st.booleans())
def test_counted_measure_is_the_sql_measure_or_none(owner, tiny_chunks, rows, zone, by_slot):
    OwnerProfileFactory._meta.model.objects.update_or_create(owner=owner, defaults={"time_zone": zone})
    connection = ConnectionFactory(owner=owner, connector="apple_health")
    batch, counted = staged_and_counted(connection, rows, by_slot)

    measure = counted.measure(connection.pk)
    if measure is None:  # a repeat from further back than counting sees: staging kept fewer
        assert counted.groups is None
        return
    assert measure == measure_staged(batch.pk, connection.pk, by_slot=by_slot)
    assert counted.stream_coverage() == stream_coverage(batch.pk)


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("by_slot", [True, False])
@pytest.mark.parametrize("repeat", ["none", "next row", "three rows back, across a chunk"])
def test_rows_without_far_repeats_are_always_counted(owner, tiny_chunks, zone, by_slot, repeat):
    OwnerProfileFactory(owner=owner, time_zone=zone)
    connection = ConnectionFactory(owner=owner, connector="apple_health")
    rows = [ParsedRecord("samples" if i % 3 else "workouts", f"k{i}", START + timedelta(minutes=7 * i), {"i": i},
                         MEDIA[i % 4]) for i in range(40)]
    if repeat == "next row":
        rows.insert(11, ParsedRecord("samples", "k10", START, {"again": True}))
    elif repeat == "three rows back, across a chunk":  # row 7 opens the second chunk; k4 ended the first
        rows.insert(7, ParsedRecord("samples", "k4", START, {"again": True}))
    batch, counted = staged_and_counted(connection, rows, by_slot)

    measure = counted.measure(connection.pk)
    assert measure is not None
    assert measure.staged == 40 and measure.accepted == 40
    assert measure == measure_staged(batch.pk, connection.pk, by_slot=by_slot)
    assert counted.stream_coverage() == stream_coverage(batch.pk)
    assert measure.slot_minutes == (slots.QUARTER if zone in ("Asia/Kathmandu", "Asia/Kolkata", "America/St_Johns")
                                    else slots.HOUR)


def test_a_repeat_from_further_back_leaves_the_measure_to_the_sql(owner, tiny_chunks):
    connection = ConnectionFactory(owner=owner, connector="apple_health")
    rows = [ParsedRecord("samples", f"k{i}", START + timedelta(minutes=i), {}) for i in range(20)]
    rows.append(ParsedRecord("samples", "k1", START, {}))  # two chunks back
    _batch, counted = staged_and_counted(connection, rows, by_slot=True)
    assert counted.measure(connection.pk) is None


def test_a_source_that_gains_its_first_records_while_a_file_is_staged_is_measured_by_the_sql(owner):
    connection = ConnectionFactory(owner=owner, connector="owntracks")
    batch = BatchFactory(connection=connection, status=AcquisitionBatch.Status.PREVIEW)
    counted = first_counts.counts_for(connection.pk, by_slot=True, text_times=staging.text_times())
    assert counted.holders is None  # it held nothing as staging began
    push(connection, [0])
    staging.stage(batch.pk, [ParsedRecord("locations", "new", START, {})], None, None, counted)
    assert counted.groups  # it counted, but cannot say what is new
    assert counted.measure(connection.pk) is None


def test_a_media_state_counting_does_not_know_leaves_the_measure_to_the_sql(owner):
    connection = ConnectionFactory(owner=owner, connector="apple_health")
    rows = [ParsedRecord("samples", "a", START, {}), ParsedRecord("samples", "b", START, {}, media="lost")]
    batch, counted = staged_and_counted(connection, rows, by_slot=False)
    assert counted.measure(connection.pk) is None
    assert measure_staged(batch.pk, connection.pk, by_slot=False).staged_media == {"lost": 1}


def test_counting_gives_up_rather_than_hold_too_many_groups(owner, monkeypatch):
    monkeypatch.setattr(first_counts, "MOST_GROUPS", 50)
    connection = ConnectionFactory(owner=owner, connector="apple_health")
    rows = [ParsedRecord("samples", f"k{i}", START + timedelta(hours=i), {}) for i in range(80)]  # an hour each
    _batch, counted = staged_and_counted(connection, rows, by_slot=True)
    assert counted.groups is None and counted.measure(connection.pk) is None


# --- whole previews, counted and read again ----------------------------------------------------

def chat_file(path: Path, count: int = 300) -> Path:
    """A chat of ``count`` messages; a longer one begins with the same messages."""
    lines = []
    at = datetime(2023, 12, 30, 22, 50)
    for i in range(count):
        at += timedelta(minutes=(i * 37) % 200)
        text = "<Media omitted>" if i % 17 == 0 else f"message {i}"
        lines.append(f"{at:%d/%m/%Y, %H:%M} - {'Ana' if i % 2 else 'Ben'}: {text}")
        if i % 50 == 0:
            lines.append(lines[-1])  # the same words twice in a minute: two messages, two keys
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def health_file(path: Path, count: int = 200) -> Path:
    """A Health export of ``count`` step samples and a walk every 40th; a longer one begins with the same."""
    rows = []
    for i in range(count):
        start = datetime(2024, 1, 1, 23, 30) + timedelta(minutes=41 * i)
        rows.append(f' <Record type="HKQuantityTypeIdentifierStepCount" sourceName="Phone" unit="count" '
                    f'startDate="{start:%Y-%m-%d %H:%M:%S} +0100" endDate="{start:%Y-%m-%d %H:%M:%S} +0100" '
                    f'value="{i}"/>\n')
        if i % 40 == 0:
            rows.append(f' <Workout workoutActivityType="HKWorkoutActivityTypeWalking" duration="20" '
                        f'durationUnit="min" sourceName="Watch" startDate="{start:%Y-%m-%d %H:%M:%S} +0100" '
                        f'endDate="{start + timedelta(minutes=20):%Y-%m-%d %H:%M:%S} +0100"/>\n')
    xml = ('<?xml version="1.0" encoding="UTF-8"?>\n<HealthData locale="de_DE">\n'
           ' <ExportDate value="2024-02-01 08:00:00 +0100"/>\n' + "".join(rows) + "</HealthData>\n")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("apple_health_export/export.xml", xml.encode())
    path.write_bytes(buf.getvalue())
    return path


FILES = {
    "a Timeline export with repeats": ("google_timeline", "Records.json", lambda p: export_file(p, 400)),  # 1 in 9
    "a chat with media left out": ("whatsapp", "WhatsApp Chat with Ana.txt", chat_file),
    "a Health export of steps and walks": ("apple_health", "export.zip", health_file),
}
SHOWN = ("count_parsed", "count_accepted", "count_duplicate", "day_counts", "media_days", "gaps", "preview_counts",
         "stream_coverage", "duplicate_sources", "set_aside", "event_earliest", "event_latest", "warnings")


@pytest.mark.parametrize("zone", ["Europe/Berlin", "Asia/Kathmandu"])
@pytest.mark.parametrize("name", list(FILES))
def test_a_first_preview_says_the_same_counted_or_read_again(tmp_path, monkeypatch, name, zone):
    connector, filename, write = FILES[name]
    path = write(tmp_path / filename)
    answers = {"date_order": "dmy"} if connector == "whatsapp" else None

    def preview(slug: str) -> AcquisitionBatch:  # each its own owner: neither sees the other's file
        owner = OwnerProfileFactory(owner=OwnerFactory(username=slug), time_zone=zone).owner
        connection = add_connection(owner, connector, slug, slug)
        with path.open("rb") as fh:
            batch = preview_artifact(connection, fh, filename, options=answers)
        assert batch.status == AcquisitionBatch.Status.PREVIEW, batch.reject_detail
        return batch

    measured = []
    real = RowCounts.measure
    monkeypatch.setattr(RowCounts, "measure", lambda self, *a: measured.append(real(self, *a)) or measured[-1])
    counted = preview("counted")
    assert measured[-1] is not None  # this preview was measured from the counts
    monkeypatch.setattr(RowCounts, "measure", lambda self, *a: None)
    read_again = preview("read-again")

    assert counted.count_duplicate > 0 or connector != "google_timeline"  # its repeats were counted once
    for field in SHOWN:
        assert getattr(counted, field) == getattr(read_again, field), field
