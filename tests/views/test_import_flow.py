"""Upload, preview, import and receipt pages, as the owner walks through them."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from coverage.models import AcquisitionBatch
from coverage.pipeline import land_batch
from tests.page_words import ana_chat, page_words

from .conftest import export

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("artifact_storage")]


def _upload(client, slug: str, name: str):
    with export(name).open("rb") as fh:
        return client.post(f"/sources/{slug}/upload/", {"artifact": fh})


def test_upload_page_offers_the_manifests_formats_and_instructions(owner_client, chat):
    response = owner_client.get("/sources/family-chat/upload/")
    text = response.content.decode()
    assert response.status_code == 200
    assert 'accept=".txt,.zip,.sqlite,.db"' in text  # the export's and a phone backup's
    assert 'enctype="multipart/form-data"' in text
    assert "Export chat" in text  # the manifest's own instructions


def test_upload_without_a_file_says_what_to_do(owner_client, chat):
    response = owner_client.post("/sources/family-chat/upload/", {})
    assert response.status_code == 400
    assert "Choose a file to upload." in response.content.decode()
    assert not AcquisitionBatch.objects.exists()


def test_source_without_uploads_says_so(owner_client, owner):
    from connections.services import add_connection

    add_connection(owner, "ical_feed", "work-calendar", "Work calendar")
    text = owner_client.get("/sources/work-calendar/upload/").content.decode()
    assert "does not take uploaded files" in text
    assert 'type="file"' not in text


def test_preview_shows_the_numbers_and_writes_no_records(owner_client, chat):
    response = _upload(owner_client, "family-chat", "whatsapp/android_dayfirst_24h.txt")
    batch = AcquisitionBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/receipts/{batch.pk}/"
    page = owner_client.get(response["Location"])
    text = page.content.decode()
    assert batch.status == "preview"
    assert "Preview: nothing imported yet" in text
    assert f"{batch.count_accepted:,} new message" in text
    assert "Would be new" in text and "Could not read" in text
    assert f'action="/receipts/{batch.pk}/import/"' in text
    assert f'action="/receipts/{batch.pk}/cancel/"' in text
    assert "It is not a claim that the messages are complete." in text
    assert chat.records.count() == 0


def test_import_lands_and_the_receipt_reads_like_the_preview(owner_client, chat, immediate_tasks):
    _upload(owner_client, "family-chat", "whatsapp/ios_missing_media.zip")
    batch = AcquisitionBatch.objects.get()
    previewed = batch.count_accepted
    response = owner_client.post(f"/receipts/{batch.pk}/import/")
    assert response.status_code == 302 and response["Location"] == f"/receipts/{batch.pk}/"
    batch.refresh_from_db()
    assert batch.status == "committed" and batch.count_accepted == previewed
    text = owner_client.get(f"/receipts/{batch.pk}/").content.decode()
    assert f"· {batch.artifact_filename}" in text and "Import #" not in text  # named by its day and file
    assert "not included in this export" in text
    assert "hx-trigger" not in text
    assert chat.records.count() == previewed


def test_phases_poll_while_the_import_is_saved_then_stop(owner_client, chat):
    # The database task backend queues the commit; no worker runs until we land it below.
    _upload(owner_client, "family-chat", "whatsapp/android_dayfirst_24h.txt")
    batch = AcquisitionBatch.objects.get()
    AcquisitionBatch.objects.filter(pk=batch.pk).update(progress=batch.count_parsed)  # as a worker's reading leaves it
    owner_client.post(f"/receipts/{batch.pk}/import/")
    batch.refresh_from_db()
    assert batch.status == "committing"
    assert batch.progress == 0  # nothing saved yet: the reading's count is not the saving's

    page = owner_client.get(f"/receipts/{batch.pk}/").content.decode()
    assert "Importing…" in page
    assert f'hx-get="/receipts/{batch.pk}/status/"' in page and 'hx-trigger="every 1s"' in page
    assert '<meta http-equiv="refresh" content="2">' in page  # inside <noscript>: works without JS
    assert "Checked for duplicates" in page and "Health updated" in page
    assert "The background worker has not started yet" in page  # no heartbeat: the wait is explained
    dashboard = owner_client.get("/").content.decode()
    assert 'hx-get="/sources/family-chat/card/"' in dashboard
    # The card says it from the projection: the import is being saved and waits for the worker; not "needs you".
    assert "Saving your import" in dashboard and "it waits for the background worker" in dashboard
    assert "No messages imported yet" not in dashboard and "need you" not in dashboard

    partial = owner_client.get(f"/receipts/{batch.pk}/status/", HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and "<html" not in partial.content.decode()

    land_batch(batch.pk)
    done = owner_client.get(f"/receipts/{batch.pk}/status/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in done
    assert batch.artifact_filename in done and "Import #" not in done and "hx-trigger" not in done
    card = owner_client.get("/sources/family-chat/card/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in card and "hx-trigger" not in card


def test_same_file_again_is_already_imported_not_an_error(owner_client, chat, immediate_tasks):
    _upload(owner_client, "family-chat", "whatsapp/android_dayfirst_24h.txt")
    first = AcquisitionBatch.objects.get()
    owner_client.post(f"/receipts/{first.pk}/import/")
    response = _upload(owner_client, "family-chat", "whatsapp/android_dayfirst_24h.txt")
    again = AcquisitionBatch.objects.exclude(pk=first.pk).get()
    assert again.status == "duplicate"
    page = owner_client.get(response["Location"])
    text = page.content.decode()
    assert page.status_code == 200
    assert "Already imported on" in text and "no new records" in text
    assert f'href="/receipts/{first.pk}/"' in text


def test_unreadable_file_is_rejected_with_recovery_steps(owner_client, chat):
    response = _upload(owner_client, "family-chat", "whatsapp/truncated.zip")
    text = owner_client.get(response["Location"]).content.decode()
    assert "This file could not be imported" in text
    assert "Export chat" in text  # the manifest's recovery text
    assert "Nothing was imported" in text
    assert 'href="/sources/family-chat/upload/"' in text
    assert chat.records.count() == 0


def test_ambiguous_dates_ask_and_the_answer_reads_the_file_again(owner_client, chat):
    _upload(owner_client, "family-chat", "whatsapp/ambiguous.txt")
    batch = AcquisitionBatch.objects.get()
    assert batch.question
    text = owner_client.get(f"/receipts/{batch.pk}/").content.decode()
    assert f'action="/receipts/{batch.pk}/answer/"' in text
    assert 'name="date_order" value="dmy"' in text and 'name="date_order" value="mdy"' in text
    assert f'action="/receipts/{batch.pk}/import/"' not in text  # nothing to import until answered
    # The question is asked once, to eyes and screen readers alike: not again as a note or a hidden legend.
    assert text.count("could be day/month or month/day") == 1

    owner_client.post(f"/receipts/{batch.pk}/answer/", {"date_order": "dmy"})
    batch.refresh_from_db()
    assert batch.question is None and batch.options["date_order"] == "dmy"
    text = owner_client.get(f"/receipts/{batch.pk}/").content.decode()
    assert f'action="/receipts/{batch.pk}/import/"' in text


def test_answer_must_be_one_of_the_choices(owner_client, chat):
    _upload(owner_client, "family-chat", "whatsapp/ambiguous.txt")
    batch = AcquisitionBatch.objects.get()
    response = owner_client.post(f"/receipts/{batch.pk}/answer/", {"date_order": "ymd"}, follow=True)
    assert "Choose how dates are written" in response.content.decode()
    batch.refresh_from_db()
    assert batch.question


def test_cancel_drops_the_preview_and_its_file(owner_client, chat, artifact_storage):
    _upload(owner_client, "family-chat", "whatsapp/android_dayfirst_24h.txt")
    batch = AcquisitionBatch.objects.get()
    assert any(artifact_storage.rglob("*.txt"))
    response = owner_client.post(f"/receipts/{batch.pk}/cancel/", follow=True)
    assert response.redirect_chain[-1][0] == "/sources/family-chat/"
    assert "Nothing was imported." in response.content.decode()
    assert not AcquisitionBatch.objects.exists()
    assert not any(artifact_storage.rglob("*.txt"))


def test_cancel_leaves_a_landed_import_alone(owner_client, chat, immediate_tasks):
    _upload(owner_client, "family-chat", "whatsapp/android_dayfirst_24h.txt")
    batch = AcquisitionBatch.objects.get()
    owner_client.post(f"/receipts/{batch.pk}/import/")
    owner_client.post(f"/receipts/{batch.pk}/cancel/")
    batch.refresh_from_db()
    assert batch.status == "committed"


def test_import_of_a_rejected_file_explains_instead_of_failing(owner_client, chat):
    _upload(owner_client, "family-chat", "whatsapp/wrong_source.json")
    batch = AcquisitionBatch.objects.get()
    response = owner_client.post(f"/receipts/{batch.pk}/import/", follow=True)
    assert response.status_code == 200
    assert "cannot be imported" in response.content.decode()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/receipts/{id}/"),
        ("get", "/receipts/{id}/status/"),
        ("post", "/receipts/{id}/import/"),
        ("post", "/receipts/{id}/answer/"),
        ("post", "/receipts/{id}/cancel/"),
    ],
)
def test_another_owners_batch_is_404(method, path, client, chat, other_owner):
    with export("whatsapp/android_dayfirst_24h.txt").open("rb") as fh:
        from coverage.pipeline import preview_artifact

        batch = preview_artifact(chat, fh, "chat.txt")
    client.force_login(other_owner)
    response = getattr(client, method)(path.format(id=batch.pk))
    assert response.status_code == 404
    batch.refresh_from_db()
    assert batch.status == "preview"
    assert "Family chat" not in response.content.decode()


@pytest.mark.usefixtures("immediate_tasks")
def test_a_newer_export_names_the_earlier_import_its_messages_are_in_by_its_day_and_file(owner_client, chat):
    for messages, name in ((19, "WhatsApp Chat with Ana.txt"), (25, "WhatsApp Chat with Ana (2).txt")):
        owner_client.post("/sources/family-chat/upload/", {"artifact": SimpleUploadedFile(name, ana_chat(messages))})
        newer = AcquisitionBatch.objects.latest("pk")
        owner_client.post(f"/receipts/{newer.pk}/import/")

    page = page_words(owner_client.get(f"/receipts/{newer.pk}/"))

    assert re.search(r"19 already in the import of \d+ \w+ \d{4} · WhatsApp Chat with Ana\.txt", page)
