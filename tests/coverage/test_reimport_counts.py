"""An owner's re-import (an export made again, a file into a source that holds records) is measured
from what staging counted on the way in, each row with the import that holds its key (issue 15):
the preview does not read every staged row again, and it says exactly what reading them says.

Whatever the source holds (records of earlier imports by file and by phone, with media or
without) and whatever the file brings (repeats near and far, keys the source holds and keys it
does not, media states, any zone), the counted measure is the very measure the SQL gives, with
the same days kept for the commit's set-aside, or none at all. When the source changes while the
file is staged (a phone pushes, an import is undone), the preview reads staging again. Whole
previews of real files made again are the same field for field either way.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connections.connectors.base import ParsedRecord
from connections.services import add_connection
from coverage.models import AcquisitionBatch
from coverage.pipeline import (
    first_counts,
    land_batch,
    preview_artifact,
    set_aside,
    staging,
    start_commit,
)
from coverage.pipeline.first_counts import RowCounts
from coverage.pipeline.landing import measure_staged
from coverage.pipeline.streams import stream_coverage
from tests.coverage.test_chunked_commit import push
from tests.coverage.test_first_counts import (
    MEDIA,
    START,
    ZONES,
    chat_file,
    health_file,
    parsed_rows,
)
from tests.coverage.test_import_memory import export_file
from tests.factories import (
    BatchFactory,
    ConnectionFactory,
    OwnerFactory,
    OwnerProfileFactory,
    RecordFactory,
)

pytestmark = pytest.mark.django_db
Status = AcquisitionBatch.Status

HOLDERS = {
    # who brought a held record first: (method, status)
    "an export committed before": ("owner_artifact", Status.COMMITTED),
    "a phone's push": ("device_sync", Status.COMMITTED),
    "an export still landing": ("owner_artifact", Status.COMMITTING),
}


@st.composite
def held_records(draw) -> list[tuple[str, str, str, str | None]]:
    """Records a source holds: (holder, stream, key, media), keys from the same few the file uses."""
    held = draw(st.lists(st.tuples(st.sampled_from(sorted(HOLDERS)),
                                   st.sampled_from(("samples", "workouts", "locations")),
                                   st.integers(min_value=0, max_value=80), st.sampled_from(MEDIA)),
                         min_size=1, max_size=50, unique_by=lambda r: (r[1], r[2])))
    return [(holder, stream, f"k{n}", media) for holder, stream, n, media in held]


def holding(connection, records) -> None:
    batches = {name: BatchFactory(connection=connection, method=method, status=status)
               for name, (method, status) in HOLDERS.items()}
    for holder, stream, key, media in records:
        RecordFactory(connection=connection, first_batch=batches[holder], stream=stream, key=key,
                      event_at=START, media=media or "")


def held_source(owner, held, zone: str):
    """The owner's Health source in ``zone``, holding ``held`` (``held_records``)."""
    OwnerProfileFactory._meta.model.objects.update_or_create(owner=owner, defaults={"time_zone": zone})
    connection = ConnectionFactory(owner=owner, connector="apple_health")
    holding(connection, held)
    return connection


def staged_and_counted(connection, rows, by_slot: bool, after_first_chunk=None):
    batch = BatchFactory(connection=connection, status=Status.PREVIEW)
    counted = first_counts.counts_for(connection.pk, by_slot=by_slot, text_times=staging.text_times())
    if after_first_chunk is not None:
        real, calls = counted.staged, []

        def staged(chunk, kept):
            real(chunk, kept)
            calls.append(1)
            if len(calls) == 1:
                after_first_chunk()
        counted.staged = staged
    staging.stage(batch.pk, rows, None, None, counted)
    return batch, counted


@pytest.fixture(autouse=True)
def counted_on_either_database(monkeypatch):
    """Counting held rows as staged is on where it pays (SQLite); here it is tested on both."""
    monkeypatch.setattr(first_counts, "COUNTED_HELD", frozenset({"sqlite", "postgresql"}))


@pytest.fixture
def tiny_chunks(monkeypatch):
    """Chunks of seven rows, and three keys carried to the next: repeats near and far."""
    monkeypatch.setattr(staging, "STAGE_CHUNK", 7)
    monkeypatch.setattr(first_counts, "KEYS_CARRIED", 3)


def kept_days(batch) -> set_aside.KeptDays:
    return set_aside.KeptDays(set_aside.inert_holders(batch))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(held=held_records(), rows=parsed_rows(), zone=st.sampled_from(ZONES), by_slot=st.booleans())
def test_a_counted_reimport_measure_is_the_sql_measure_or_none(owner, tiny_chunks, held, rows, zone, by_slot):
    connection = held_source(owner, held, zone)
    batch, counted = staged_and_counted(connection, rows, by_slot)
    assert counted.holders is not None

    counted_kept, read_kept = kept_days(batch), kept_days(batch)
    measure = counted.measure(connection.pk, batch.pk, counted_kept.note)
    if measure is None:  # a repeat from further back than counting sees: staging kept fewer
        assert counted.groups is None
        return
    assert measure == measure_staged(batch.pk, connection.pk, by_slot=by_slot, note=read_kept.note)
    assert counted_kept.days == read_kept.days  # the commit sets aside the same rows
    assert counted.stream_coverage() == stream_coverage(batch.pk)


def test_rows_the_source_holds_are_counted_as_duplicates_of_their_import(owner, tiny_chunks):
    connection = ConnectionFactory(owner=owner, connector="apple_health")
    earlier = BatchFactory(connection=connection)
    for i in range(0, 30, 2):
        RecordFactory(connection=connection, first_batch=earlier, stream="samples", key=f"k{i}", event_at=START)
    rows = [ParsedRecord("samples", f"k{i}", START + timedelta(minutes=9 * i), {"i": i}) for i in range(30)]
    batch, counted = staged_and_counted(connection, rows, by_slot=True)

    measure = counted.measure(connection.pk, batch.pk)
    assert measure is not None
    assert (measure.staged, measure.accepted) == (30, 15)
    assert [(s["batch_id"], s["count"]) for s in measure.duplicate_sources] == [(earlier.pk, 15)]
    assert measure == measure_staged(batch.pk, connection.pk, by_slot=True)


CHANGES = {
    "a phone pushes a point": lambda connection: push(connection, [5]),
    "an import is undone": lambda connection: set_aside.note_rewrite(connection),
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_source_changed_while_the_file_is_staged_is_measured_by_the_sql(owner, tiny_chunks, change):
    connection = ConnectionFactory(owner=owner, connector="owntracks")
    push(connection, [0, 1, 2])
    rows = [ParsedRecord("locations", f"k{i}", START + timedelta(minutes=i), {}) for i in range(20)]
    _batch, counted = staged_and_counted(connection, rows, by_slot=True,
                                         after_first_chunk=lambda: CHANGES[change](connection))
    assert counted.groups  # it counted every chunk
    assert counted.measure(connection.pk) is None


# --- whole previews of a file made again, counted and read again --------------------------------
FILES = {
    # name: (connector, file name, the first export, the export made again later)
    "a Timeline export with repeats": ("google_timeline", "Records.json", lambda p: export_file(p, 400),
                                       lambda p: export_file(p, 460)),
    "a chat with media left out": ("whatsapp", "WhatsApp Chat with Ana.txt", chat_file, lambda p: chat_file(p, 340)),
    "a Health export of steps and walks": ("apple_health", "export.zip", health_file, lambda p: health_file(p, 230)),
}
SHOWN = ("count_parsed", "count_accepted", "count_duplicate", "day_counts", "media_days", "gaps", "preview_counts",
         "stream_coverage", "duplicate_sources", "set_aside", "event_earliest", "event_latest", "warnings")


def _without_ids(value, first_id: int):
    """A field with the first import's id and time named alike whichever owner's it is."""
    if isinstance(value, dict):
        return {k: ("the first import" if k == "batch_id" and v == first_id else
                    "its time" if k == "committed_at" else _without_ids(v, first_id)) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_ids(v, first_id) for v in value]
    return value


@pytest.mark.parametrize("zone", ["Europe/Berlin", "Asia/Kathmandu"])
@pytest.mark.parametrize("name", list(FILES))
def test_a_file_made_again_is_previewed_the_same_counted_or_read_again(tmp_path, monkeypatch, name, zone):
    connector, filename, first_file, again_file = FILES[name]
    (tmp_path / "first").mkdir()
    (tmp_path / "again").mkdir()
    first_path, again_path = first_file(tmp_path / "first" / filename), again_file(tmp_path / "again" / filename)
    answers = {"date_order": "dmy"} if connector == "whatsapp" else None

    def preview(connection, path: Path) -> AcquisitionBatch:
        with path.open("rb") as fh:
            batch = preview_artifact(connection, fh, filename, options=answers)
        assert batch.status == Status.PREVIEW, batch.reject_detail
        return batch

    def reimport(slug: str) -> tuple[AcquisitionBatch, int]:  # each its own owner: neither sees the other's files
        owner = OwnerProfileFactory(owner=OwnerFactory(username=slug), time_zone=zone).owner
        connection = add_connection(owner, connector, slug, slug)
        first = land_batch(start_commit(preview(connection, first_path), enqueue=False).pk)
        assert first.status == Status.COMMITTED
        return preview(connection, again_path), first.pk

    measured = []
    real = RowCounts.measure
    monkeypatch.setattr(RowCounts, "measure", lambda self, *a: measured.append(real(self, *a)) or measured[-1])
    counted, counted_first = reimport("counted")
    assert measured[-1] is not None and measured[-1].held  # this re-import was measured from the counts
    monkeypatch.setattr(RowCounts, "measure", lambda self, *a: None)
    read_again, read_first = reimport("read-again")

    assert counted.count_duplicate > 0 and counted.count_accepted > 0  # the file holds old and new
    assert counted.set_aside and counted.set_aside["pending"]  # its commit will set the held rows aside
    for field in SHOWN:
        assert (_without_ids(getattr(counted, field), counted_first)
                == _without_ids(getattr(read_again, field), read_first)), field
