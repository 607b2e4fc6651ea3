"""An interrupted import must never block a file (issue 16).

A preview cut off mid-parse, a commit killed midway, a commit that fails for good: each
leaves a batch the owner can see through, and the same file can always be imported again.
The real-kill tests run ``manage.py import_artifact`` as a separate process against the test
database and SIGKILL it, so they need PostgreSQL (skipped on SQLite, like test_crash_safety).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.db import connection as db

from connections.models import Connection
from coverage import pipeline
from coverage.models import AcquisitionBatch, CoverageSummary, Record
from coverage.pipeline import (
    CommitRefused,
    commit,
    land_batch,
    preview_artifact,
    staging,
    start_commit,
    summaries,
)
from coverage.pipeline import preview as preview_stage
from tests.coverage.conftest import idle_tasks, immediate_tasks, staged_rows  # noqa: F401 - fixtures

ROOT = Path(__file__).resolve().parents[2]
Status = AcquisitionBatch.Status

needs_postgres = pytest.mark.skipif(
    db.vendor != "postgresql",
    reason="a killed process needs a shared server database; run this file with DATABASE_URL on PostgreSQL",
)


class Interrupted(KeyboardInterrupt):
    """The owner pressed Ctrl-C (or the process was told to stop) while Ownerhub worked."""


@pytest.fixture
def timeline(owner) -> Connection:
    return Connection.objects.create(owner=owner, connector="google_timeline", slug="timeline", name="My Timeline")


def timeline_file(path: Path, points: int) -> Path:
    """A Google Timeline ``Records.json`` with ``points`` distinct points, 37 s apart."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    with path.open("w") as fh:
        fh.write('{"locations": [')
        for i in range(points):
            at = start + timedelta(seconds=37 * i)
            fh.write(f'{"," if i else ""}{{"latitudeE7": {525200000 + i % 9000}, "longitudeE7": '
                     f'{134049000 + i % 7000}, "timestamp": "{at:%Y-%m-%dT%H:%M:%SZ}"}}')
        fh.write("]}")
    return path


def preview_of(connection, path: Path, **kwargs) -> AcquisitionBatch:
    with path.open("rb") as fh:
        return preview_artifact(connection, fh, path.name, **kwargs)


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def small_chunks(monkeypatch):
    """Stage and report every 1,000 records, so a few thousand points make several chunks."""
    monkeypatch.setattr(staging, "STAGE_CHUNK", 1_000)
    monkeypatch.setattr(staging, "PROGRESS_EVERY", 1_000)


def _stop_at(items: int):
    def progress(phase: str, read: int) -> None:
        if phase == "parsing" and read >= items:
            raise Interrupted
    return progress


# --- 1. a preview cut off mid-parse ---------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.usefixtures("immediate_tasks", "small_chunks")
def test_interrupted_preview_cannot_be_committed_and_the_file_can_be_previewed_again(timeline, tmp_path, client):
    path = timeline_file(tmp_path / "Records.json", 5_000)
    with pytest.raises(Interrupted):
        preview_of(timeline, path, progress=_stop_at(3_000))
    cut = AcquisitionBatch.objects.get()
    assert cut.status == Status.PREVIEW and staged_rows(cut.pk) > 0  # half of the file is staged

    with pytest.raises(CommitRefused, match="not read to the end"):
        start_commit(cut)
    client.force_login(timeline.owner)
    response = client.post(f"/api/owner/previews/{cut.pk}/commit")
    assert response.status_code == 409
    assert "not read to the end" in response.json()["detail"]
    cut.refresh_from_db()
    assert cut.status == Status.PREVIEW and Record.objects.count() == 0
    receipt = client.get(f"/api/owner/batches/{cut.pk}").json()
    assert "not been read to the end" in receipt["sentence"]
    assert receipt["next_action"]["kind"] == "add_artifact"  # upload it again, never "Import"

    again = preview_of(timeline, path)
    assert again.status == Status.PREVIEW and again.count_accepted == 5_000
    landed = start_commit(again)
    landed.refresh_from_db()
    assert landed.status == Status.COMMITTED
    assert (landed.count_accepted, landed.count_duplicate) == (5_000, 0)
    assert Record.objects.count() == 5_000


@pytest.mark.django_db
@pytest.mark.usefixtures("immediate_tasks", "small_chunks")
def test_an_answer_cut_off_mid_parse_leaves_a_preview_that_cannot_be_committed(timeline, tmp_path):
    path = timeline_file(tmp_path / "Records.json", 5_000)
    batch = preview_of(timeline, path)
    assert batch.status == Status.PREVIEW and "deduplicated" in batch.phases

    # Reading the file again (as answering a question does) and stopping halfway.
    with pytest.raises(Interrupted):
        preview_stage.parse_and_measure(batch, preview_stage.artifact_parser(timeline.manifest), _stop_at(2_000))

    with pytest.raises(CommitRefused):
        start_commit(batch.pk)


@pytest.mark.django_db
@pytest.mark.usefixtures("idle_tasks")
def test_a_commit_stuck_from_an_old_cut_off_preview_lands_the_whole_stored_file(timeline, tmp_path, monkeypatch):
    """A batch an older Ownerhub flipped to committing with half a preview: the commit reads the file again."""
    path = timeline_file(tmp_path / "Records.json", 3_000)
    monkeypatch.setattr(staging, "STAGE_CHUNK", 1_000)
    monkeypatch.setattr(staging, "PROGRESS_EVERY", 1_000)
    with pytest.raises(Interrupted):
        preview_of(timeline, path, progress=_stop_at(2_000))
    stuck = AcquisitionBatch.objects.get()
    AcquisitionBatch.objects.filter(pk=stuck.pk).update(status=Status.COMMITTING)  # what the old code allowed

    landed = land_batch(stuck.pk)

    assert landed.status == Status.COMMITTED
    assert (landed.count_parsed, landed.count_accepted, landed.count_duplicate) == (3_000, 3_000, 0)
    assert Record.objects.count() == 3_000 == CoverageSummary.objects.get().record_count


def _env() -> dict:
    s = db.settings_dict
    url = (f"postgres://{quote(s['USER'])}:{quote(s['PASSWORD'])}@{s['HOST'] or '127.0.0.1'}:"
           f"{s['PORT'] or 5432}/{s['NAME']}")
    return {**os.environ, "DATABASE_URL": url, "TASKS_BACKEND": "django_tasks_db.DatabaseBackend"}


def _import_process(owner, path: Path, *more: str) -> subprocess.Popen:
    args = [sys.executable, "manage.py", "import_artifact", "timeline", str(path), "--owner", owner.username,
            "--json", *more]
    return subprocess.Popen(args, cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _kill_when(process: subprocess.Popen, ready, timeout: float = 120) -> bool:
    """SIGKILL ``process`` as soon as ``ready()`` holds; whether it was still running then."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if ready():
            process.send_signal(signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.02)
    process.wait()
    return False


@pytest.fixture
def shared_storage(settings, artifact_root, monkeypatch):
    """The subprocess stores artifacts where this test reads them."""
    monkeypatch.setenv("ARTIFACT_ROOT", str(artifact_root))
    return artifact_root


@needs_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("shared_storage", "immediate_tasks")
def test_preview_killed_mid_parse_is_refused_and_the_same_file_imports_again(owner, timeline, tmp_path):
    points = 300_000
    path = timeline_file(tmp_path / "Records.json", points)
    process = _import_process(owner, path, "--preview")

    def half_staged() -> bool:
        batch = AcquisitionBatch.objects.filter(connection=timeline).first()
        return batch is not None and staged_rows(batch.pk) > 0

    assert _kill_when(process, half_staged), process.stderr.read().decode()
    cut = AcquisitionBatch.objects.get()
    assert cut.status == Status.PREVIEW and 0 < staged_rows(cut.pk) < points

    with pytest.raises(CommitRefused):
        start_commit(cut, enqueue=False)

    again = preview_of(timeline, path)
    assert again.status == Status.PREVIEW and again.count_accepted == points
    landed = land_batch(start_commit(again, enqueue=False).pk)
    assert landed.status == Status.COMMITTED and landed.count_accepted == points
    assert Record.objects.count() == points
    cut_id = cut.pk
    assert pipeline.discard_preview(cut, "expired")  # what the worker's sweep does with an abandoned preview
    assert staged_rows(cut_id) == 0 and staged_rows(again.pk) == 0


# --- 2. a duplicate only of a committed batch -----------------------------------------------------
@pytest.mark.django_db
@pytest.mark.usefixtures("idle_tasks")
def test_a_file_whose_import_is_unfinished_is_not_a_duplicate_of_it(timeline, tmp_path):
    path = timeline_file(tmp_path / "Records.json", 500)
    waiting = start_commit(preview_of(timeline, path))
    assert waiting.status == Status.COMMITTING  # no worker has taken it yet

    again = preview_of(timeline, path)

    assert again.status == Status.PREVIEW and again.duplicate_of_id is None
    assert again.count_accepted == 500


@pytest.mark.django_db
@pytest.mark.usefixtures("immediate_tasks")
def test_a_file_whose_import_failed_can_be_uploaded_again(timeline, tmp_path):
    path = timeline_file(tmp_path / "Records.json", 500)
    failed = preview_of(timeline, path)
    AcquisitionBatch.objects.filter(pk=failed.pk).update(status=Status.FAILED, failure_reason="x")

    again = preview_of(timeline, path)

    assert again.status == Status.PREVIEW
    assert start_commit(again).status == Status.COMMITTED
    assert Record.objects.count() == 500


# --- 3. import_artifact killed during its commit ---------------------------------------------------
@pytest.mark.django_db
@pytest.mark.usefixtures("immediate_tasks")
def test_running_import_artifact_again_after_a_killed_commit_lands_it(timeline, tmp_path, monkeypatch):
    path = timeline_file(tmp_path / "Records.json", 800)
    real_land = commit.land_chunk

    def killed(*args, **kwargs):
        raise Interrupted

    monkeypatch.setattr(commit, "land_chunk", killed)
    with pytest.raises(Interrupted):
        run("import_artifact", "timeline", str(path))
    stuck = AcquisitionBatch.objects.get()
    assert stuck.status == Status.COMMITTING and Record.objects.count() == 0
    monkeypatch.setattr(commit, "land_chunk", real_land)

    out = run("import_artifact", "timeline", str(path), "--json")

    receipt = json.loads(out)
    assert receipt["status"] == "committed"
    assert receipt["counts"]["accepted"] == 800
    assert Record.objects.count() == 800
    assert AcquisitionBatch.objects.filter(status=Status.COMMITTED).count() == 1


@needs_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("shared_storage", "immediate_tasks")
def test_import_artifact_killed_mid_commit_then_run_again_prints_the_real_receipt(owner, timeline, tmp_path):
    points = 200_000
    path = timeline_file(tmp_path / "Records.json", points)
    process = _import_process(owner, path)

    def committing() -> bool:
        return AcquisitionBatch.objects.filter(connection=timeline, status=Status.COMMITTING).exists()

    assert _kill_when(process, committing), process.stderr.read().decode()
    time.sleep(0.3)  # the server notices the dead client and rolls its transaction back
    assert Record.objects.count() == 0

    again = _import_process(owner, path)
    out, err = again.communicate(timeout=300)

    assert again.returncode == 0, err.decode()
    receipt = json.loads(out)
    assert receipt["status"] == "committed" and receipt["counts"]["accepted"] == points
    assert Record.objects.count() == points
    assert AcquisitionBatch.objects.filter(status=Status.COMMITTED).count() == 1


# --- 4. a commit that failed for good --------------------------------------------------------------
def _broken(*args, **kwargs):
    raise RuntimeError("disk full")


@pytest.mark.django_db
@pytest.mark.usefixtures("immediate_tasks")
def test_a_commit_that_fails_every_time_is_failed_with_a_reason_and_a_try_again(timeline, tmp_path, client,
                                                                                 monkeypatch):
    path = timeline_file(tmp_path / "Records.json", 600)
    batch = start_commit(preview_of(timeline, path), enqueue=False)
    monkeypatch.setattr(summaries, "update_summary", _broken)

    failed = land_batch(batch.pk)

    assert failed.status == Status.FAILED and failed.commit_attempts == pipeline.MAX_COMMIT_ATTEMPTS
    assert Record.objects.count() == 0
    client.force_login(timeline.owner)
    receipt = client.get(f"/api/owner/batches/{batch.pk}").json()
    assert receipt["status"] == "failed"
    assert "Nothing from it was saved" in receipt["failure_reason"] and "disk full" not in json.dumps(receipt)
    assert receipt["sentence"].startswith("This import did not finish.")
    assert (receipt["next_action"]["kind"], receipt["next_action"]["label"]) == ("retry", "Try again now")
    assert json.loads(run("receipt", str(batch.pk), "--json")) == receipt  # CLI and API say the same

    card = client.get("/api/owner/connections/timeline").json()
    retry = card["actions"][0]
    assert (retry["kind"], retry["label"], retry["method"], retry["urgency"]) == ("retry", "Try again now", "POST",
                                                                                  "now")
    assert card["advisories"][0]["kind"] == "failed_import"
    assert "Records.json" in card["advisories"][0]["detail"]

    # The same file may be uploaded again: the failed import does not make it a duplicate.
    again = preview_of(timeline, path)
    assert again.status == Status.PREVIEW

    monkeypatch.setattr(summaries, "update_summary", _update_summary)
    response = client.post(f"/api/owner/batches/{batch.pk}/retry")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "committed" and response.json()["counts"]["accepted"] == 600
    assert start_commit(again).status == Status.DUPLICATE
    assert Record.objects.count() == 600
    assert client.get("/api/owner/connections/timeline").json()["actions"][0]["kind"] != "retry"


_update_summary = summaries.update_summary


@pytest.mark.django_db
@pytest.mark.usefixtures("immediate_tasks")
def test_try_again_on_the_card_imports_the_failed_file(timeline, tmp_path, client, monkeypatch):
    path = timeline_file(tmp_path / "Records.json", 300)
    batch = start_commit(preview_of(timeline, path), enqueue=False)
    monkeypatch.setattr(summaries, "update_summary", _broken)
    land_batch(batch.pk)
    monkeypatch.undo()
    client.force_login(timeline.owner)
    page = client.get("/").content.decode()
    assert 'action="/sources/timeline/import/retry/"' in page and "Try again now" in page
    receipt_page = client.get(f"/receipts/{batch.pk}/").content.decode()
    assert "This import did not finish" in receipt_page and f'action="/receipts/{batch.pk}/retry/"' in receipt_page
    assert "carries on" not in receipt_page

    response = client.post("/sources/timeline/import/retry/")

    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == Status.COMMITTED and Record.objects.count() == 300


@pytest.mark.django_db
@pytest.mark.usefixtures("immediate_tasks")
def test_import_artifact_says_why_when_the_commit_fails_for_good(timeline, tmp_path, monkeypatch):
    from django.core.management import CommandError

    path = timeline_file(tmp_path / "Records.json", 300)
    monkeypatch.setattr(summaries, "update_summary", _broken)

    with pytest.raises(CommandError, match="did not finish") as stopped:
        run("import_artifact", "timeline", str(path))

    assert stopped.value.returncode == 1
    assert AcquisitionBatch.objects.get().status == Status.FAILED


# --- 5. a receipt that waits for a worker that is down ---------------------------------------------
@pytest.mark.django_db
@pytest.mark.usefixtures("idle_tasks")
def test_a_receipt_waiting_for_a_stopped_worker_says_so(timeline, tmp_path, client, settings):
    from django.utils import timezone

    from connections.runtime import beat

    path = timeline_file(tmp_path / "Records.json", 200)
    batch = start_commit(preview_of(timeline, path))
    assert batch.status == Status.COMMITTING
    client.force_login(timeline.owner)
    stale = timezone.now() - timedelta(seconds=3 * settings.OWNERHUB_WORKER_HEARTBEAT_SECONDS)
    beat(stale)  # the worker's last sign of life is too old: it is down

    receipt = client.get(f"/api/owner/batches/{batch.pk}").json()

    assert receipt["waiting_for_worker"] is True
    assert receipt["next_action"]["kind"] == "wait_for_worker"
    assert "not running" in receipt["next_action"]["detail"]
    assert json.loads(run("receipt", str(batch.pk), "--json")) == receipt
    page = client.get(f"/receipts/{batch.pk}/").content.decode()
    assert "waits for the background worker" in page and "the import carries on" not in page

    beat(timezone.now())  # the worker is back
    receipt = client.get(f"/api/owner/batches/{batch.pk}").json()
    assert receipt["waiting_for_worker"] is False and receipt["next_action"] is None


@pytest.mark.django_db
@pytest.mark.usefixtures("idle_tasks")
def test_a_file_waiting_for_a_stopped_worker_to_read_it_says_so_and_is_no_preview_yet(timeline, tmp_path, client,
                                                                                       settings):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from connections.runtime import beat

    settings.OWNERHUB_BACKGROUND_PREVIEW_BYTES = 0  # every upload is read by the worker, as a large one is
    path = timeline_file(tmp_path / "Records.json", 200)
    client.force_login(timeline.owner)
    client.post(f"/sources/{timeline.slug}/upload/", {"artifact": SimpleUploadedFile(path.name, path.read_bytes())})
    batch = AcquisitionBatch.objects.get()
    assert batch.is_reading
    stale = timezone.now() - timedelta(seconds=3 * settings.OWNERHUB_WORKER_HEARTBEAT_SECONDS)
    beat(stale)  # the worker is down

    receipt = client.get(f"/api/owner/batches/{batch.pk}").json()
    assert receipt["waiting_for_worker"] is True and receipt["next_action"]["kind"] == "wait_for_worker"
    page = client.get(f"/receipts/{batch.pk}/").content.decode()
    assert "waits for the background worker to read it" in page and "the file is read in the background" not in page
    card = client.get(f"/api/owner/connections/{timeline.slug}").json()
    assert card["work"]["previews"]["text"] == "1 file being read"  # no preview to look at yet

    beat(timezone.now())  # the worker is back
    receipt = client.get(f"/api/owner/batches/{batch.pk}").json()
    assert receipt["waiting_for_worker"] is False and receipt["next_action"] is None


@pytest.mark.django_db
@pytest.mark.usefixtures("immediate_tasks")
def test_trying_a_failed_import_again_reads_the_stored_file_when_its_staged_rows_were_swept(timeline, tmp_path,
                                                                                          monkeypatch):
    path = timeline_file(tmp_path / "Records.json", 400)
    batch = start_commit(preview_of(timeline, path), enqueue=False)
    monkeypatch.setattr(summaries, "update_summary", _broken)
    assert land_batch(batch.pk).status == Status.FAILED
    monkeypatch.undo()
    pipeline.discard_staging(batch)  # the worker's sweep drops staged rows nothing will land
    assert staged_rows(batch.pk) == 0

    landed = pipeline.retry_commit(batch)

    landed.refresh_from_db()
    assert landed.status == Status.COMMITTED
    assert (landed.count_accepted, landed.count_duplicate, landed.data_changed) == (400, 0, False)
    assert Record.objects.count() == 400


@pytest.mark.django_db
@pytest.mark.usefixtures("immediate_tasks")
def test_uploading_a_failed_file_again_imports_it_and_the_try_again_goes(timeline, tmp_path, client, monkeypatch):
    path = timeline_file(tmp_path / "Records.json", 300)
    failed = start_commit(preview_of(timeline, path), enqueue=False)
    monkeypatch.setattr(summaries, "update_summary", _broken)
    assert land_batch(failed.pk).status == Status.FAILED
    monkeypatch.undo()
    client.force_login(timeline.owner)
    assert client.get("/api/owner/connections/timeline").json()["actions"][0]["kind"] == "retry"

    landed = start_commit(preview_of(timeline, path))

    assert landed.status == Status.COMMITTED and Record.objects.count() == 300
    failed.refresh_from_db()
    assert failed.status == Status.DUPLICATE and failed.duplicate_of_id == landed.pk
    card = client.get("/api/owner/connections/timeline").json()
    assert "retry" not in [a["kind"] for a in card["actions"]]
    assert "failed_import" not in [a["kind"] for a in card["advisories"]]
