"""Importing the same history again with a few new points costs in proportion to its size
(issue 15): the commit of each chunk looks up only its own rows among the source's records,
never walks every record the source already holds."""

from __future__ import annotations

import pytest
from django.db import connection as db

from connections.models import Connection
from coverage.models import AcquisitionBatch, Record
from coverage.pipeline import chunks, land_batch, start_commit
from tests.coverage.test_chunked_commit import export_file, previewed

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(db.vendor != "sqlite", reason="counts SQLite's virtual-machine steps"),
]
Status = AcquisitionBatch.Status


def commit_steps(connection: Connection, path) -> int:
    """Preview and commit ``path``; return the thousands of SQLite steps the commit took."""
    batch = start_commit(previewed(connection, path), enqueue=False)
    steps = 0

    def tick() -> int:
        nonlocal steps
        steps += 1
        return 0  # go on

    db.ensure_connection()
    db.connection.set_progress_handler(tick, 1000)
    try:
        batch = land_batch(batch.pk)
    finally:
        db.connection.set_progress_handler(None, 0)
    assert batch.status == Status.COMMITTED
    return steps


def reimport_steps(owner, tmp_path, held: int) -> int:
    """An owner imports ``held`` points, then the same export with 5 % more: the second commit's steps."""
    source = Connection.objects.create(owner=owner, connector="owntracks", slug=f"phone-{held}", name="Phone")
    commit_steps(source, export_file(tmp_path / f"first-{held}.json", held))
    steps = commit_steps(source, export_file(tmp_path / f"again-{held}.json", held + held // 20))
    assert Record.objects.filter(connection=source).count() == held + held // 20
    return steps


def test_reimporting_a_longer_history_costs_in_proportion_to_its_size(owner, tmp_path, monkeypatch):
    monkeypatch.setattr(chunks, "LAND_CHUNK", 100)
    small = reimport_steps(owner, tmp_path, 1_000)
    large = reimport_steps(owner, tmp_path, 4_000)
    # Four times the records: about four times the work. Walking every held record for each
    # chunk would make it about sixteen times.
    assert large < 6 * small, f"re-import of 4,200 points took {large / small:.1f}x the steps of 1,050"
