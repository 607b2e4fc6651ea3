"""A worker killed mid-commit: the next worker that starts finishes the commit at once.

Real processes on PostgreSQL, as in production: ``manage.py worker`` lands a large export,
is killed with SIGKILL inside the landing, and a new ``manage.py worker`` is started. It
must take the commit over in its first round (not ten minutes later), mark the killed
task's row failed, and land exactly the records of a clean import.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
from django.db import connection as db
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from connections.models import Connection
from coverage.acquisition import preview_artifact, start_commit
from coverage.models import AcquisitionBatch, CoverageSummary, Record
from tests.hardening.test_crash_safety import ROOT, _env, _records_json

POINTS = 200_000  # a landing of a few seconds, so the kill lands inside it

needs_postgres = pytest.mark.skipif(
    db.vendor != "postgresql",
    reason="separate worker processes need a shared server database; CI runs this file on PostgreSQL",
)
pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]


def _worker(env) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "worker", "--no-startup-delay", "--interval", "0.2", "-v0"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


def _wait(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def storage_root(settings, artifact_root):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    return artifact_root


def test_a_new_worker_finishes_a_commit_whose_worker_was_killed_within_seconds(owner, tmp_path, storage_root):
    conn = Connection.objects.create(owner=owner, connector="google_timeline", slug="timeline", name="Timeline")
    with _records_json(tmp_path / "Records.json", POINTS).open("rb") as fh:
        batch = preview_artifact(conn, fh, "Records.json")
    batch = start_commit(batch)
    env = _env(storage_root)

    first = _worker(env)
    try:
        assert _wait(lambda: AcquisitionBatch.objects.filter(pk=batch.pk).exclude(claimed_by="").exists(), 120)
        time.sleep(0.5)  # inside the landing
        assert first.poll() is None
        first.send_signal(signal.SIGKILL)
    finally:
        first.kill()
        first.wait()
    batch.refresh_from_db()
    assert batch.status == "committing" and batch.claimed_by  # killed mid-landing: nothing visible
    assert Record.objects.filter(connection=conn).count() == 0
    [killed] = DBTaskResult.objects.all()
    assert killed.status == "RUNNING"  # what the queue believes of a killed task

    started = timezone.now()
    second = _worker(env)
    try:
        assert _wait(lambda: DBTaskResult.objects.count() == 2, 20), "the new worker did not take the commit over"
        taken_over = DBTaskResult.objects.exclude(pk=killed.pk).get().enqueued_at
        assert (taken_over - started).total_seconds() < 15  # its first round, not ten minutes later
        assert _wait(lambda: AcquisitionBatch.objects.get(pk=batch.pk).status == "committed", 180), (
            second.stderr.read1().decode() if second.poll() is not None else "not committed"
        )
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=30) == 0
    batch.refresh_from_db()
    print(f"taken over after {(taken_over - started).total_seconds():.1f} s, "
          f"committed {(batch.committed_at - started).total_seconds():.1f} s after the new worker started")
    assert batch.claimed_by == ""
    assert Record.objects.filter(connection=conn).count() == POINTS
    assert CoverageSummary.objects.get(connection=conn).record_count == POINTS
    killed.refresh_from_db()
    assert killed.status == "FAILED" and "stopped" in killed.traceback  # not RUNNING for ever
    assert DBTaskResult.objects.exclude(pk=killed.pk).get().status == "SUCCESSFUL"
