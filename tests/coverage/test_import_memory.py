"""An import's memory does not follow the size of the file (issue 15: peak RSS under 250 MB).

The grouped staging rows are read a few thousand at a time, never as one list (a long chat has
a group per hour), and must measure the same whatever the fetch size; on SQLite an import
stages, measures and lands with a small page cache, and the connection's own comes back after.
A commit's counts per hour stay in the database (``chunks.delivered``, ``summaries.update_lane``):
the Python memory of its last step does not grow with the hours the file covers, and the lane
still counts every hour exactly.
"""

from __future__ import annotations

import json
import tracemalloc
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.db import connection as db

from connections.models import Connection
from coverage.models import AcquisitionBatch, LaneSummary, Record
from coverage.pipeline import (
    chunks,
    commit,
    land_batch,
    landing,
    preview_artifact,
    sqlite_tuning,
    staging,
    start_commit,
    summaries,
)

pytestmark = pytest.mark.django_db
Status = AcquisitionBatch.Status
START = datetime(2024, 3, 1, 22, 0, tzinfo=UTC)


@pytest.fixture
def phone(owner) -> Connection:
    return Connection.objects.create(owner=owner, connector="owntracks", slug="phone", name="My phone")


def export_file(path: Path, count: int) -> Path:
    """A Timeline export: a point every 13 minutes (a few per hour, days crossed), a repeat now and then."""
    points = []
    for i in range(count):
        j = i - 1 if i % 9 == 8 else i  # every 9th point repeats the one before
        at = START + timedelta(minutes=13 * j)
        points.append({"latitudeE7": 525_000_000 + j, "longitudeE7": 134_000_000, "timestamp": f"{at:%Y-%m-%dT%H:%M:%SZ}"})
    path.write_text(json.dumps({"locations": points}))
    return path


def previewed(connection: Connection, path: Path) -> AcquisitionBatch:
    with path.open("rb") as fh:
        batch = preview_artifact(connection, fh, path.name)
    assert batch.status == Status.PREVIEW, batch.reject_detail
    return batch


def test_a_measure_read_a_few_groups_at_a_time_is_the_same_as_one_read_at_once(phone, tmp_path, monkeypatch):
    batch = previewed(phone, export_file(tmp_path / "Records.json", 600))
    whole = landing.measure_staged(batch.pk, phone.pk)
    assert len(whole.slots) > 100 and len(whole.day_counts) > 5  # groups enough to cross many fetches
    monkeypatch.setattr(landing, "GROUPS_FETCHED", 7)  # a day's groups split across fetches
    assert landing.measure_staged(batch.pk, phone.pk) == whole


def page_cache() -> int:
    with db.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        return int(cursor.fetchone()[0])


def test_sqlite_stages_and_lands_with_the_lean_cache_then_gives_the_connection_its_own_back(
    phone, tmp_path, monkeypatch
):
    if db.vendor != "sqlite":
        pytest.skip("the page cache is SQLite's")
    own = page_cache()
    assert own != -sqlite_tuning.LEAN_CACHE_KIB
    seen: dict[str, int] = {}
    real_write, real_chunk = staging.SqliteStageWriter.write, chunks.land_chunk

    def write(self, rows, prepared=None):
        seen["staging"] = page_cache()
        return real_write(self, rows, prepared)

    def land_chunk(batch, tally, size=None, **kwargs):
        seen["landing"] = page_cache()
        return real_chunk(batch, tally, size, **kwargs)

    monkeypatch.setattr(staging.SqliteStageWriter, "write", write)
    monkeypatch.setattr("coverage.pipeline.commit.land_chunk", land_chunk)
    batch = previewed(phone, export_file(tmp_path / "Records.json", 50))
    assert page_cache() == own
    batch = land_batch(start_commit(batch, enqueue=False).pk)
    assert batch.status == Status.COMMITTED and batch.count_accepted == 45  # 50 points, 5 repeats
    assert seen == {"staging": -sqlite_tuning.LEAN_CACHE_KIB, "landing": -sqlite_tuning.LEAN_CACHE_KIB}
    assert page_cache() == own


def spread_file(path: Path, count: int, minutes_apart: int) -> Path:
    """``count`` points ``minutes_apart`` minutes apart: the longer the spacing, the more hours the file covers."""
    points = [{"latitudeE7": 525_000_000 + i, "longitudeE7": 134_000_000 + i,
               "timestamp": f"{START + timedelta(minutes=minutes_apart * i):%Y-%m-%dT%H:%M:%SZ}"} for i in range(count)]
    path.write_text(json.dumps({"locations": points}))
    return path


def traced(fn, peaks: list[int]):
    """``fn``, recording the peak of Python memory it allocated (tracemalloc) into ``peaks``."""
    def run(*args, **kwargs):
        tracemalloc.start()
        try:
            return fn(*args, **kwargs)
        finally:
            peaks.append(tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
    return run


def test_the_last_step_of_a_commit_takes_no_more_python_memory_for_more_hours(owner, tmp_path, monkeypatch):
    """3,000 points in 50 hours, then in 3,000 hours: counting what landed and moving the summaries
    holds the hours in the database (a page of slots at a time when the holes are found)."""
    monkeypatch.setattr(summaries, "GROUPS_FETCHED", 100)
    peaks: dict[int, int] = {}
    for minutes_apart in (1, 61):
        connection = Connection.objects.create(owner=owner, connector="owntracks", slug=f"p{minutes_apart}", name="P")
        batch = start_commit(previewed(connection, spread_file(tmp_path / f"{minutes_apart}.json", 3_000, minutes_apart)),
                             enqueue=False)
        seen: list[int] = []
        monkeypatch.setattr(commit, "delivered", traced(chunks.delivered, seen))
        monkeypatch.setattr(commit, "_finish_commit", traced(commit._finish_commit, seen))
        landed = land_batch(batch.pk)
        monkeypatch.undo()
        monkeypatch.setattr(summaries, "GROUPS_FETCHED", 100)
        assert landed.status == Status.COMMITTED and landed.count_accepted == 3_000
        lane = LaneSummary.objects.get(connection=connection)
        assert len(lane.day_counts) == (50 if minutes_apart == 1 else 3_000)
        peaks[minutes_apart] = max(seen)
    # 2,950 more hours: held as dicts they took over a megabyte; only the 124 more days may cost a little.
    assert peaks[61] - peaks[1] < 64_000, peaks


def slot_counts(connection) -> Counter:
    """The connection's records per UTC hour, as a lane keys them."""
    return Counter(f"{at:%Y-%m-%dT%H}" for at in Record.objects.filter(connection=connection).values_list(
        "event_at", flat=True))


def test_a_second_import_adds_its_hours_to_the_lane_the_database_merges(phone, tmp_path):
    for count in (300, 400):  # the same 300 points, then 100 more: two a hour, over 200 hours
        batch = start_commit(previewed(phone, spread_file(tmp_path / f"{count}.json", count, 30)), enqueue=False)
        assert land_batch(batch.pk).count_accepted == (300 if count == 300 else 100)
    lane = LaneSummary.objects.get(connection=phone)
    assert lane.day_counts == dict(slot_counts(phone)) and len(lane.day_counts) == 200
    assert list(lane.day_counts) == sorted(lane.day_counts)  # in order, as before
    assert lane.records == 400 and lane.batches == 2


@pytest.mark.parametrize("counted", ["chunk by chunk", "from the records"])
def test_a_commit_whose_database_session_lost_its_counts_per_hour_counts_them_again(phone, tmp_path, monkeypatch,
                                                                                   counted):
    """They wait in a temporary table between the counting (without the lock) and the last transaction:
    a new session (a reconnect) has none, and the last transaction counts them itself."""
    batch = start_commit(previewed(phone, spread_file(tmp_path / "Records.json", 400, 45)), enqueue=False)
    real, real_counts, calls = chunks.delivered, chunks.SlotCounts.delivered, []

    def then_reconnected(*args, **kwargs):
        calls.append(1)
        done = real(*args, **kwargs)
        if len(calls) == 1:
            summaries.drop_delivered_table()  # what a new session would find: no such table
        return done

    def counts_then_reconnected(self, batch):
        if counted == "from the records":
            return None
        calls.append(1)
        done = real_counts(self, batch)
        summaries.drop_delivered_table()
        return done

    monkeypatch.setattr(commit, "delivered", then_reconnected)
    monkeypatch.setattr(chunks.SlotCounts, "delivered", counts_then_reconnected)
    landed = land_batch(batch.pk)
    assert len(calls) == 2  # counted once, then again by the last transaction
    assert landed.status == Status.COMMITTED and landed.count_accepted == 400
    lane = LaneSummary.objects.get(connection=phone)
    assert lane.day_counts == dict(slot_counts(phone)) and lane.records == 400
