"""A first import's commit counts its records per slot as it lands each chunk (issue 15): the end of the
commit does not group every record again. What the owner then sees is exactly what counting the
records says: the same lane hours and days, the same days on the receipt, the same holes, for any
file and zone. When the chunks this process lands are not the whole commit, or not all new, it
counts from the records as before.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC

import pytest

from connections.services import add_connection
from coverage.models import AcquisitionBatch, CoverageSummary, LaneSummary, Record, RecordProvenance
from coverage.pipeline import chunks, commit, land_batch, preview_artifact, start_commit
from tests.coverage.test_chunked_commit import Killed, export_file, killed_on_chunk, push
from tests.coverage.test_first_counts import FILES
from tests.factories import OwnerFactory, OwnerProfileFactory

pytestmark = pytest.mark.django_db
Status = AcquisitionBatch.Status


@pytest.fixture
def counting(monkeypatch):
    """Chunks of 37 rows; notes whether each commit counted its slots from the records."""
    monkeypatch.setattr(chunks, "LAND_CHUNK", 37)
    from_records = []
    real = commit.delivered

    def noted(*args, **kwargs):
        from_records.append(True)
        return real(*args, **kwargs)

    monkeypatch.setattr(commit, "delivered", noted)
    return from_records


def committed(slug: str, zone: str, name: str, tmp_path) -> AcquisitionBatch:
    connector, filename, write = FILES[name]
    path = tmp_path / filename
    if not path.exists():
        write(path)
    owner = OwnerProfileFactory(owner=OwnerFactory(username=slug), time_zone=zone).owner
    connection = add_connection(owner, connector, slug, slug)
    answers = {"date_order": "dmy"} if connector == "whatsapp" else None
    with path.open("rb") as fh:
        batch = preview_artifact(connection, fh, filename, options=answers)
    assert batch.status == Status.PREVIEW, batch.reject_detail
    return start_commit(batch, enqueue=False)


def seen(batch: AcquisitionBatch) -> dict:
    """What the owner sees of a committed import: its lane, its coverage, its receipt's days."""
    batch.refresh_from_db()
    lane = LaneSummary.objects.get(connection=batch.connection, method="owner_artifact")
    summary = CoverageSummary.objects.get(connection=batch.connection)
    return {
        "status": batch.status, "accepted": batch.count_accepted, "duplicate": batch.count_duplicate,
        "day_counts": batch.day_counts, "data_changed": batch.data_changed,
        "lane.day_counts": lane.day_counts, "lane.records": lane.records, "lane.media_days": lane.media_days,
        "summary.records": summary.record_count, "summary.holes": summary.holes,
        "summary.media": (summary.media_missing, summary.media_omitted),
    }


@pytest.mark.parametrize("zone", ["Europe/Berlin", "Asia/Kathmandu", "America/St_Johns"])
@pytest.mark.parametrize("name", list(FILES))
def test_a_commit_counted_chunk_by_chunk_shows_what_the_records_say(tmp_path, counting, monkeypatch, name, zone):
    by_chunk = land_batch(committed("by-chunk", zone, name, tmp_path).pk)
    assert counting == []  # counted as it landed: the records were not grouped again
    monkeypatch.setattr(chunks.SlotCounts, "delivered", lambda self, batch: None)
    from_records = land_batch(committed("from-records", zone, name, tmp_path).pk)
    assert counting == [True]

    assert seen(by_chunk) == seen(from_records)
    assert seen(by_chunk)["status"] == Status.COMMITTED and seen(by_chunk)["lane.records"] > 0


def test_a_resumed_commit_counts_from_the_records(tmp_path, counting, monkeypatch):
    name = "a Timeline export with repeats"
    batch = killed_on_chunk(committed("resumed", "Europe/Berlin", name, tmp_path), monkeypatch, 3)
    assert batch.status == Status.COMMITTING
    resumed = land_batch(batch.pk)
    assert counting == [True]  # this process landed only the later chunks
    monkeypatch.setattr(chunks.SlotCounts, "delivered", lambda self, batch: None)
    whole = land_batch(committed("whole", "Europe/Berlin", name, tmp_path).pk)
    assert seen(resumed) == seen(whole)


@pytest.mark.parametrize("pushed, from_records", [
    ([5_000, 5_001], []),  # points of the phone's own, at other times: every landed row is still new
    ([450, 900], [True]),  # 450 the export holds further on: that chunk lands one row fewer
])
def test_a_phone_pushing_between_chunks_counts_from_the_records_once_a_chunk_meets_its_points(
    tmp_path, counting, monkeypatch, pushed, from_records
):
    owner = OwnerProfileFactory(owner=OwnerFactory(username="pushing"), time_zone="Europe/Berlin").owner
    phone = add_connection(owner, "owntracks", "phone", "My phone")
    with export_file(tmp_path / "Records.json", 500).open("rb") as fh:
        batch = start_commit(preview_artifact(phone, fh, "Records.json"), enqueue=False)
    real, calls = commit.land_chunk, []

    def phone_pushes_after_the_second(*args, **kwargs):
        done = real(*args, **kwargs)
        calls.append(1)
        if len(calls) == 2:
            push(phone, pushed)
        return done

    monkeypatch.setattr(commit, "land_chunk", phone_pushes_after_the_second)
    landed = land_batch(batch.pk)
    assert counting == from_records
    assert landed.status == Status.COMMITTED
    brought = [*Record.objects.filter(first_batch=landed).values_list("event_at", flat=True),
               *RecordProvenance.objects.filter(batch=landed).values_list("record__event_at", flat=True)]
    hours = Counter(f"{at.astimezone(UTC):%Y-%m-%dT%H}" for at in brought)
    lane = LaneSummary.objects.get(connection=phone, method="owner_artifact")
    assert lane.day_counts == dict(hours) and lane.records == hours.total() == 500


def test_a_commit_killed_while_writing_what_it_counted_finishes_from_the_records(tmp_path, counting, monkeypatch):
    batch = committed("killed-at-the-end", "Europe/Berlin", "a Health export of steps and walks", tmp_path)

    def dies(self, batch):
        raise Killed

    monkeypatch.setattr(chunks.SlotCounts, "delivered", dies)
    with pytest.raises(Killed):
        land_batch(batch.pk)
    monkeypatch.undo()
    monkeypatch.setattr(chunks, "LAND_CHUNK", 37)
    landed = land_batch(batch.pk)
    assert landed.status == Status.COMMITTED
    monkeypatch.setattr(chunks.SlotCounts, "delivered", lambda self, batch: None)
    assert seen(landed) == seen(land_batch(committed("whole-health", "Europe/Berlin",
                                                     "a Health export of steps and walks", tmp_path).pk))
