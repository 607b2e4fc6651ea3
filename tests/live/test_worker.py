"""The worker: heartbeat evidence, the schedule loop, and a clean stop on SIGTERM."""

from __future__ import annotations

import ast
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from connections.models import CollectionRun, Condition
from connections.runtime import ROUND_JOBS, WorkerLoop, beat
from coverage.evidence import load_system
from tests.live.conftest import FEED_PATH, ical

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_heartbeat_is_one_row_moving_forward():
    now = timezone.now()
    for i in range(5):
        beat(now + timedelta(seconds=30 * i))
    row = Condition.objects.get(type="worker_heartbeat", connection=None)
    assert row.observed_at == now + timedelta(seconds=120) and row.status == "ready"


def test_old_heartbeat_makes_the_system_unavailable():
    interval = settings.OWNERHUB_WORKER_HEARTBEAT_SECONDS
    now = timezone.now()
    assert load_system(now).worker.state == "unknown"
    beat(now)
    assert load_system(now + timedelta(seconds=2 * interval)).state == "healthy"
    late = load_system(now + timedelta(seconds=2 * interval + 1))
    assert late.state == "degraded" and late.worker.state == "unavailable"
    assert "has not reported since" in late.headline


@pytest.mark.django_db(transaction=True)
def test_worker_loop_beats_and_pulls_what_is_due(calendar, httpserver):
    httpserver.expect_request(FEED_PATH).respond_with_data(ical("calendar.ics"), content_type="text/calendar")
    loop = WorkerLoop(0.05)
    loop.start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not CollectionRun.objects.filter(connection=calendar).exists():
            time.sleep(0.05)
    finally:
        loop.stop()
        loop.join(10)
    assert not loop.is_alive()
    assert CollectionRun.objects.get(connection=calendar).outcome == "success"  # pulled once: next due in 1 h
    assert load_system().state == "healthy"


def test_worker_command_beats_then_stops_cleanly_on_sigterm(tmp_path):
    env = {**os.environ, "OWNERHUB_VAR_DIR": str(tmp_path), "OWNERHUB_WORKER_HEARTBEAT_SECONDS": "1"}
    env.pop("DATABASE_URL", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=120)
    worker = subprocess.Popen([*manage, "worker", "--heartbeat-seconds", "0.2", "--no-startup-delay", "-v0"],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        beats = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(set(beats)) < 2:
            with sqlite3.connect(tmp_path / "ownerhub.sqlite3") as db:
                rows = db.execute(
                    "SELECT observed_at FROM connections_condition WHERE type = 'worker_heartbeat'"
                ).fetchall()
            assert len(rows) <= 1  # one row, updated
            beats += [r[0] for r in rows]
            time.sleep(0.1)
        assert len(set(beats)) >= 2, worker.stderr.read1().decode() if worker.poll() is not None else "no beats"
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=15) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()


def test_the_worker_loop_takes_its_jobs_from_the_apps_and_imports_nothing_from_coverage():
    assert "coverage.recover_commits" in ROUND_JOBS  # registered by the coverage app
    tree = ast.parse((ROOT / "connections" / "runtime.py").read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    assert not {m for m in imported if m and m.split(".")[0] == "coverage"}


@pytest.mark.django_db(transaction=True)
def test_a_worker_that_starts_picks_up_a_commit_whose_worker_is_gone_at_once(owner, settings):
    from django_tasks_db.models import DBTaskResult

    from connections.models import Connection
    from coverage.models import AcquisitionBatch
    from coverage.pipeline import preview_artifact, start_commit

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    chat = Connection.objects.create(owner=owner, connector="whatsapp", slug="chat", name="Chat")
    source = ROOT / "tests" / "fixtures" / "whatsapp" / "android_dayfirst_24h.txt"
    with source.open("rb") as fh:
        batch = start_commit(preview_artifact(chat, fh, "chat.txt"))
    DBTaskResult.objects.get().claim("killed-worker")
    AcquisitionBatch.objects.filter(pk=batch.pk).update(claimed_by=_gone_process(), claimed_at=timezone.now())

    loop = WorkerLoop(3600)  # one round, as the worker starts
    loop.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not DBTaskResult.objects.filter(status="READY").exists():
            time.sleep(0.05)
    finally:
        loop.stop()
        loop.join(10)
    assert sorted(DBTaskResult.objects.values_list("status", flat=True)) == ["FAILED", "READY"]


def _gone_process() -> str:
    """The ``PROCESS`` of a real worker process that has exited."""
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from connections.runtime import PROCESS; print(PROCESS)"],
        cwd=ROOT, env={**os.environ, "DJANGO_SETTINGS_MODULE": "ownerhub.settings"},
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout.strip()


@pytest.mark.django_db(transaction=True)
def test_task_rows_a_killed_worker_left_running_are_marked_failed(settings):
    from django_tasks_db.models import DBTaskResult

    from connections.runtime import PROCESS
    from coverage.tasks import commit_batch

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    killed, live, foreign = (commit_batch.enqueue(n).id for n in (1, 2, 3))
    for task_id, worker in ((killed, _gone_process()), (live, PROCESS), (foreign, "k3j4h5k6j7h8")):
        DBTaskResult.objects.get(pk=task_id).claim(worker)

    WorkerLoop(60, jobs={}).round()

    status = {str(pk): value for pk, value in DBTaskResult.objects.values_list("pk", "status")}
    assert [status[killed], status[live], status[foreign]] == ["FAILED", "RUNNING", "RUNNING"]
    row = DBTaskResult.objects.get(pk=killed)
    assert row.finished_at is not None and "stopped before this task finished" in row.traceback
