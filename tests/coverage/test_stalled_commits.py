"""A commit whose worker died is noticed and enqueued again; a live one is left alone."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection as db
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from connections.runtime import PROCESS
from coverage.models import AcquisitionBatch, Record
from coverage.pipeline import claims, land_batch, preview_artifact, requeue_stalled, start_commit
from tests.coverage.conftest import fixture_path, staged_rows

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


def test_a_commit_left_behind_by_a_dead_worker_is_finished_later(chat, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with fixture_path("whatsapp", "android_dayfirst_24h.txt").open("rb") as source:
        batch = start_commit(preview_artifact(chat, source, "chat.txt"))
    assert batch.status == "committing" and batch.commit_requested_at is not None
    DBTaskResult.objects.all().delete()  # the worker that took the task died with it

    assert requeue_stalled(timezone.now()) == []  # not stalled yet: it may still be running
    later = timezone.now() + timedelta(minutes=11)
    assert requeue_stalled(later) == [batch.pk]
    assert requeue_stalled(later) == []  # asked again just now: not twice in one window
    assert DBTaskResult.objects.count() == 1

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0")
    batch.refresh_from_db()
    assert batch.status == AcquisitionBatch.Status.COMMITTED
    assert Record.objects.count() == 20


def test_a_commit_whose_staged_rows_were_lost_reads_the_stored_file_again(chat, settings):
    """PostgreSQL empties the (unlogged) staging table after a server crash: nothing is lost."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    with fixture_path("whatsapp", "android_dayfirst_24h.txt").open("rb") as source:
        preview = preview_artifact(chat, source, "chat.txt")
    assert preview.count_accepted == 20
    with db.cursor() as cursor:  # what a crash restart does to an unlogged table
        cursor.execute("DELETE FROM coverage_stagedrecord")
    batch = start_commit(preview)
    landed = land_batch(batch.pk)
    assert landed.status == AcquisitionBatch.Status.COMMITTED
    assert (landed.count_accepted, landed.data_changed) == (20, False)
    assert Record.objects.filter(connection=chat).count() == 20
    assert staged_rows() == 0


def test_a_commit_whose_staged_rows_and_file_are_gone_says_the_data_changed(chat, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    with fixture_path("whatsapp", "android_dayfirst_24h.txt").open("rb") as source:
        preview = preview_artifact(chat, source, "chat.txt")
    with db.cursor() as cursor:
        cursor.execute("DELETE FROM coverage_stagedrecord")
    default_storage.delete(preview.artifact_name)
    landed = land_batch(start_commit(preview).pk)
    assert landed.status == AcquisitionBatch.Status.COMMITTED
    assert (landed.count_accepted, landed.data_changed) == (0, True)
    assert Record.objects.filter(connection=chat).count() == 0


# --- a commit whose landing process is gone is picked up at once --------------------------------
def _gone_process() -> str:
    """The claim identity of a worker process that has exited (a real process, reaped)."""
    child = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from connections.runtime import PROCESS; print(PROCESS)"],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=60,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "ownerhub.settings"},
    )
    return child.stdout.strip()


def _queued_commit(chat) -> AcquisitionBatch:
    with fixture_path("whatsapp", "android_dayfirst_24h.txt").open("rb") as source:
        return start_commit(preview_artifact(chat, source, "chat.txt"))


def _task_rows(batch_id: int) -> list[DBTaskResult]:
    return [r for r in DBTaskResult.objects.order_by("enqueued_at") if r.args_kwargs["args"] == [batch_id]]


@pytest.fixture
def db_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_a_commit_whose_worker_process_is_gone_is_enqueued_again_at_once(chat, db_tasks):
    batch = _queued_commit(chat)
    [task] = _task_rows(batch.pk)
    task.claim("killed-worker")  # a worker took the task, claimed the batch, and was killed
    AcquisitionBatch.objects.filter(pk=batch.pk).update(claimed_by=_gone_process(), claimed_at=timezone.now())

    assert requeue_stalled(timezone.now()) == [batch.pk]  # not ten minutes later: now
    assert requeue_stalled(timezone.now()) == []  # once
    old, new = _task_rows(batch.pk)
    assert (old.status, new.status) == ("FAILED", "READY")
    assert old.finished_at is not None and "stopped" in old.traceback  # not RUNNING for ever
    assert old.task_result.errors[0].exception_class.__name__ == "WorkerGone"

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0")
    batch.refresh_from_db()
    assert (batch.status, batch.claimed_by) == ("committed", "")
    assert Record.objects.count() == 20
    assert DBTaskResult.objects.get(pk=new.pk).status == "SUCCESSFUL"


def test_a_commit_a_live_worker_is_landing_is_left_alone(chat, db_tasks):
    batch = _queued_commit(chat)
    [task] = _task_rows(batch.pk)
    task.claim("live-worker")
    holding, release = threading.Event(), threading.Event()

    def live_worker():  # another thread is another database session, like another process
        try:
            with claims.landing(batch.pk):
                holding.set()
                release.wait(30)
        finally:
            db.close()

    thread = threading.Thread(target=live_worker)
    thread.start()
    try:
        assert holding.wait(30)
        assert AcquisitionBatch.objects.get(pk=batch.pk).claimed_by == PROCESS
        assert requeue_stalled(timezone.now() + timedelta(hours=1)) == []  # however long it takes
        assert DBTaskResult.objects.get(pk=task.pk).status == "RUNNING"
    finally:
        release.set()
        thread.join(30)
    assert AcquisitionBatch.objects.get(pk=batch.pk).claimed_by == ""  # let go when done


def test_a_finished_commit_whose_worker_died_before_reporting_leaves_no_running_task(chat, db_tasks):
    batch = _queued_commit(chat)
    [task] = _task_rows(batch.pk)
    task.claim("killed-worker")
    land_batch(batch.pk)  # landed, then killed before the queue heard of it
    AcquisitionBatch.objects.filter(pk=batch.pk).update(claimed_by=_gone_process(), claimed_at=timezone.now())

    assert requeue_stalled(timezone.now()) == []  # nothing to land again
    assert DBTaskResult.objects.get(pk=task.pk).status == "FAILED"
    assert AcquisitionBatch.objects.get(pk=batch.pk).claimed_by == ""


@pytest.mark.skipif(db.vendor != "postgresql", reason="row locks: SQLite locks the whole database instead")
def test_a_commit_a_script_is_landing_without_a_claim_is_left_alone(chat, db_tasks):
    batch = _queued_commit(chat)
    DBTaskResult.objects.all().delete()  # the import command lands it itself: no task
    holding, release = threading.Event(), threading.Event()

    def script():  # land_batch holds the batch row for the whole landing
        try:
            with transaction.atomic():
                AcquisitionBatch.objects.select_for_update().get(pk=batch.pk)
                holding.set()
                release.wait(30)
        finally:
            db.close()

    thread = threading.Thread(target=script)
    thread.start()
    try:
        assert holding.wait(30)
        assert requeue_stalled(timezone.now() + timedelta(hours=1)) == []
    finally:
        release.set()
        thread.join(30)
    assert requeue_stalled(timezone.now() + timedelta(hours=1)) == [batch.pk]  # the script died: picked up


@pytest.mark.skipif(db.vendor != "postgresql", reason="session locks of PostgreSQL")
def test_a_killed_workers_last_query_is_waited_for_briefly_then_its_commit_is_taken_over(chat, db_tasks):
    """The server stops a dead client's query within a second: the worker waits for it instead of a round."""
    batch = _queued_commit(chat)
    AcquisitionBatch.objects.filter(pk=batch.pk).update(claimed_by=_gone_process(), claimed_at=timezone.now())
    holding = threading.Event()

    def dying_session():  # the killed worker's session, still finishing its statement
        try:
            with db.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s, %s)", claims._lock_key(batch.pk))
                holding.set()
                cursor.execute("SELECT pg_sleep(2)")
        finally:
            db.close()

    thread = threading.Thread(target=dying_session)
    thread.start()
    try:
        assert holding.wait(30)
        assert requeue_stalled(timezone.now()) == [batch.pk]
    finally:
        thread.join(30)
