"""A day's chat reads as the export wrote it, in the script it was written in; a receipt counts in words.

Found by a new owner: six messages in one minute (Android exports have no seconds) were shown in
the order of their keys' digests, so an answer stood before its question; Hebrew text was laid out
left to right; a receipt said "all 1 were already imported".
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from connections.models import OwnerProfile
from coverage.models import AcquisitionBatch

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks", "artifact_storage")]

SAME_MINUTE = [
    ("Zed", "question first?"), ("Amy", "answer second"), ("Zed", "third"),
    ("Amy", "fourth, still 10:00"), ("Zed", "fifth"), ("Amy", "sixth and last of the minute"),
]


def _import(client, chat, name: str, body: bytes) -> AcquisitionBatch:
    client.post(f"/sources/{chat.slug}/upload/", {"artifact": SimpleUploadedFile(name, body, "text/plain")})
    batch = AcquisitionBatch.objects.filter(connection=chat).latest("pk")
    client.post(f"/receipts/{batch.pk}/import/")
    batch.refresh_from_db()
    return batch


def test_messages_of_one_minute_read_in_the_exports_order(owner, owner_client, chat):
    OwnerProfile.objects.update_or_create(owner=owner, defaults={"time_zone": "UTC"})
    body = "".join(f"15/06/2024, 10:00 - {who}: {text}\n" for who, text in SAME_MINUTE)
    _import(owner_client, chat, "WhatsApp Chat with Amy.txt", (body + "15/06/2024, 10:01 - Zed: next minute\n").encode())

    page = owner_client.get(f"/sources/{chat.slug}/days/2024-06-15/").content.decode()

    shown = [page.index(text) for _, text in SAME_MINUTE] + [page.index("next minute")]
    assert shown == sorted(shown)


def test_a_right_to_left_chat_is_laid_out_by_its_own_script(owner, owner_client, chat):
    OwnerProfile.objects.update_or_create(owner=owner, defaults={"time_zone": "Asia/Jerusalem"})
    _import(owner_client, chat, "WhatsApp Chat with נועה.txt", "15/06/2024, 10:00 - נועה: שלום, מה שלומך?\n".encode())

    page = owner_client.get(f"/sources/{chat.slug}/days/2024-06-15/").content.decode()

    assert '<strong class="author" dir="auto">נועה</strong>' in page
    assert '<p class="chat-text" dir="auto">שלום, מה שלומך?</p>' in page


def test_a_file_holding_one_message_already_imported_says_so_in_words(owner, owner_client, chat):
    _import(owner_client, chat, "WhatsApp Chat with Amy.txt", b"15/06/2024, 10:00 - Amy: hello\n")
    again = _import(owner_client, chat, "WhatsApp Chat with Amy.txt", b"15/06/2024, 10:00 - Amy: hello\r\n")

    page = owner_client.get(f"/receipts/{again.pk}/").content.decode()

    assert "the one message was already imported" in page
    assert "all 1 were" not in page
