"""An import's memory does not follow the size of the file (issue 15: peak RSS under 250 MB).

The grouped staging rows are read a few thousand at a time, never as one list (a long chat has
a group per hour), and must measure the same whatever the fetch size; on SQLite an import
stages, measures and lands with a small page cache, and the connection's own comes back after.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.db import connection as db

from connections.models import Connection
from coverage.models import AcquisitionBatch
from coverage.pipeline import chunks, land_batch, landing, preview_artifact, staging, start_commit

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
    assert own != -staging.LEAN_CACHE_KIB
    seen: dict[str, int] = {}
    real_write, real_chunk = staging.SqliteStageWriter.write, chunks.land_chunk

    def write(self, rows):
        seen["staging"] = page_cache()
        return real_write(self, rows)

    def land_chunk(batch, tally, size=None):
        seen["landing"] = page_cache()
        return real_chunk(batch, tally, size)

    monkeypatch.setattr(staging.SqliteStageWriter, "write", write)
    monkeypatch.setattr("coverage.pipeline.commit.land_chunk", land_chunk)
    batch = previewed(phone, export_file(tmp_path / "Records.json", 50))
    assert page_cache() == own
    batch = land_batch(start_commit(batch, enqueue=False).pk)
    assert batch.status == Status.COMMITTED and batch.count_accepted == 45  # 50 points, 5 repeats
    assert seen == {"staging": -staging.LEAN_CACHE_KIB, "landing": -staging.LEAN_CACHE_KIB}
    assert page_cache() == own
