"""The worker recovers what killed processes leave behind.

- A worker killed mid-commit: the next worker that starts finishes the commit at once.
  Real processes on PostgreSQL, as in production: ``manage.py worker`` lands a large
  export, is killed with SIGKILL inside the landing, and a new ``manage.py worker`` is
  started. It must take the commit over in its first round (not ten minutes later), mark
  the killed task's row failed, and land exactly the records of a clean import.
- Previews nobody commits, staged records nothing will land, and the temporary files of
  uploads whose server was killed are removed by the worker's sweep.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.db import connection as db
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from connections.models import Connection
from connections.runtime import PROCESS, ROUND_JOBS, WorkerLoop
from coverage.models import AcquisitionBatch, CoverageSummary, Record
from coverage.pipeline import preview_artifact, start_commit
from coverage.pipeline.sweep import Sweeper
from coverage.services import issue_access_token
from tests.conftest import stored_files
from tests.coverage.conftest import fixture_path, staged_rows
from tests.hardening.test_crash_safety import ROOT, _env, _free_port, _records_json

POINTS = 200_000  # a landing of a few seconds, so the kill lands inside it

needs_postgres = pytest.mark.skipif(
    db.vendor != "postgresql",
    reason="separate worker processes need a shared server database; CI runs this file on PostgreSQL",
)
pytestmark = pytest.mark.django_db(transaction=True)


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


@needs_postgres
def test_a_new_worker_finishes_a_commit_whose_worker_was_killed_within_seconds(owner, tmp_path, storage_root):
    conn = Connection.objects.create(owner=owner, connector="google_timeline", slug="timeline", name="Timeline")
    with _records_json(tmp_path / "Records.json", POINTS).open("rb") as fh:
        batch = preview_artifact(conn, fh, "Records.json")
    batch = start_commit(batch)
    env = _env(storage_root)

    first = _worker(env)
    try:
        # Killed as soon as its first chunk has landed: the landing takes about a second, and a
        # fixed sleep after the claim let a fast commit finish before the kill.
        assert _wait(lambda: Record.objects.filter(connection=conn).exists(), 120)
        first.send_signal(signal.SIGKILL)
    finally:
        first.kill()
        first.wait()
    batch.refresh_from_db()
    assert batch.status == "committing" and batch.claimed_by  # killed mid-landing: nothing visible
    assert 0 < Record.objects.filter(connection=conn).count() < POINTS
    assert Record.objects.filter(connection=conn).visible().count() == 0
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


# --- the sweep ---------------------------------------------------------------------------------
def _worker_round() -> None:
    """One round of the worker loop with the jobs the apps registered (a fresh sweeper)."""
    assert "coverage.sweep" in ROUND_JOBS
    WorkerLoop(60, jobs={**ROUND_JOBS, "coverage.sweep": Sweeper()}).round()


def _preview(conn, name="android_dayfirst_24h.txt") -> AcquisitionBatch:
    with fixture_path("whatsapp", name).open("rb") as fh:
        batch = preview_artifact(conn, fh, name)
    assert batch.status == "preview" and staged_rows(batch.pk) > 0
    return batch


def test_a_preview_nobody_commits_is_removed_after_the_preview_ttl(owner, settings, artifact_root, storage_root):
    settings.OWNERHUB_PREVIEW_TTL_HOURS = 24
    chat = Connection.objects.create(owner=owner, connector="whatsapp", slug="chat", name="Chat")
    other = Connection.objects.create(owner=owner, connector="whatsapp", slug="other", name="Other")
    abandoned, fresh = _preview(chat), _preview(other)
    AcquisitionBatch.objects.filter(pk=abandoned.pk).update(created_at=timezone.now() - timedelta(hours=25))
    assert len(stored_files(artifact_root)) == 2

    _worker_round()

    assert not AcquisitionBatch.objects.filter(pk=abandoned.pk).exists()
    assert staged_rows(abandoned.pk) == 0
    assert [p.name for p in stored_files(artifact_root)] == [os.path.basename(fresh.artifact_name)]
    fresh.refresh_from_db()
    assert fresh.status == "preview" and staged_rows(fresh.pk) == fresh.count_parsed  # younger: kept


def test_staged_records_nothing_will_land_are_removed(owner, storage_root):
    chat = Connection.objects.create(owner=owner, connector="whatsapp", slug="chat", name="Chat")
    waiting = _preview(chat)
    rejected = _preview(chat, "android_newer.txt")
    AcquisitionBatch.objects.filter(pk=rejected.pk).update(status="rejected")
    with db.cursor() as cursor:  # what a crash mid-way leaves: rows of a batch removed meanwhile
        cursor.execute(
            "INSERT INTO coverage_stagedrecord (batch_id, stream, key, event_at, event_day, payload, media) "
            "SELECT %s, stream, key, event_at, event_day, payload, media FROM coverage_stagedrecord "
            "WHERE batch_id = %s",
            [waiting.pk + 1000, waiting.pk],
        )
    assert staged_rows(waiting.pk + 1000) == staged_rows(waiting.pk) > 0

    _worker_round()

    assert staged_rows(waiting.pk + 1000) == 0 and staged_rows(rejected.pk) == 0
    assert staged_rows(waiting.pk) == waiting.count_parsed  # a live preview keeps its rows


def _spooled_upload_left_by_a_killed_process(folder) -> None:
    """A real process spools an upload through our handler and is killed before the request ends."""
    code = (
        "import django, os, signal\n"
        "django.setup()\n"
        "from coverage.pipeline.uploads import TemporaryFileUploadHandler\n"
        "handler = TemporaryFileUploadHandler()\n"
        "handler.new_file('file', 'Records.json', 'application/json', 10_000_000)\n"
        "handler.receive_data_chunk(b'x' * 1_000_000, 0)\n"
        "handler.file.flush()\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "ownerhub.settings", "TMPDIR": str(folder)}
    child = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, timeout=60)
    assert child.returncode == -signal.SIGKILL


def test_temporary_files_of_crashed_uploads_are_removed_and_nothing_else(settings, tmp_path):
    folder = tmp_path / "uploads"
    folder.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    _spooled_upload_left_by_a_killed_process(folder)
    [crashed] = list(folder.iterdir())
    assert crashed.name.startswith("ownerhub-upload~") and crashed.stat().st_size == 1_000_000
    # Not ours, however old; and ours from a live process: both stay.
    foreign = folder / "tmpk2j3h4.upload.json"
    foreign.write_bytes(b"x")
    os.utime(foreign, (0, 0))
    live = folder / f"ownerhub-upload~{PROCESS.replace(':', '~')}~abc123.upload.json"
    live.write_bytes(b"x")
    os.utime(live, (0, 0))

    _worker_round()

    assert sorted(p.name for p in folder.iterdir()) == sorted([foreign.name, live.name])


@needs_postgres
def test_a_server_killed_during_a_large_upload_leaves_nothing_for_long(owner, settings, tmp_path, artifact_root,
                                                                       storage_root):
    """The measured crash: a server killed while it previews a large export. The worker cleans up."""
    folder = tmp_path / "uploads"
    folder.mkdir()
    conn = Connection.objects.create(owner=owner, connector="google_timeline", slug="timeline", name="Timeline")
    _, secret = issue_access_token(owner)
    path = _records_json(tmp_path / "Records.json", POINTS)
    # The request reads this file itself (no size goes to the worker): the crash is of a server mid-preview.
    env = {**_env(storage_root), "ALLOWED_HOSTS": "127.0.0.1", "TMPDIR": str(folder),
           "OWNERHUB_BACKGROUND_PREVIEW_BYTES": str(10**15)}
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "waitress", f"--listen=127.0.0.1:{port}",
                               "ownerhub.wsgi:application"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    upload = None
    try:
        assert _wait(lambda: _listening(port), 60)
        upload = subprocess.Popen(
            ["curl", "-s", "-o", "/dev/null", "-H", f"Authorization: Bearer {secret}", "-F", f"file=@{path}",
             f"http://127.0.0.1:{port}/api/owner/connections/{conn.slug}/previews"],
        )
        assert _wait(lambda: staged_rows() > 0, 120)
        server.send_signal(signal.SIGKILL)  # mid-preview
    finally:
        server.kill()
        server.wait()
        if upload is not None:
            upload.wait(timeout=30)
    batch = AcquisitionBatch.objects.get(connection=conn)
    assert batch.status == "preview" and staged_rows(batch.pk) > 0
    assert len(stored_files(artifact_root)) == 1
    [spooled] = list(folder.glob("ownerhub-upload~*"))
    assert spooled.stat().st_size > 5_000_000

    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    _worker_round()  # at once: the server that wrote the temporary file is gone
    assert list(folder.iterdir()) == []
    AcquisitionBatch.objects.filter(pk=batch.pk).update(created_at=timezone.now() - timedelta(hours=25))
    _worker_round()  # a day later: the preview nobody will commit goes
    assert not AcquisitionBatch.objects.filter(pk=batch.pk).exists()
    assert staged_rows() == 0 and stored_files(artifact_root) == []


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.skipif(db.vendor != "sqlite", reason="the embedded default: SQLite and workers on one machine")
def test_on_sqlite_a_new_worker_finishes_a_commit_whose_worker_was_killed(tmp_path):
    """SQLite has no session locks to ask: the claim's process id tells that the worker is gone."""
    import sqlite3

    env = {**os.environ, "OWNERHUB_VAR_DIR": str(tmp_path), "ARTIFACT_ROOT": str(tmp_path / "artifacts"),
           "TASKS_BACKEND": "django_tasks_db.DatabaseBackend"}
    env.pop("DATABASE_URL", None)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    path = _records_json(tmp_path / "Records.json", POINTS)
    setup = (
        "from django.contrib.auth.models import User\n"
        "from connections.models import Connection\n"
        "from coverage.pipeline import preview_artifact, start_commit\n"
        "owner = User.objects.create(username='owner')\n"
        "conn = Connection.objects.create(owner=owner, connector='google_timeline', slug='t', name='T')\n"
        f"with open({str(path)!r}, 'rb') as fh:\n"
        "    start_commit(preview_artifact(conn, fh, 'Records.json'))\n"
    )
    subprocess.run([*manage, "shell", "-c", setup], cwd=ROOT, env=env, check=True, timeout=300)

    def query(sql):
        with sqlite3.connect(tmp_path / "ownerhub.sqlite3", timeout=30) as con:
            return con.execute(sql).fetchall()

    first = _worker(env)
    try:
        # Killed as soon as its first chunk has landed (a fixed sleep after the claim let a fast
        # commit of these points finish first).
        assert _wait(lambda: query("SELECT COUNT(*) FROM coverage_record")[0][0] > 0, 120)
        first.send_signal(signal.SIGKILL)
    finally:
        first.kill()
        first.wait()
    assert query("SELECT status FROM coverage_acquisitionbatch") == [("committing",)]
    [(landed,)] = query("SELECT COUNT(*) FROM coverage_record")
    assert 0 < landed < POINTS  # killed inside the landing
    assert query("SELECT status FROM django_tasks_database_dbtaskresult") == [("RUNNING",)]

    started = time.monotonic()
    second = _worker(env)
    try:
        assert _wait(lambda: query("SELECT status FROM coverage_acquisitionbatch") == [("committed",)], 180), (
            second.stderr.read1().decode() if second.poll() is not None else "not committed"
        )
        print(f"committed {time.monotonic() - started:.1f} s after the new worker started")
        assert time.monotonic() - started < 60  # its first round, not ten minutes later
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=30) == 0
    assert query("SELECT COUNT(*) FROM coverage_record") == [(POINTS,)]
    assert sorted(query("SELECT status FROM django_tasks_database_dbtaskresult")) == [("FAILED",), ("SUCCESSFUL",)]
