"""Past one machine: two web processes, two workers, one PostgreSQL and an S3 store, all real.

Every process runs in its own working directory with its own ``var`` folder and temporary
folder, so nothing is shared but the database and the object store (moto's S3 server on
127.0.0.1). The owner uploads through web A with an API token, a worker reads the preview,
the commit starts through web A, the worker landing it is killed with SIGKILL, the other
worker finishes it, and web B serves the receipt. The environment below is the README's
production recipe for object storage.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import boto3
import pytest
import requests
from django.db import connection as db
from django_tasks_db.models import DBTaskResult

from connections.models import Connection
from connections.tokens import issue_access_token
from coverage.evidence import load_receipt
from coverage.models import AcquisitionBatch, CoverageSummary, Record
from coverage.serializers import receipt_json

ROOT = Path(__file__).resolve().parents[2]
POINTS = 150_000  # about 13 MB: read in the background, and a commit long enough to be killed inside
BUCKET = "ownerhub-artifacts"
PREFIX = "installation-1"  # a folder in the bucket: the object names are PREFIX/artifacts/...

pytestmark = [
    pytest.mark.skipif(
        db.vendor != "postgresql",
        reason="processes with no shared disk need a server database for data and the task queue (PostgreSQL)",
    ),
    pytest.mark.django_db(transaction=True),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    s = db.settings_dict
    return (f"postgres://{quote(s['USER'])}:{quote(s['PASSWORD'])}@{s['HOST'] or '127.0.0.1'}:"
            f"{s['PORT'] or 5432}/{s['NAME']}")


def readme_s3_settings() -> set[str]:
    """The variable names of the README's object-storage block ("Running in production")."""
    section = (ROOT / "README.md").read_text().split("## Running in production", 1)[1]
    block = next(b for b in re.findall(r"```sh\n(.*?)```", section, re.S) if "OWNERHUB_S3_BUCKET=" in b)
    return set(re.findall(r"^\s*(\w+)=", block, re.M))


def _records_json(path: Path, points: int) -> Path:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    with path.open("w") as fh:
        fh.write('{"locations": [')
        for i in range(points):
            at = start + timedelta(seconds=37 * i)
            fh.write(f'{"," if i else ""}{{"latitudeE7": {525200000 + i % 9000}, '
                     f'"longitudeE7": {134049000 + i % 7000}, "timestamp": "{at:%Y-%m-%dT%H:%M:%SZ}"}}')
        fh.write("]}")
    return path


class Cluster:
    """The processes of one installation; each gets its own folder and nothing else on disk."""

    def __init__(self, base: Path, s3_url: str):
        self.base = base
        s3 = {
            "OWNERHUB_S3_BUCKET": BUCKET,
            "OWNERHUB_S3_ENDPOINT_URL": s3_url,
            "OWNERHUB_S3_REGION": "us-east-1",
            "OWNERHUB_S3_ACCESS_KEY_ID": "testing",
            "OWNERHUB_S3_SECRET_ACCESS_KEY": "testing",
            "OWNERHUB_S3_PREFIX": PREFIX,
        }
        assert set(s3) == readme_s3_settings()  # the README's recipe, no more and no less
        self.shared = {
            "DATABASE_URL": _database_url(),
            "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "SECRET_KEY": "past-one-machine-" + "x" * 40,
            "ALLOWED_HOSTS": "127.0.0.1",
            **s3,
        }
        self.procs: dict[str, subprocess.Popen] = {}

    def env(self, name: str) -> tuple[Path, dict]:
        home = self.base / name
        for sub in ("var", "tmp"):
            (home / sub).mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OWNERHUB_", "ARTIFACT_", "AWS_"))}
        env.update(self.shared, PYTHONPATH=str(ROOT), OWNERHUB_VAR_DIR=str(home / "var"), TMPDIR=str(home / "tmp"),
                   ARTIFACT_ROOT=str(home / "var" / "artifacts"))  # unused with S3: must stay empty
        return home, env

    def start(self, name: str, args: list[str]) -> subprocess.Popen:
        home, env = self.env(name)
        log = (home / "log").open("wb")
        self.procs[name] = subprocess.Popen(args, cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT)
        return self.procs[name]

    def web(self, name: str) -> str:
        port = _free_port()
        self.start(name, [sys.executable, "-m", "waitress", f"--listen=127.0.0.1:{port}", "--threads=4",
                          "--max-request-body-size=104857600", "ownerhub.wsgi:application"])
        return f"http://127.0.0.1:{port}"

    def worker(self, name: str) -> subprocess.Popen:
        return self.start(name, [sys.executable, str(ROOT / "manage.py"), "worker", "--no-startup-delay",
                                 "--interval", "0.1", "--heartbeat-seconds", "1"])

    def log(self, name: str) -> str:
        return (self.base / name / "log").read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait(check, what: str, timeout: float, cluster: Cluster):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, proc in cluster.procs.items():
            assert proc.poll() is None or name == "worker-killed", f"{name} exited:\n{cluster.log(name)}"
        if result := check():
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _up(url: str) -> bool:
    try:
        return requests.get(f"{url}/login/", timeout=10).status_code == 200
    except requests.RequestException:  # not listening, or still starting
        return False


@pytest.fixture
def cluster(tmp_path):
    port = _free_port()
    s3_url = f"http://127.0.0.1:{port}"
    c = Cluster(tmp_path, s3_url)
    c.start("s3", [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)])
    try:
        yield c
    finally:
        c.stop()


def _start(cluster: Cluster):
    """Both webs and both workers, and the bucket; returns (web A, web B, workers, an S3 client)."""
    web_a, web_b = cluster.web("web-a"), cluster.web("web-b")
    workers = {"worker-1": cluster.worker("worker-1"), "worker-2": cluster.worker("worker-2")}
    s3 = boto3.client("s3", endpoint_url=cluster.shared["OWNERHUB_S3_ENDPOINT_URL"], region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    _wait(lambda: _s3_up(s3), "the S3 server", 30, cluster)
    s3.create_bucket(Bucket=BUCKET)
    _wait(lambda: _up(web_a) and _up(web_b), "both web processes", 60, cluster)
    return web_a, web_b, workers, s3


def test_an_upload_through_one_web_is_imported_by_the_workers_and_its_receipt_served_by_the_other(
    owner, tmp_path, cluster
):
    conn = Connection.objects.create(owner=owner, connector="google_timeline", slug="timeline", name="Timeline")
    _, token = issue_access_token(owner)
    auth = {"Authorization": f"Bearer {token}"}
    export = _records_json(tmp_path / "Records.json", POINTS)
    web_a, web_b, workers, s3 = _start(cluster)

    batch = _upload_through_web_a(web_a, auth, export, s3)
    batch_id = batch.pk
    _wait_for_the_workers_preview(web_b, auth, batch_id, cluster)
    survivor = _commit_and_kill_its_claimer(web_a, auth, batch, workers, cluster)
    _the_other_worker_lands_it(batch, workers, survivor, cluster)

    # The records are exact, and both webs serve the same receipt, the one the database holds.
    assert Record.objects.filter(connection=conn).count() == POINTS
    assert Record.delivered_by(batch) == POINTS
    assert CoverageSummary.objects.get(connection=conn).record_count == POINTS
    from_b = requests.get(f"{web_b}/api/owner/batches/{batch_id}", headers=auth, timeout=10)
    from_a = requests.get(f"{web_a}/api/owner/batches/{batch_id}", headers=auth, timeout=10)
    assert from_b.status_code == 200 and from_b.content == from_a.content
    receipt = from_b.json()
    assert receipt == receipt_json(load_receipt(AcquisitionBatch.objects.get(pk=batch_id)))
    assert receipt["status"] == "committed" and receipt["counts"]["accepted"] == POINTS
    # Nothing went to any process's disk: the artifact lives only in the bucket.
    for name in ("web-a", "web-b", "worker-1", "worker-2"):
        assert not any((tmp_path / name / "var" / "artifacts").rglob("*")), name
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]] == [f"{PREFIX}/{batch.artifact_name}"]


def _upload_through_web_a(web_a: str, auth: dict, export: Path, s3) -> AcquisitionBatch:
    # Web A stores the upload in S3; the file is large, so a worker reads the preview.
    with export.open("rb") as fh:
        answer = requests.post(f"{web_a}/api/owner/connections/timeline/previews", headers=auth,
                               files={"file": ("Records.json", fh, "application/json")}, timeout=60)
    assert answer.status_code == 202, answer.text
    batch_id = answer.json()["batch_id"]
    batch = AcquisitionBatch.objects.get(pk=batch_id)
    stored = s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}/{batch.artifact_name}")["Body"].read()
    assert stored == export.read_bytes()
    return batch


def _wait_for_the_workers_preview(web_b: str, auth: dict, batch_id: int, cluster: Cluster) -> None:
    def previewed():
        answer = requests.get(f"{web_b}/api/owner/batches/{batch_id}", headers=auth, timeout=10)
        assert answer.status_code == 200, answer.text
        got = answer.json()
        return got if any(p["name"] == "deduplicated" and p["at"] for p in got["phases"]) else None

    preview = _wait(previewed, "the worker's preview", 60, cluster)
    assert preview["status"] == "preview" and preview["counts"]["accepted"] == POINTS, json.dumps(preview)
    readers = DBTaskResult.objects.get(task_path="coverage.tasks.read_preview").worker_ids
    assert len(readers) == 1


def _commit_and_kill_its_claimer(web_a: str, auth: dict, batch: AcquisitionBatch, workers: dict,
                                 cluster: Cluster) -> str:
    """Start the commit through web A and SIGKILL the worker that claims it; the survivor's name."""
    batch_id, conn = batch.pk, batch.connection
    # Web A starts the commit; whichever worker claims it is killed while it lands.
    answer = requests.post(f"{web_a}/api/owner/previews/{batch_id}/commit", headers=auth, timeout=60)
    assert answer.status_code == 202, answer.text
    claimer = _wait(lambda: AcquisitionBatch.objects.filter(pk=batch_id).values_list("claimed_by", flat=True)
                    .first(), "a worker to claim the commit", 30, cluster)
    pid = int(claimer.split(":")[1])
    killed = next(name for name, proc in workers.items() if proc.pid == pid)
    survivor = next(name for name in workers if name != killed)
    time.sleep(0.5)  # inside the landing
    workers[killed].send_signal(signal.SIGKILL)
    workers[killed].wait()
    cluster.procs["worker-killed"] = cluster.procs.pop(killed)
    batch.refresh_from_db()
    assert batch.status == "committing", "the kill came too late: the commit had already ended"
    assert Record.objects.filter(connection=conn).visible().count() == 0
    return survivor


def _the_other_worker_lands_it(batch: AcquisitionBatch, workers: dict, survivor: str, cluster: Cluster) -> None:
    # The other worker sees the claimer gone, takes the batch over and lands it.
    commits = DBTaskResult.objects.filter(task_path="coverage.tasks.commit_batch")
    _wait(lambda: commits.filter(status="SUCCESSFUL").exists(), "the other worker to finish the commit", 60, cluster)
    batch.refresh_from_db()
    assert batch.status == "committed"
    finished_by = commits.get(status="SUCCESSFUL").worker_ids
    assert finished_by and f":{workers[survivor].pid}:" in finished_by[-1], (finished_by, survivor)
    assert commits.filter(status="FAILED").count() == 1  # the killed worker's task, marked by the survivor


def _s3_up(s3) -> bool:
    try:
        s3.list_buckets()
        return True
    except Exception:  # not listening yet
        return False


def test_a_whole_export_built_by_a_worker_is_downloaded_from_the_other_web(owner, tmp_path, cluster):
    """The export zip is kept in the bucket, and holds the owner's file read back from it."""
    Connection.objects.create(owner=owner, connector="google_timeline", slug="timeline", name="Timeline")
    _, token = issue_access_token(owner)
    auth = {"Authorization": f"Bearer {token}"}
    export = _records_json(tmp_path / "Records.json", 2_000)  # small: web A reads it in the request
    web_a, web_b, _, s3 = _start(cluster)
    with export.open("rb") as fh:
        answer = requests.post(f"{web_a}/api/owner/connections/timeline/previews", headers=auth,
                               files={"file": ("Records.json", fh, "application/json")}, timeout=60)
    assert answer.status_code == 201, answer.text
    batch_id = answer.json()["batch_id"]
    answer = requests.post(f"{web_a}/api/owner/previews/{batch_id}/commit", headers=auth, timeout=60)
    assert answer.status_code in (200, 202), answer.text
    _wait(lambda: AcquisitionBatch.objects.filter(pk=batch_id, status="committed").exists(),
          "a worker to commit", 60, cluster)

    answer = requests.post(f"{web_b}/api/owner/exports", headers=auth, timeout=30)
    assert answer.status_code == 202, answer.text
    status_url = answer.json()["url"]

    def ready():
        got = requests.get(f"{web_a}{status_url}", headers=auth, timeout=10)
        assert got.status_code == 200 and got.json()["status"] in ("queued", "building", "ready"), got.text
        return got.json() if got.json()["status"] == "ready" else None

    done = _wait(ready, "a worker to build the export", 60, cluster)
    download = requests.get(f"{web_a}{done['download_url']}", headers=auth, timeout=30)
    assert download.status_code == 200, download.text
    keys = {o["Key"]: o["Size"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    zips = [k for k in keys if k.startswith(f"{PREFIX}/exports/")]
    assert len(zips) == 1 and keys[zips[0]] == len(download.content) == done["bytes"], keys
    with zipfile.ZipFile(io.BytesIO(download.content)) as zf:
        assert zf.read("sources/timeline/files/1-Records.json") == export.read_bytes()
        lines = zf.read(next(n for n in zf.namelist() if n.endswith(".ndjson"))).splitlines()
    assert len(lines) == 2_000
    for name in ("web-a", "web-b", "worker-1", "worker-2"):
        assert not any((tmp_path / name / "var" / "artifacts").rglob("*")), name
