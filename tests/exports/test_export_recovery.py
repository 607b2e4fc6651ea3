"""An export whose worker died is built again: the owner is never left with "Being prepared" for ever.

Each scenario leaves an export and its task rows as a worker would (alive, killed before or while
building, on this host or another), then runs one round of the real worker loop with the jobs the
apps registered: the queue's rows of stopped workers are marked failed, and an export nothing is
building any more is enqueued again and built. One that stopped its worker three times fails, so
the owner can ask again.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from connections.runtime import PROCESS, ROUND_JOBS, WorkerLoop
from exports import services
from exports.models import Export
from exports.recovery import MAX_ATTEMPTS, TASK_PATH
from exports.tasks import build_export
from tests.factories import ExportFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]

HOST = PROCESS.partition(":")[0]
STOPPED_HERE = f"{HOST}:{os.getpid()}:an-earlier-start"  # this pid, an earlier process: that one is gone
ALIVE_HERE = PROCESS
ELSEWHERE = "another-host:4242:12345"  # a worker whose life cannot be told from here


@dataclass(frozen=True)
class Row:
    """A task row of the export's build, as the queue keeps it."""

    status: str  # READY, RUNNING, FAILED, SUCCESSFUL
    worker: str = ""
    started_ago: timedelta = timedelta(minutes=3)


def test_the_recovery_names_the_build_task_as_the_queue_does():
    assert TASK_PATH == build_export.module_path


def test_registering_the_recovery_loads_neither_the_archive_writer_nor_the_owner_api():
    """Every process starts the apps (a worker, a command): the job must not cost each of them the
    15 MB of ninja and pydantic the archive writer brings in through the records API."""
    started = subprocess.run(
        [sys.executable, "-c", "import sys, django; django.setup(); "
         "print(sorted(m for m in ('exports.recovery', 'exports.archive', 'ninja', 'pydantic') if m in sys.modules))"],
        cwd=ROOT, env={**os.environ, "DJANGO_SETTINGS_MODULE": "ownerhub.settings"},
        capture_output=True, text=True, check=True, timeout=120,
    )
    assert started.stdout.split("\n")[-2] == "['exports.recovery']"


def _task_row(export: Export, row: Row, now: datetime) -> None:
    DBTaskResult.objects.create(
        status=row.status,
        args_kwargs={"args": [export.pk], "kwargs": {}},
        task_path=TASK_PATH,
        worker_ids=[row.worker] if row.worker else [],
        queue_name="default",
        backend_name="default",
        run_after=now - timedelta(minutes=5),
        started_at=now - row.started_ago if row.status != "READY" else None,
        finished_at=now if row.status in ("FAILED", "SUCCESSFUL") else None,
        exception_class_path="",
        traceback="",
    )


def _round(django_capture_on_commit_callbacks) -> None:
    """One round of the worker loop with the jobs the apps registered (and the queue's own)."""
    with django_capture_on_commit_callbacks(execute=True):
        WorkerLoop(interval=0, jobs={"exports.recover": ROUND_JOBS["exports.recover"]}).round()


@pytest.fixture
def tasks_at_once(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


SCENARIOS = {
    # name: (status, rows, asked how long ago, what the owner then sees)
    "killed while building": (Export.Status.BUILDING, [Row("RUNNING", STOPPED_HERE)], 5, Export.Status.READY),
    "killed before it began": (Export.Status.QUEUED, [Row("RUNNING", STOPPED_HERE)], 5, Export.Status.READY),
    "its task row was lost": (Export.Status.QUEUED, [], 5, Export.Status.READY),
    "silent on another host for three hours": (
        Export.Status.BUILDING, [Row("RUNNING", ELSEWHERE, timedelta(hours=3))], 200, Export.Status.READY),
    "killed once before, killed again": (
        Export.Status.BUILDING, [Row("FAILED", STOPPED_HERE), Row("RUNNING", STOPPED_HERE)], 9, Export.Status.READY),
    "being built by a live worker": (Export.Status.BUILDING, [Row("RUNNING", ALIVE_HERE)], 5, Export.Status.BUILDING),
    "running on another host for an hour": (
        Export.Status.BUILDING, [Row("RUNNING", ELSEWHERE, timedelta(hours=1))], 61, Export.Status.BUILDING),
    "waiting in the queue": (Export.Status.QUEUED, [Row("READY")], 5, Export.Status.QUEUED),
    "asked for a moment ago": (Export.Status.QUEUED, [], 0, Export.Status.QUEUED),
    "stopped its worker three times": (
        Export.Status.BUILDING, [Row("FAILED", STOPPED_HERE)] * (MAX_ATTEMPTS - 1) + [Row("RUNNING", STOPPED_HERE)],
        30, Export.Status.FAILED),
}


@pytest.mark.parametrize("name", SCENARIOS)
def test_an_unfinished_export_is_built_again_only_when_nothing_builds_it(
    name, owner, tasks_at_once, django_capture_on_commit_callbacks
):
    status, rows, asked_minutes_ago, then = SCENARIOS[name]
    now = timezone.now()
    export = ExportFactory(owner=owner, status=status, created_at=now - timedelta(minutes=asked_minutes_ago),
                           started_at=None if status == Export.Status.QUEUED else now - timedelta(minutes=3))
    for row in rows:
        _task_row(export, row, now)

    _round(django_capture_on_commit_callbacks)

    export.refresh_from_db()
    assert export.status == then
    if then == Export.Status.READY:
        with default_storage.open(export.file_name) as fh, zipfile.ZipFile(fh) as zf:
            assert zf.testzip() is None and zf.namelist()
    if then == Export.Status.FAILED:
        assert f"stopped {MAX_ATTEMPTS} times" in export.error
        assert services.request_export(owner).pk != export.pk  # the owner can ask again
    if then in (Export.Status.BUILDING, Export.Status.QUEUED):
        assert services.request_export(owner).pk == export.pk  # still the one on its way


def test_an_export_is_enqueued_again_once_however_many_rounds_run(owner, django_capture_on_commit_callbacks, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # queued, not run
    now = timezone.now()
    export = ExportFactory(owner=owner, status=Export.Status.BUILDING, created_at=now - timedelta(minutes=5),
                           started_at=now - timedelta(minutes=3))
    _task_row(export, Row("RUNNING", STOPPED_HERE), now)

    for _ in range(3):
        _round(django_capture_on_commit_callbacks)

    waiting = DBTaskResult.objects.filter(task_path=TASK_PATH, status="READY")
    assert [row.args_kwargs["args"] for row in waiting] == [[export.pk]]
    export.refresh_from_db()
    assert export.status == Export.Status.QUEUED


def test_the_task_rows_of_other_exports_and_of_long_before_are_not_read_as_this_ones(
    owner, tasks_at_once, django_capture_on_commit_callbacks
):
    """The rows are picked by the database (argument, time): another export waiting in the queue
    does not hold this one back, and rows enqueued long before this export was asked for (the
    task table keeps every row) do not count as its stopped builds."""
    now = timezone.now()
    export = ExportFactory(owner=owner, status=Export.Status.BUILDING, created_at=now - timedelta(minutes=5),
                           started_at=now - timedelta(minutes=3))
    other = ExportFactory(owner=owner, status=Export.Status.READY, created_at=now - timedelta(minutes=6))
    _task_row(other, Row("READY"), now)
    for _ in range(MAX_ATTEMPTS):
        _task_row(export, Row("FAILED", STOPPED_HERE), now)
    DBTaskResult.objects.filter(args_kwargs__args__0=export.pk).update(enqueued_at=now - timedelta(days=2))
    _task_row(export, Row("RUNNING", STOPPED_HERE), now)

    _round(django_capture_on_commit_callbacks)

    export.refresh_from_db()
    assert export.status == Export.Status.READY  # built again, not failed by the old rows
