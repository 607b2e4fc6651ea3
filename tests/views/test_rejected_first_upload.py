"""A first upload that cannot be read: its next step is the export itself, never "a newer export".

An owner adds a chat and uploads the wrong thing first (an empty zip, a zip cut short, a note that is
not a chat). The source holds nothing, so nothing can be "newer": the receipt (page, API, CLI) and the
card all ask for the export, in UI.md's words for a source with nothing yet.
"""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from coverage.models import AcquisitionBatch

from .conftest import export

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("artifact_storage")]


def _empty_zip() -> SimpleUploadedFile:
    return SimpleUploadedFile("WhatsApp Chat with Ana.zip", b"")


def _truncated_zip() -> SimpleUploadedFile:
    return SimpleUploadedFile("WhatsApp Chat with Ana.zip", export("whatsapp/truncated.zip").read_bytes())


def _note_not_a_chat() -> SimpleUploadedFile:
    return SimpleUploadedFile("shopping.txt", b"milk\neggs\nbread for the weekend\n")


@pytest.mark.parametrize("upload", [_empty_zip, _truncated_zip, _note_not_a_chat], ids=lambda f: f.__name__[1:])
def test_a_first_file_that_cannot_be_read_asks_for_the_export_not_a_newer_one(owner_client, chat, upload):
    owner_client.post("/sources/family-chat/upload/", {"artifact": upload()})
    batch = AcquisitionBatch.objects.get()
    assert batch.status == "rejected"

    step = owner_client.get(f"/api/owner/batches/{batch.pk}").json()["next_action"]
    assert step["label"] == "Upload the export"
    out = io.StringIO()
    call_command("receipt", str(batch.pk), "--json", stdout=out)
    assert json.loads(out.getvalue())["next_action"] == step

    receipt_page = owner_client.get(f"/receipts/{batch.pk}/").content.decode()
    card = owner_client.get("/sources/family-chat/").content.decode()
    for page in (receipt_page, card):
        assert "Upload the export" in page
        assert "newer" not in page.lower()


def test_the_cli_receipt_of_a_rejected_file_claims_nothing_about_what_it_covers(owner_client, chat):
    """Tester's fault (session 20): 'Claim This covers what the export contained…' under a file nothing was read from."""
    owner_client.post("/sources/family-chat/upload/", {"artifact": _note_not_a_chat()})
    out = io.StringIO()
    call_command("receipt", str(AcquisitionBatch.objects.get().pk), stdout=out)
    assert "This file could not be imported" in out.getvalue()
    assert "Claim" not in out.getvalue() and "covers what the export contained" not in out.getvalue()
