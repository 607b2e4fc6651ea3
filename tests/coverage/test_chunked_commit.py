"""A big import lands in chunks: a phone pushing to the same source waits for one chunk at most,
and the owner still sees the import all at once or not at all."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.db import connection as db

from connections.connectors.base import BatchFacts, location_key
from connections.connectors.owntracks import parse_owntracks
from connections.models import Connection
from coverage.models import AcquisitionBatch, CoverageSummary, LaneSummary, Record
from coverage.pipeline import (
    acquire_records,
    chunks,
    commit,
    land_batch,
    landing,
    preview_artifact,
    start_commit,
)
from tests.coverage.conftest import fixture_path, staged_rows

pytestmark = pytest.mark.django_db
Status = AcquisitionBatch.Status
START = datetime(2024, 1, 1, tzinfo=UTC)


class Killed(KeyboardInterrupt):
    """The process died: not an error the commit would try again."""


@pytest.fixture
def phone(owner) -> Connection:
    """OwnTracks takes both an exported file and live pushes into one stream."""
    return Connection.objects.create(owner=owner, connector="owntracks", slug="phone", name="My phone")


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(chunks, "LAND_CHUNK", 100)


def point(i: int) -> tuple[datetime, float, float]:
    return START + timedelta(minutes=7 * i), (525_000_000 + (i % 90) * 1_000) / 1e7, (134_000_000 + (i % 70) * 1_000) / 1e7


def export_file(path: Path, count: int) -> Path:
    """A Google Timeline export (Records.json) of ``count`` points: the phone source's older history."""
    locations = []
    for i in range(count):
        at, lat, lon = point(i)
        locations.append({"latitudeE7": round(lat * 1e7), "longitudeE7": round(lon * 1e7),
                          "timestamp": f"{at:%Y-%m-%dT%H:%M:%SZ}"})
    path.write_text(json.dumps({"locations": locations}))
    return path


def previewed(connection, path: Path) -> AcquisitionBatch:
    with path.open("rb") as fh:
        batch = preview_artifact(connection, fh, path.name)
    assert batch.status == Status.PREVIEW, batch.reject_detail
    return batch


def push(connection, points: list[int]) -> AcquisitionBatch:
    body = json.dumps([
        {"_type": "location", "lat": point(i)[1], "lon": point(i)[2], "tst": int(point(i)[0].timestamp())}
        for i in points
    ]).encode()
    facts = BatchFacts()
    records = parse_owntracks(body, facts)
    return acquire_records(connection, method="device_sync", trigger="push", records=records, facts=facts)


def visible_keys(connection) -> set[str]:
    return set(Record.objects.filter(connection=connection).visible().values_list("key", flat=True))


def test_a_big_import_lands_in_chunks_with_the_counts_of_one(phone, tmp_path, small_chunks):
    batch = start_commit(previewed(phone, export_file(tmp_path / "Records.json", 1_050)), enqueue=False)
    chunks = []
    real = commit.land_chunk

    def counting(*args, **kwargs):
        chunks.append(1)
        return real(*args, **kwargs)

    commit.land_chunk = counting
    try:
        landed = land_batch(batch.pk)
    finally:
        commit.land_chunk = real
    assert len(chunks) == 11  # 10 chunks of 100 and one of 50
    assert landed.status == Status.COMMITTED
    assert (landed.count_accepted, landed.count_duplicate, landed.data_changed) == (1_050, 0, False)
    assert sum(landed.day_counts.values()) == 1_050 and landed.landing is None
    assert CoverageSummary.objects.get(connection=phone).record_count == 1_050
    assert LaneSummary.objects.get(connection=phone).records == 1_050
    assert staged_rows(batch.pk) == 0
    assert len(visible_keys(phone)) == 1_050


def killed_on_chunk(batch: AcquisitionBatch, monkeypatch, chunk: int = 3) -> AcquisitionBatch:
    """Land ``batch`` until chunk number ``chunk``, where the process dies; the batch as it was left."""
    real, calls = commit.land_chunk, []

    def dies_there(*args, **kwargs):
        calls.append(1)
        if len(calls) == chunk:
            raise Killed
        return real(*args, **kwargs)

    monkeypatch.setattr(commit, "land_chunk", dies_there)
    with pytest.raises(Killed):
        land_batch(batch.pk)
    monkeypatch.setattr(commit, "land_chunk", real)
    batch.refresh_from_db()
    return batch


def test_a_commit_killed_between_chunks_shows_nothing_and_resumes_where_it_stopped(phone, tmp_path, small_chunks,
                                                                                    monkeypatch):
    batch = start_commit(previewed(phone, export_file(tmp_path / "Records.json", 1_000)), enqueue=False)
    batch = killed_on_chunk(batch, monkeypatch, 4)
    assert batch.status == Status.COMMITTING and batch.landing["accepted"] == 300
    assert Record.objects.filter(connection=phone).count() == 300  # written, but not the owner's yet
    assert visible_keys(phone) == set()
    assert not CoverageSummary.objects.filter(connection=phone, record_count__gt=0).exists()

    landed = land_batch(batch.pk)
    assert landed.status == Status.COMMITTED
    assert (landed.count_accepted, landed.count_duplicate, landed.data_changed) == (1_000, 0, False)
    assert CoverageSummary.objects.get(connection=phone).record_count == 1_000
    assert len(visible_keys(phone)) == 1_000


def test_a_phone_pushing_between_chunks_is_stored_once_and_counted_once(phone, tmp_path, small_chunks, monkeypatch):
    """The phone sends a point the export also holds, while the export is half landed."""
    batch = start_commit(previewed(phone, export_file(tmp_path / "Records.json", 500)), enqueue=False)
    real = commit.land_chunk
    calls = []

    def phone_pushes_after_the_second(*args, **kwargs):
        done = real(*args, **kwargs)
        calls.append(1)
        if len(calls) == 2:
            push(phone, [450, 900])  # 450 is in a later chunk of the export; 900 is new
        return done

    monkeypatch.setattr(commit, "land_chunk", phone_pushes_after_the_second)
    landed = land_batch(batch.pk)
    assert landed.status == Status.COMMITTED
    assert (landed.count_accepted, landed.count_duplicate) == (499, 1)
    keys = visible_keys(phone)
    assert keys == {location_key(*point(i)) for i in [*range(500), 900]}
    assert CoverageSummary.objects.get(connection=phone).record_count == 501
    both = Record.objects.filter(connection=phone, key=location_key(*point(450))).get()
    assert {method for _, method in both.deliveries()} == {"device_sync", "owner_artifact"}


def test_a_commit_that_fails_for_good_midway_takes_back_its_chunks(phone, tmp_path, small_chunks, monkeypatch):
    batch = start_commit(previewed(phone, export_file(tmp_path / "Records.json", 400)), enqueue=False)
    real = commit.land_chunk
    calls = []

    def breaks_on_the_third(*args, **kwargs):
        calls.append(1)
        if len(calls) >= 3:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(commit, "land_chunk", breaks_on_the_third)
    failed = land_batch(batch.pk)
    assert failed.status == Status.FAILED and "Nothing from it was saved" in failed.failure_reason
    assert Record.objects.filter(connection=phone).count() == 0  # the two landed chunks were taken back
    monkeypatch.setattr(commit, "land_chunk", real)
    again = commit.retry_commit(failed, enqueue=False)
    assert land_batch(again.pk).count_accepted == 400
    assert CoverageSummary.objects.get(connection=phone).record_count == 400


def spread_file(path: Path, count: int, minutes_apart: int) -> Path:
    """``count`` points ``minutes_apart`` minutes apart: the longer the spacing, the more hours the file covers."""
    locations = [
        {"latitudeE7": 525_000_000 + i, "longitudeE7": 134_000_000 + i,
         "timestamp": f"{START + timedelta(minutes=minutes_apart * i):%Y-%m-%dT%H:%M:%SZ}"}
        for i in range(count)
    ]
    path.write_text(json.dumps({"locations": locations}))
    return path


def test_the_tally_a_commit_saves_between_chunks_does_not_grow_with_the_hours_the_file_covers(
    owner, tmp_path, small_chunks, monkeypatch
):
    """A chat that spans decades covers hundreds of thousands of hours; each chunk saves the tally again."""
    sizes = {}
    for minutes_apart in (1, 61):  # 300 points in 5 hours of one day, then in 300 hours of 13 days
        connection = Connection.objects.create(owner=owner, connector="owntracks", slug=f"p{minutes_apart}", name="P")
        path = spread_file(tmp_path / f"{minutes_apart}.json", 300, minutes_apart)
        tally = killed_on_chunk(start_commit(previewed(connection, path), enqueue=False), monkeypatch).landing
        assert tally["accepted"] == 200
        kept = {k: v for k, v in tally.items() if k not in ("after", "began_id", "last_id")}
        sizes[minutes_apart] = len(json.dumps(kept))
    # Nothing per hour is carried, nor per day.
    assert sizes[1] == sizes[61], sizes


def test_what_each_chunk_reads_and_writes_of_its_batch_does_not_grow_with_the_days_the_file_covers(
    owner, tmp_path, small_chunks
):
    """The preview's days (new per day, media days, holes) of a chat over decades run to tens of
    thousands of entries: a chunk neither reads nor writes them, only the last transaction does."""
    connection = Connection.objects.create(owner=owner, connector="owntracks", slug="decades", name="P")
    path = spread_file(tmp_path / "far.json", 1_050, 60 * 24 * 3)  # a point every third day: 1,050 days
    batch = start_commit(previewed(connection, path), enqueue=False)
    assert len(batch.day_counts) == 1_050
    batches = AcquisitionBatch._meta.db_table
    statements: list[str] = []

    def seen(execute, sql, params, many, context):
        if batches in sql and "day_counts" in sql:
            statements.append(sql.split()[0])
        return execute(sql, params, many, context)

    with db.execute_wrapper(seen):
        landed = land_batch(batch.pk)
    assert landed.status == AcquisitionBatch.Status.COMMITTED and landed.count_accepted == 1_050
    assert len(landed.day_counts) == 1_050 and sum(landed.day_counts.values()) == 1_050
    # 11 chunks; the batch is read with its days before them (setting aside) and once landed (the
    # answer), and written with them once, by the last transaction.
    assert statements == ["SELECT", "UPDATE", "SELECT"], statements


@pytest.mark.parametrize("killed", [False, True])
def test_a_commit_in_chunks_counts_days_and_hours_as_the_records_say(phone, tmp_path, small_chunks, monkeypatch,
                                                                      killed):
    """Whole, or killed after two chunks while the phone pushes, then resumed: the same days and hours."""
    batch = start_commit(previewed(phone, spread_file(tmp_path / "Records.json", 400, 180)), enqueue=False)
    if killed:
        killed_on_chunk(batch, monkeypatch)
        assert push(phone, [0, 1, 2]).status == Status.COMMITTED
    landed = land_batch(batch.pk)
    assert landed.status == Status.COMMITTED and landed.count_accepted == 400
    per_day: dict[str, int] = {}
    for at in Record.objects.filter(first_batch=landed).values_list("event_at", flat=True):
        per_day[at.date().isoformat()] = per_day.get(at.date().isoformat(), 0) + 1
    assert landed.day_counts == dict(sorted(per_day.items())) and len(per_day) == 50  # 400 points, 3 h apart
    lane = LaneSummary.objects.get(connection=phone, method="owner_artifact")
    assert lane.records == 400 and sum(lane.day_counts.values()) == 400
    assert len(lane.day_counts) == 400  # every point in an hour of its own


def test_a_commit_killed_after_its_last_chunk_finishes_without_reading_the_file_again(phone, tmp_path, small_chunks,
                                                                                      monkeypatch):
    """Every chunk landed; the process died while counting them (outside the lock), from what it
    counted chunk by chunk or from the records."""
    batch = start_commit(previewed(phone, export_file(tmp_path / "Records.json", 250)), enqueue=False)
    real_count = commit.delivered

    def dies(*args, **kwargs):
        raise Killed

    monkeypatch.setattr(commit, "delivered", dies)
    monkeypatch.setattr(chunks.SlotCounts, "delivered", dies)
    with pytest.raises(Killed):
        land_batch(batch.pk)
    batch.refresh_from_db()
    assert batch.status == Status.COMMITTING and batch.landing["landed_all"] and batch.landing["accepted"] == 250
    assert staged_rows(batch.pk) == 0 and visible_keys(phone) == set()

    def never_read(*args, **kwargs):
        raise AssertionError("the stored file was read again")

    monkeypatch.setattr(commit, "delivered", real_count)
    monkeypatch.setattr(commit, "stage_artifact", never_read)
    landed = land_batch(batch.pk)
    assert (landed.status, landed.count_accepted, landed.data_changed) == (Status.COMMITTED, 250, False)
    assert sum(landed.day_counts.values()) == 250 and LaneSummary.objects.get(connection=phone).records == 250
    assert len(visible_keys(phone)) == 250


def test_chunks_end_where_a_stream_ends_and_a_commit_killed_there_resumes_with_the_next(owner, monkeypatch):
    """Apple Health stages four streams (3 activity summaries, 39 samples, 20 route points, 2
    workouts): each chunk stays in one stream, so both its ends are plain bounds on the key. Killed
    right after the activity summaries' only chunk, the commit resumes with the samples, and lands all 64."""
    monkeypatch.setattr(chunks, "LAND_CHUNK", 5)
    health = Connection.objects.create(owner=owner, connector="apple_health", slug="health", name="Health")
    batch = start_commit(previewed(health, fixture_path("apple_health", "export.zip")), enqueue=False)
    batch = killed_on_chunk(batch, monkeypatch, 2)
    assert batch.landing["after"][0] == "activity_summaries" and batch.landing["accepted"] == 3
    spans = []
    real = commit.land_chunk

    def noting(batch, tally, size=None, **kwargs):
        done = real(batch, tally, size, **kwargs)
        spans.append(tally.after[0])
        return done

    monkeypatch.setattr(commit, "land_chunk", noting)
    landed = land_batch(batch.pk)
    # 39 samples in 8 chunks, the 20 route points in 4, the workouts in one more
    assert spans == ["samples"] * 8 + ["workout_routes"] * 4 + ["workouts"]
    assert (landed.status, landed.count_accepted, landed.count_duplicate) == (Status.COMMITTED, 64, 0)
    assert Record.objects.filter(connection=health).values("stream", "key").distinct().count() == 64
    assert staged_rows(batch.pk) == 0


def test_a_record_come_in_after_the_measure_is_skipped_and_the_count_stays_exact(phone, tmp_path):
    """The measure found none of the staged keys held, so the rows go in with a plain INSERT; a
    record written after the measure (no writer should, under the lock) makes it take that back
    and land with ON CONFLICT instead: nothing doubled, nothing lost, counted as it landed."""
    batch = previewed(phone, export_file(tmp_path / "Records.json", 10))
    measure = landing.measure_staged(batch.pk, phone.pk, held=True)
    assert (measure.staged, measure.accepted) == (10, 10)
    push(phone, [3])
    landed = landing.land_rows(batch, measure)
    assert landed.accepted == 9 and sum(landed.new_days.values()) == 9
    assert len(visible_keys(phone)) == 1 and Record.objects.filter(connection=phone).count() == 10
    assert Record.objects.filter(connection=phone, first_batch=batch).count() == 9


def _staging_index_blocks() -> int:
    """Blocks of the staging key's index read so far in this transaction (PostgreSQL)."""
    with db.cursor() as cursor:
        cursor.execute("SELECT pg_stat_get_xact_blocks_fetched('coverage_stagedrecord_pkey'::regclass)")
        return cursor.fetchone()[0]


@pytest.mark.skipif(db.vendor != "postgresql", reason="counts index blocks read with PostgreSQL's statistics")
def test_an_early_chunk_of_a_big_commit_reads_no_more_of_the_staging_index_than_a_late_one(phone, tmp_path):
    """PostgreSQL did not end an index scan at a row value's upper bound: each chunk read the staging
    index up to the end of the batch, so an early chunk of a million rows cost several times a late one."""
    batch = start_commit(previewed(phone, export_file(tmp_path / "Records.json", 10_000)), enqueue=False)
    tally, read, done = chunks.Tally.load(batch), [], False
    while not done:
        before = _staging_index_blocks()
        done = chunks.land_chunk(batch, tally, 250)
        read.append(_staging_index_blocks() - before)
    assert tally.accepted == 10_000
    # From the second chunk on (the first also looks up the batch's first stream, which PostgreSQL
    # may answer from the whole batch's keys when its statistics are stale; once a commit).
    assert max(read[1:10]) <= 2 * min(read[-10:]), read
    assert len(read) == 40
