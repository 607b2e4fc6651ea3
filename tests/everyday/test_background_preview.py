"""A large upload is stored in the request and read by the worker; the owner sees the count rise."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from coverage.management.commands import import_artifact
from coverage.models import AcquisitionBatch, Record

from .conftest import fixture, run_worker

pytestmark = [pytest.mark.django_db]

Status = AcquisitionBatch.Status
SEMANTIC = "google_timeline/semantic_2023_AUGUST.json"


def _file(name: str) -> SimpleUploadedFile:
    path = fixture(name)
    return SimpleUploadedFile(path.name, path.read_bytes(), content_type="application/octet-stream")


@pytest.mark.django_db(transaction=True)  # the worker closes its database connection when done
def test_a_large_upload_is_read_by_the_worker_and_the_preview_waits_for_the_owner(
    owner_client, timeline, read_in_background
):
    response = owner_client.post("/sources/timeline/upload/", {"artifact": _file(SEMANTIC)})
    batch = AcquisitionBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/receipts/{batch.pk}/"
    # The request stored the file and asked the worker to read it: nothing is read yet.
    assert batch.status == Status.PREVIEW and batch.is_reading and batch.count_parsed == 0
    page = owner_client.get(f"/receipts/{batch.pk}/").content.decode()
    assert "Reading semantic_2023_AUGUST.json…" in page and "Reading the file…" in page
    assert 'hx-trigger="every 1s"' in page and "You can leave this page" in page
    assert "Import</button>" not in page and "Cancel" not in page

    run_worker()

    batch.refresh_from_db()
    assert batch.status == Status.PREVIEW and batch.is_measured and not batch.is_reading
    assert batch.count_parsed > 0 and not Record.objects.exists()
    body = owner_client.get(f"/receipts/{batch.pk}/status/", HTTP_HX_REQUEST="true").content.decode()
    assert "Preview: nothing imported yet" in body and "every 1s" not in body and "<html" not in body


def test_the_reading_page_counts_what_the_worker_has_read_so_far(owner_client, timeline, read_in_background):
    owner_client.post("/sources/timeline/upload/", {"artifact": _file(SEMANTIC)})
    batch = AcquisitionBatch.objects.get()
    # What the staging writes every 10,000 items while the worker parses (staging.report_progress).
    AcquisitionBatch.objects.filter(pk=batch.pk).update(progress=420_000)
    body = owner_client.get(f"/receipts/{batch.pk}/status/", HTTP_HX_REQUEST="true").content.decode()
    assert "Reading… 420,000 places so far." in body and 'hx-trigger="every 1s"' in body


def test_a_small_file_is_still_read_in_the_request(owner_client, timeline):
    owner_client.post("/sources/timeline/upload/", {"artifact": _file(SEMANTIC)})
    batch = AcquisitionBatch.objects.get()
    assert batch.is_measured and not batch.is_reading and batch.reading_requested_at is None


def test_the_drop_zone_gets_each_files_preview_address_as_json(owner_client, timeline, read_in_background):
    response = owner_client.post(
        "/sources/timeline/upload/", {"artifact": _file(SEMANTIC)}, HTTP_ACCEPT="application/json"
    )
    batch = AcquisitionBatch.objects.get()
    assert response.status_code == 202
    assert response.json() == {
        "url": f"/receipts/{batch.pk}/",
        "filename": "semantic_2023_AUGUST.json",
        "status": "preview",
        "reading": True,
        "sentence": "Reading the file…",
    }


def test_several_files_sent_at_once_each_get_their_own_preview(owner_client, timeline):
    files = [_file(SEMANTIC), _file("google_timeline/records.json")]
    response = owner_client.post("/sources/timeline/upload/", {"artifact": files})
    batches = list(AcquisitionBatch.objects.order_by("pk"))
    assert response.status_code == 200 and len(batches) == 2
    page = response.content.decode()
    for batch in batches:
        assert batch.status == Status.PREVIEW and batch.is_measured
        assert f'href="/receipts/{batch.pk}/">{batch.artifact_filename}</a>' in page


@pytest.mark.django_db(transaction=True)
def test_the_api_answers_202_and_the_batch_to_poll_while_the_worker_reads(
    client, owner, timeline, read_in_background
):
    client.force_login(owner)
    response = client.post("/api/owner/connections/timeline/previews", {"file": _file(SEMANTIC)})
    batch = AcquisitionBatch.objects.get()
    assert response.status_code == 202 and response["Location"] == f"/api/owner/batches/{batch.pk}"
    body = response.json()
    assert body["status"] == "preview" and body["sentence"] == "Reading the file…"
    assert [p["name"] for p in body["phases"] if p["at"]] == ["received"]

    run_worker()

    polled = client.get(response["Location"]).json()
    assert polled["status"] == "preview" and polled["counts"]["parsed"] == batch.__class__.objects.get().count_parsed
    assert "deduplicated" in [p["name"] for p in polled["phases"] if p["at"]]


def test_import_artifact_prints_plain_progress_lines_when_not_on_a_terminal(timeline, monkeypatch):
    monkeypatch.setattr(import_artifact._PlainLines, "EVERY", 10)
    log = StringIO()
    call_command("import_artifact", "timeline", str(fixture("google_timeline/records.json")), stdout=StringIO(), stderr=log)
    lines = log.getvalue().splitlines()
    items = lines[0].removeprefix("Reading: ")
    assert items.endswith(" items") and int(items.split()[0]) > 10
    assert lines[1:] == [f"Read: {items}", f"Saving: {items}"]
    assert "\\r" not in log.getvalue()
