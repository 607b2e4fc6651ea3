"""Take it all with you (issue 17): one zip of everything the owner holds, built by the worker,
shown on the settings page while it is prepared, downloadable for a day, and the same from a
terminal. Sources are filled by real imports and a real phone push; the zip is read back.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import zipfile
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from connections.services import add_connection
from connections.tokens import issue_device_token
from coverage.models import AcquisitionBatch
from coverage.pipeline import land_batch, preview_artifact, start_commit
from exports.models import Export
from tests.factories import OwnerProfileFactory
from tests.views.conftest import export

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
CHAT = export("whatsapp/ios_missing_media.zip")
WALK = export("gpx/gpslogger.gpx")


def _import(connection, path, name: str) -> AcquisitionBatch:
    with path.open("rb") as source:
        preview = preview_artifact(connection, source, name)
    start_commit(preview, enqueue=False)
    return land_batch(preview.pk)


@pytest.fixture
def held(owner, client, time_machine):
    """A chat and a walk imported from files, and the walk's points pushed again from the phone."""
    time_machine.move_to(NOW, tick=False)
    OwnerProfileFactory(owner=owner, time_zone="Europe/Berlin")
    _import(add_connection(owner, "whatsapp", "lisbon", "Lisbon trip"), CHAT, "WhatsApp Chat - Lisbon Trip.zip")
    walks = add_connection(owner, "owntracks", "phone", "My phone")
    secret = issue_device_token(walks)[1]
    auth = base64.b64encode(f"{owner.username}:{secret}".encode()).decode()
    response = client.post("/ingest/owntracks", json.dumps({"_type": "location", "lat": 52.5, "lon": 13.4,
                                                            "tid": "p1", "tst": 1714806000}),
                           content_type="application/json", HTTP_AUTHORIZATION=f"Basic {auth}")
    assert response.status_code == 200
    _import(add_connection(owner, "gpx", "walks", "Walks"), WALK, "gpslogger.gpx")
    return owner


def _api_records(client, bearer, slug: str) -> list[dict]:
    out, cursor = [], None
    while True:
        page = client.get(f"/api/owner/connections/{slug}/records", {"cursor": cursor} if cursor else {},
                          **bearer).json()
        out += page["records"]
        cursor = page["next_cursor"]
        if cursor is None:
            return out


def _ask_and_build(client, bearer, worker_at_once) -> dict:
    with worker_at_once():
        response = client.post("/api/owner/exports", **bearer)
    assert response.status_code == 202
    return client.get(response.json()["url"], **bearer).json()


def test_an_exports_records_read_back_equal_the_records_api(held, client, bearer, worker_at_once):
    status = _ask_and_build(client, bearer, worker_at_once)
    assert status["status"] == "ready" and status["percent"] == 100
    download = client.get(status["download_url"], **bearer)
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    zf = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    manifest = json.loads(zf.read("manifest.json"))
    assert manifest["format"] == "ownerhub-export" and manifest["version"] == 1
    assert [s["slug"] for s in manifest["sources"]] == ["lisbon", "phone", "walks"]
    for source in manifest["sources"]:
        read_back = [json.loads(line) for s in source["streams"] for line in zf.read(s["file"]).splitlines()]
        assert read_back == _api_records(client, bearer, source["slug"]), source["slug"]
        assert sum(s["records"] for s in source["streams"]) == len(read_back) > 0
    chat = next(s for s in manifest["sources"] if s["slug"] == "lisbon")
    assert chat["streams"][0]["file"] == "sources/lisbon/messages.ndjson"


def test_an_export_holds_every_receipt_and_the_uploaded_files_as_they_were(held, client, bearer, worker_at_once):
    status = _ask_and_build(client, bearer, worker_at_once)
    zf = zipfile.ZipFile(io.BytesIO(b"".join(client.get(status["download_url"], **bearer).streaming_content)))
    manifest = json.loads(zf.read("manifest.json"))
    chat = next(s for s in manifest["sources"] if s["slug"] == "lisbon")
    [upload] = chat["files"]
    assert upload["file"] == "sources/lisbon/files/1-WhatsApp Chat - Lisbon Trip.zip"
    assert zf.read(upload["file"]) == CHAT.read_bytes()
    assert upload["sha256"] == hashlib.sha256(CHAT.read_bytes()).hexdigest()
    [receipt] = json.loads(zf.read(chat["receipts"]))
    assert receipt["status"] == "committed" and receipt["artifact"]["filename"] == "WhatsApp Chat - Lisbon Trip.zip"
    assert receipt["batch_id"] == upload["batch_id"]
    phone = next(s for s in manifest["sources"] if s["slug"] == "phone")
    assert phone["files"] == [] and json.loads(zf.read(phone["receipts"]))[0]["method"] == "device_sync"


def test_an_export_asked_twice_while_building_is_the_same_one(held, client, bearer):
    first = client.post("/api/owner/exports", **bearer).json()  # no worker: it waits
    again = client.post("/api/owner/exports", **bearer)
    assert again.status_code == 202 and again.json()["id"] == first["id"] and first["status"] == "queued"
    assert first["download_url"] is None and Export.objects.count() == 1


def test_the_settings_page_shows_the_exports_progress_then_its_download(held, owner_client, worker_at_once):
    settings_page = owner_client.get("/settings/").content.decode()
    assert 'hx-get="/settings/export/"' in settings_page and "Take it all with you" in settings_page
    assert "Export all my data" in owner_client.get("/settings/export/").content.decode()

    owner_client.post("/settings/export/new/", HTTP_HX_REQUEST="true")  # no worker yet
    waiting = owner_client.get("/settings/export/").content.decode()
    assert "Your export is waiting for the worker." in waiting and 'hx-trigger="every 2s"' in waiting
    Export.objects.update(status=Export.Status.BUILDING, done=40, total=160)
    building = owner_client.get("/settings/export/").content.decode()
    assert "Preparing your export: 25%." in building and 'hx-trigger="every 2s"' in building

    from exports.building import build

    build(Export.objects.get().pk)
    ready = owner_client.get("/settings/export/").content.decode()
    token = Export.objects.get().token
    assert f'href="/exports/{token}/download/"' in ready and "every 2s" not in ready
    assert "Your export is ready (" in ready and " KB, made today at 13:00 CET)." in ready
    assert "The link works until tomorrow at 13:00 CET." in ready
    assert owner_client.get(f"/exports/{token}/download/").status_code == 200


def test_the_download_expires_after_a_day_and_its_file_goes(held, owner_client, client, bearer, worker_at_once,
                                                            time_machine, artifact_root):
    status = _ask_and_build(client, bearer, worker_at_once)
    stored = artifact_root / Export.objects.get().file_name
    assert stored.exists()
    time_machine.move_to(NOW + timedelta(hours=24, seconds=1), tick=False)
    assert client.get(status["url"], **bearer).json()["status"] == "expired"
    assert client.get(status["download_url"], **bearer).status_code == 410
    assert not stored.exists()
    token = Export.objects.get().token
    assert owner_client.get(f"/exports/{token}/download/").status_code == 410
    assert "has expired" in owner_client.get("/settings/export/").content.decode()


def test_how_long_a_download_lasts_is_a_setting(held, client, bearer, worker_at_once, settings):
    settings.OWNERHUB_EXPORT_HOURS = 2
    status = _ask_and_build(client, bearer, worker_at_once)
    assert status["expires_at"] == "2026-12-01T14:00:00Z"


def test_another_owner_cannot_see_or_download_an_export(held, other_owner, client, bearer, worker_at_once):
    status = _ask_and_build(client, bearer, worker_at_once)
    client.force_login(other_owner)
    from connections.tokens import issue_access_token

    theirs = {"HTTP_AUTHORIZATION": f"Bearer {issue_access_token(other_owner)[1]}"}
    assert client.get(status["url"], **theirs).status_code == 404
    assert client.get(status["download_url"], **theirs).status_code == 404
    assert client.get(f"/exports/{status['id']}/download/").status_code == 404
    assert "Export all my data" in client.get("/settings/export/").content.decode()


def test_an_owner_with_nothing_gets_a_zip_that_says_so(owner, client, bearer, worker_at_once):
    status = _ask_and_build(client, bearer, worker_at_once)
    zf = zipfile.ZipFile(io.BytesIO(b"".join(client.get(status["download_url"], **bearer).streaming_content)))
    assert zf.namelist() == ["manifest.json"] and json.loads(zf.read("manifest.json"))["sources"] == []


class _Terminal(StringIO):
    def isatty(self) -> bool:
        return True


def test_export_data_writes_the_same_zip_from_a_terminal_with_a_progress_bar(held, tmp_path):
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    out, err = StringIO(), _Terminal()
    call_command("export_data", "--owner", "ada", str(tmp_path / "all.zip"), stdout=out, stderr=err)
    zf = zipfile.ZipFile(tmp_path / "all.zip")
    manifest = json.loads(zf.read("manifest.json"))
    records = sum(s["records"] for source in manifest["sources"] for s in source["streams"])
    assert f"{records} records from 3 sources, 2 uploaded files." in out.getvalue()
    assert "[##############################] 100%" in err.getvalue()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["all.zip"]  # no partial file left


def test_export_data_prints_no_bar_when_not_on_a_terminal(held, tmp_path):
    err = StringIO()
    call_command("export_data", "--owner", "ada", str(tmp_path / "all.zip"), stdout=StringIO(), stderr=err)
    assert err.getvalue() == ""


def test_export_data_says_the_zip_size_as_an_owner_reads_it(held, tmp_path):
    out = StringIO()
    call_command("export_data", "--owner", "ada", str(tmp_path / "all.zip"), stdout=out, stderr=StringIO())

    size = (tmp_path / "all.zip").stat().st_size
    said = re.search(r"all\.zip \((\d+(?:\.\d)?) (KB|MB)\): ", out.getvalue())  # not "114.094 KB"
    assert said is not None, out.getvalue()
    value, unit = float(said[1]), {"KB": 1024, "MB": 1024**2}[said[2]]
    assert ("." in said[1]) == (value < 10)  # one decimal under ten, whole numbers above
    assert abs(value - size / unit) <= (0.05 if value < 10 else 0.5)


def test_export_data_names_an_unknown_owner(db, tmp_path):
    with pytest.raises(CommandError, match="No owner called 'nobody'"):
        call_command("export_data", "--owner", "nobody", str(tmp_path / "all.zip"))
