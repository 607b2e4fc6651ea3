"""A preview the worker was reading when it died is read again by the sweep, a bounded number of times."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import close_old_connections
from django.db import connection as db
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from connections.runtime import PROCESS
from coverage.models import AcquisitionBatch
from coverage.pipeline.background import MAX_READ_ATTEMPTS, READ_TASK, reading, retry_reading
from coverage.pipeline.reread import preview_reread
from coverage.pipeline.sweep import Sweeper

from .conftest import fixture, run_worker

Status = AcquisitionBatch.Status
SEMANTIC = "google_timeline/semantic_2023_AUGUST.json"
ROOT = Path(__file__).resolve().parents[2]


def _upload(owner_client) -> AcquisitionBatch:
    path = fixture(SEMANTIC)
    owner_client.post("/sources/timeline/upload/", {"artifact": SimpleUploadedFile(path.name, path.read_bytes())})
    return AcquisitionBatch.objects.get()


def _dead_reader() -> str:
    """The name a reader that has ended leaves behind: a real process of this host, already gone."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return f"{PROCESS.partition(':')[0]}:{child.pid}:0"


def _read_tasks(batch_id: int, status: str) -> int:
    return sum(
        1
        for args in DBTaskResult.objects.filter(task_path=READ_TASK, status=status).values_list("args_kwargs", flat=True)
        if (args or {}).get("args") == [batch_id]
    )


def _reader_died_mid_file(batch: AcquisitionBatch, attempts: int) -> None:
    """What a worker killed while reading leaves: its claim, its task row running, a count read so far."""
    DBTaskResult.objects.filter(task_path=READ_TASK).update(status="RUNNING")
    AcquisitionBatch.objects.filter(pk=batch.pk).update(read_by=_dead_reader(), read_attempts=attempts, progress=1200)


@pytest.mark.django_db(transaction=True)
def test_a_preview_whose_reader_died_is_read_again_by_the_sweep(owner_client, timeline, read_in_background):
    batch = _upload(owner_client)
    _reader_died_mid_file(batch, attempts=1)

    swept = Sweeper()(timezone.now())

    batch.refresh_from_db()
    assert swept["reading"] == [batch.pk]
    assert batch.is_reading and batch.read_by == "" and batch.status == Status.PREVIEW
    assert _read_tasks(batch.pk, "READY") == 1 and _read_tasks(batch.pk, "RUNNING") == 0
    page = owner_client.get(f"/receipts/{batch.pk}/").content.decode()
    assert "Reading the file…" in page or "so far" in page

    run_worker()

    batch.refresh_from_db()
    assert batch.status == Status.PREVIEW and batch.is_measured and batch.count_parsed > 0
    assert batch.read_attempts == 2 and batch.read_by == ""


@pytest.mark.django_db(transaction=True)
def test_a_preview_read_by_a_live_worker_is_left_alone(owner_client, timeline, read_in_background):
    batch = _upload(owner_client)
    DBTaskResult.objects.filter(task_path=READ_TASK).update(status="RUNNING")
    AcquisitionBatch.objects.filter(pk=batch.pk).update(read_by=PROCESS, read_attempts=1)
    holding, done = threading.Event(), threading.Event()

    def reader():  # PostgreSQL: a live reader holds the batch's lock from its own session
        try:
            with reading(batch.pk):
                AcquisitionBatch.objects.filter(pk=batch.pk).update(read_by=PROCESS)
                holding.set()
                done.wait(30)
        finally:
            close_old_connections()

    thread = threading.Thread(target=reader) if db.vendor == "postgresql" else None
    if thread is not None:
        thread.start()
        assert holding.wait(30)
    try:
        assert Sweeper()(timezone.now())["reading"] == []
    finally:
        done.set()
        if thread is not None:
            thread.join()
    batch.refresh_from_db()
    assert _read_tasks(batch.pk, "READY") == 0 and batch.status == Status.PREVIEW and batch.is_reading


@pytest.mark.django_db(transaction=True)
def test_a_preview_whose_task_vanished_before_any_reading_is_read_again(owner_client, timeline, read_in_background):
    batch = _upload(owner_client)
    DBTaskResult.objects.filter(task_path=READ_TASK).delete()  # the queue lost it

    assert Sweeper()(timezone.now())["reading"] == []  # a minute's grace: the task may be on its way
    later = timezone.now() + timedelta(minutes=5)
    assert Sweeper()(later)["reading"] == [batch.pk]
    assert _read_tasks(batch.pk, "READY") == 1


@pytest.mark.django_db(transaction=True)
def test_a_file_whose_reading_stopped_too_often_is_set_aside_with_its_file_kept(
    owner_client, timeline, read_in_background
):
    batch = _upload(owner_client)
    _reader_died_mid_file(batch, attempts=MAX_READ_ATTEMPTS)

    Sweeper()(timezone.now())

    batch.refresh_from_db()
    assert batch.status == Status.REJECTED and not batch.is_reading
    assert batch.reject_reason == "reading_stopped"
    assert batch.reject_detail.startswith(f"Reading this file stopped {MAX_READ_ATTEMPTS} times before the end")
    assert "file is kept" in batch.reject_detail
    assert _read_tasks(batch.pk, "READY") == 0 and _read_tasks(batch.pk, "RUNNING") == 0
    assert batch.artifact_name and default_storage.exists(batch.artifact_name)
    page = owner_client.get(f"/receipts/{batch.pk}/").content.decode()
    assert "This file could not be imported" in page and "stopped 3 times" in page
    assert f'href="/receipts/{batch.pk}/original/"' in page or "Download the file you uploaded" in page

    # The kept file can be read once more, from the start.
    retry_reading(batch)
    run_worker()
    batch.refresh_from_db()
    assert batch.status == Status.PREVIEW and batch.is_measured and batch.count_parsed > 0


def _records_json(path: Path, points: int) -> Path:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    with path.open("w") as fh:
        fh.write('{"locations": [')
        for i in range(points):
            at = start + timedelta(seconds=37 * i)
            fh.write(f'{"," if i else ""}{{"latitudeE7": {525200000 + i % 9000}, "longitudeE7": '
                     f'{134049000 + i % 7000}, "timestamp": "{at:%Y-%m-%dT%H:%M:%SZ}"}}')
        fh.write("]}")
    return path


def _worker_env(storage_root: Path) -> dict:
    s = db.settings_dict
    url = (f"postgres://{quote(s['USER'])}:{quote(s['PASSWORD'])}@{s['HOST'] or '127.0.0.1'}:"
           f"{s['PORT'] or 5432}/{s['NAME']}")
    return {**os.environ, "DATABASE_URL": url, "ARTIFACT_ROOT": str(storage_root),
            "TASKS_BACKEND": "django_tasks_db.DatabaseBackend", "OWNERHUB_BACKGROUND_PREVIEW_BYTES": "0"}


def _worker(env) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


@pytest.mark.skipif(db.vendor != "postgresql", reason="a separate worker process needs a shared server database")
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_reading_a_big_file_leaves_a_preview_the_next_sweep_reads_again(
    owner_client, timeline, tmp_path, artifact_root, settings
):
    settings.OWNERHUB_BACKGROUND_PREVIEW_BYTES = 0
    path = _records_json(tmp_path / "Records.json", 300_000)
    with path.open("rb") as fh:
        owner_client.post("/sources/timeline/upload/", {"artifact": SimpleUploadedFile("Records.json", fh.read())})
    batch = AcquisitionBatch.objects.get()
    assert batch.is_reading
    worker = _worker(_worker_env(artifact_root))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and worker.poll() is None:
        batch.refresh_from_db()
        if batch.read_by and batch.progress:
            break
        time.sleep(0.02)
    assert worker.poll() is None, "the worker finished before it could be killed"
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    batch.refresh_from_db()
    assert batch.is_reading and batch.read_by  # Reading… with nobody reading

    assert Sweeper()(timezone.now())["reading"] == [batch.pk]

    worker = _worker(_worker_env(artifact_root))
    assert worker.wait(timeout=300) == 0, worker.stderr.read().decode()
    batch.refresh_from_db()
    assert batch.status == Status.PREVIEW and batch.is_measured and batch.count_parsed == 300_000
    assert batch.read_attempts == 2 and batch.read_by == ""


@pytest.mark.django_db(transaction=True)
def test_an_import_read_again_whose_reading_stopped_too_often_says_the_import_is_as_it_was(
    owner_client, timeline, read_in_background
):
    """Reading an import again (a new zone, a better reader) set aside after the worker stopped three times
    does not tell the owner to upload a file: the import stands, and the reading is offered once more."""
    old = _upload(owner_client)
    run_worker()  # reads it
    owner_client.post(f"/receipts/{old.pk}/import/")
    run_worker()  # imports it
    old.refresh_from_db()
    assert old.status == Status.COMMITTED
    reading_again = preview_reread(old, in_background=True)
    assert reading_again.is_reading
    _reader_died_mid_file(reading_again, attempts=MAX_READ_ATTEMPTS)

    Sweeper()(timezone.now())

    reading_again.refresh_from_db()
    assert (reading_again.status, reading_again.reject_reason) == (Status.REJECTED, "reading_stopped")
    said = reading_again.reject_detail
    assert said.startswith(f"Reading this import again stopped {MAX_READ_ATTEMPTS} times before the end")
    assert "The import is as it was" in said and "upload" not in said
    old.refresh_from_db()
    assert old.status == Status.COMMITTED and not (old.options or {}).get("superseded_by")
    offered_again = preview_reread(old, in_background=True)
    assert offered_again.pk != reading_again.pk and offered_again.is_reading
