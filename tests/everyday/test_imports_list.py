"""Seeing what happened: every upload of a source, receipts to keep, the original file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from connections.models import OwnerProfile
from coverage.models import AcquisitionBatch
from tests.page_words import page_words

from .conftest import fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]
Status = AcquisitionBatch.Status


def _upload(client, slug: str, name: str, as_name: str | None = None) -> AcquisitionBatch:
    path = fixture(name)
    client.post(f"/sources/{slug}/upload/", {"artifact": SimpleUploadedFile(as_name or path.name, path.read_bytes())})
    return AcquisitionBatch.objects.order_by("-pk").first()


def _import(client, slug: str, name: str) -> AcquisitionBatch:
    batch = _upload(client, slug, name)
    client.post(f"/receipts/{batch.pk}/import/")
    batch.refresh_from_db()
    return batch


def test_ten_rejected_uploads_do_not_hide_the_real_import(owner_client, timeline):
    imported = _import(owner_client, "timeline", "google_timeline/records.json")
    for n in range(10):
        _upload(owner_client, "timeline", "google_timeline/not_json.json", as_name=f"attempt-{n}.json")

    page = owner_client.get("/sources/timeline/imports/").content.decode()

    table = page.split("<table", 1)[1].split("</table>", 1)[0]
    assert f'href="/receipts/{imported.pk}/">records.json</a>' in table and "Imported" in table
    assert "attempt-" not in table  # rejected attempts are grouped apart
    assert "10 files that could not be imported" in page and "attempt-9.json" in page
    assert f"#{imported.pk}" not in page and f"Import {imported.pk}" not in page  # no database ids in owner copy


def test_the_imports_list_is_paginated(owner_client, timeline, settings):
    records = fixture("google_timeline/records.json").read_bytes()
    for n in range(27):  # 27 different files (the same file uploaded again replaces its waiting preview)
        upload = SimpleUploadedFile(f"records-{n:02d}.json", records + b" " * n)
        owner_client.post("/sources/timeline/upload/", {"artifact": upload})
    first = owner_client.get("/sources/timeline/imports/").content.decode()
    assert "records-26.json" in first and "records-01.json" not in first and "Page 1 of 2" in first
    second = owner_client.get("/sources/timeline/imports/?page=2").content.decode()
    assert "records-01.json" in second and "records-00.json" in second and "records-26.json" not in second


def test_a_receipt_downloads_as_json_prints_and_gives_back_the_file(owner_client, timeline):
    imported = _import(owner_client, "timeline", "google_timeline/records.json")
    page = owner_client.get(f"/receipts/{imported.pk}/").content.decode()
    assert f"/receipts/{imported.pk}/receipt.json" in page and f"/receipts/{imported.pk}/print/" in page

    download = owner_client.get(f"/receipts/{imported.pk}/receipt.json")
    assert download["Content-Disposition"].startswith("attachment;")
    api = owner_client.get(f"/api/owner/batches/{imported.pk}").json()
    assert download.json() == api

    printable = owner_client.get(f"/receipts/{imported.pk}/print/").content.decode()
    assert "29 new places" in printable and "Import</button>" not in printable

    original = owner_client.get(f"/receipts/{imported.pk}/file/")
    assert original.status_code == 200 and original["Content-Disposition"] == 'attachment; filename="records.json"'
    assert b"".join(original.streaming_content) == fixture("google_timeline/records.json").read_bytes()


def test_another_owners_receipts_and_files_are_404(client, other_owner, owner, timeline):
    client.force_login(owner)
    imported = _import(client, "timeline", "google_timeline/records.json")
    client.force_login(other_owner)
    for path in ("receipt.json", "print/", "file/"):
        assert client.get(f"/receipts/{imported.pk}/{path}").status_code == 404
    assert client.get("/sources/timeline/imports/").status_code == 404


def test_the_source_page_links_to_every_import(owner_client, timeline):
    page = owner_client.get("/sources/timeline/").content.decode()
    assert 'href="/sources/timeline/imports/"' in page and "/sources/timeline/runs/" not in page


def test_a_source_with_only_files_that_could_not_be_imported_says_so_in_one_voice(owner_client, timeline):
    for n in range(5):
        _upload(owner_client, "timeline", "google_timeline/not_json.json", as_name=f"attempt-{n}.json")

    page = " ".join(owner_client.get("/sources/timeline/imports/").content.decode().split())

    assert "Nothing has been imported into" in page and "yet. 5 files could not be imported:" in page
    assert "Nothing has been uploaded" not in page  # five files were: none of them could be imported
    assert "attempt-0.json" in page and "attempt-4.json" in page
    assert ">Upload the export</a>" in page and "newer" not in page  # the source holds nothing yet



def test_two_exports_of_one_name_uploaded_the_same_day_are_told_apart_by_their_time(
        owner_client, owner, timeline, time_machine):
    """A phone names every Timeline export alike: two uploaded on one day read the same by day and file (UI.md
    names an import by both), so those rows say the time too; a file uploaded once that day does not."""
    OwnerProfile.objects.update_or_create(owner=owner, defaults={"time_zone": "Europe/Berlin"})
    records = fixture("google_timeline/records.json").read_bytes()
    for hour, name, body in ((8, "Records.json", records), (15, "Records.json", records + b" "),
                             (33, "other.json", records + b"  ")):  # 09:00 and 16:00 CET on 4 Dec, 10:00 on 5 Dec
        time_machine.move_to(datetime(2026, 12, 4, tzinfo=UTC) + timedelta(hours=hour), tick=False)
        owner_client.post("/sources/timeline/upload/", {"artifact": SimpleUploadedFile(name, body)})

    table = page_words(owner_client.get("/sources/timeline/imports/"))
    assert "4 Dec 2026 at 09:00 CET Records.json" in table and "4 Dec 2026 at 16:00 CET Records.json" in table
    assert "5 Dec 2026 other.json" in table and "at 10:00" not in table
