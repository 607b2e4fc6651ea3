"""Reading imports again from the pages and the owner API: previews in owner words, counts, owner scope."""

from __future__ import annotations

import io

import pytest
from django.contrib.messages import get_messages
from django.core.management import call_command

from connections.services import add_connection
from coverage.models import AcquisitionBatch, Record
from coverage.pipeline.reread_which import outdated_imports
from tests.coverage import test_reread as kit
from tests.coverage.test_reread import CHAT, held, upload
from tests.factories import OwnerProfileFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]
Status = AcquisitionBatch.Status
older_reader = kit.older_reader  # the fixture: today's reader with its French words trimmed


@pytest.fixture
def old_import(chat, older_reader):
    with older_reader:
        return upload(chat, CHAT)


def test_source_reread_page_previews_the_difference_in_owner_words_and_changes_nothing(
    owner_client, chat, old_import
):
    before = held(chat)
    page = owner_client.get(f"/sources/{chat.slug}/reread/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Read again with the improved reader" in text
    assert "Read 1 import again" in text  # the confirmation states the count, in agreement
    assert "would be added" in text and "as read before would go" in text
    assert "_chat.txt" in text and f"batch {old_import.pk}" not in text  # an import by its day and file
    assert held(chat) == before


def test_source_reread_post_reads_every_outdated_import_and_says_what_changed(owner_client, chat, old_import):
    response = owner_client.post(f"/sources/{chat.slug}/reread/")
    assert response["Location"] == f"/sources/{chat.slug}/"
    text = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert "Read 1 import again." in text and "Nothing was duplicated." in text
    assert outdated_imports([chat]) == []
    old_import.refresh_from_db()
    assert old_import.options["superseded_by"]
    assert Record.objects.filter(connection=chat).count() == 5


def test_a_reread_preview_committed_with_the_import_button_is_applied_as_a_reread(owner_client, chat, old_import):
    owner_client.get(f"/sources/{chat.slug}/reread/")
    preview = AcquisitionBatch.objects.get(trigger="reread")
    owner_client.post(f"/receipts/{preview.pk}/import/")
    preview.refresh_from_db()
    old_import.refresh_from_db()
    assert preview.status == Status.COMMITTED
    assert old_import.options["superseded_by"] == preview.pk
    assert Record.objects.filter(connection=chat).count() == 5


def test_another_owners_source_cannot_be_read_again(owner_client, other_owner, older_reader):
    theirs = add_connection(other_owner, "whatsapp", "their-chat", "Their chat")
    with older_reader:
        upload(theirs, CHAT)
    assert owner_client.get("/sources/their-chat/reread/").status_code == 404
    assert owner_client.post("/sources/their-chat/reread/").status_code == 404
    assert outdated_imports([theirs])


def test_changing_zone_offers_to_read_the_chats_again_and_moves_them(owner_client, owner, chat):
    OwnerProfileFactory(owner=owner, time_zone="UTC")
    upload(chat, CHAT)
    before = held(chat)
    response = owner_client.post("/settings/time-zone/", {"time_zone": "Europe/Berlin"})
    assert response.status_code == 302 and response["Location"] == "/reread/zone/"
    page = owner_client.get("/reread/zone/").content.decode()
    assert "Read your chats again in Europe/Berlin? 5 messages will move; nothing will be duplicated." in page
    assert held(chat) == before
    response = owner_client.post("/reread/zone/")
    assert response["Location"] == "/settings/"
    done = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert "5 messages moved to Europe/Berlin time." in done
    after = held(chat)
    assert after.keys() == before.keys() and all(after[k][0] != before[k][0] for k in before)


def test_changing_zone_without_chats_goes_back_to_settings(owner_client, owner):
    add_connection(owner, "gpx", "walks", "Walks")
    response = owner_client.post("/settings/time-zone/", {"time_zone": "Europe/Berlin"})
    assert response["Location"] == "/settings/"


def test_api_previews_a_reread_and_the_commit_endpoint_applies_it(owner_client, chat, old_import):
    answer = owner_client.post(
        f"/api/owner/batches/{old_import.pk}/reread?zone=Europe/Berlin")
    assert answer.status_code == 201
    body = answer.json()
    assert body["reread_of"] == old_import.pk
    assert body["difference"]["moved"] >= 1 and body["difference"]["zone_to"] == "Europe/Berlin"
    assert body["receipt"]["status"] == "preview"
    committed = owner_client.post(body["commit_url"])
    assert committed.status_code == 200 and committed.json()["status"] == "committed"
    old_import.refresh_from_db()
    assert old_import.options["superseded_by"] == body["receipt"]["batch_id"]
    again = owner_client.post(f"/api/owner/batches/{old_import.pk}/reread")
    assert again.status_code == 409 and "read again already" in again.json()["detail"]


def test_api_reread_of_another_owners_batch_is_not_found(owner_client, other_owner, older_reader):
    theirs = add_connection(other_owner, "whatsapp", "their-chat", "Their chat")
    with older_reader:
        batch = upload(theirs, CHAT)
    assert owner_client.post(f"/api/owner/batches/{batch.pk}/reread").status_code == 404
    assert not AcquisitionBatch.objects.filter(trigger="reread").exists()


def test_api_schema_lists_the_reread_endpoint(client):
    schema = client.get("/api/owner/openapi.json").json()
    assert "/api/owner/batches/{batch_id}/reread" in schema["paths"]


def test_the_receipt_of_a_reread_states_the_difference_on_the_page_the_cli_and_the_api(owner_client, chat, old_import):
    owner_client.post(f"/sources/{chat.slug}/reread/")
    batch = AcquisitionBatch.objects.get(trigger="reread")
    page = owner_client.get(f"/receipts/{batch.pk}/").content.decode()
    assert "This import was read again from its stored file, with the improved reader:" in page
    assert "as read before went" in page and "Nothing was duplicated." in page
    out = io.StringIO()
    call_command("receipt", str(batch.pk), stdout=out)
    assert "Re-read  " in out.getvalue() and "as read before went" in out.getvalue()
    body = owner_client.get(f"/api/owner/batches/{batch.pk}").json()
    assert body["reread"]["reread_of"] == old_import.pk
    assert body["reread"]["difference"]["going"] >= 1
    assert "Nothing was duplicated." in body["reread"]["sentences"]
