"""A large phone backup (ChatStorage.sqlite, msgstore.db) is read by the worker, as a large export is:
the request stores it, the worker reads it with the backup reader and counts as it goes (issue 18)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from coverage.models import AcquisitionBatch, Record
from coverage.pipeline import start_commit
from coverage.pipeline.backup import preview_backup
from tests.fixtures.whatsapp_backup.build import ChatSpec, Message, android, ios

from .conftest import run_worker

Status = AcquisitionBatch.Status
ANNA = ChatSpec("Anna Berg", (
    Message(datetime(2024, 3, 1, 9, 0, 5, tzinfo=UTC), False, "Anna Berg", "Morning!"),
    Message(datetime(2024, 3, 1, 9, 1, 7, tzinfo=UTC), True, "", "Hi Anna"),
    Message(datetime(2024, 3, 2, 18, 30, 0, tzinfo=UTC), False, "Anna Berg", "See you"),
))
BOB = ChatSpec("Bob", (Message(datetime(2024, 4, 1, 8, 0, 0, tzinfo=UTC), False, "Bob", "Yo"),))


def _upload(path) -> SimpleUploadedFile:
    return SimpleUploadedFile(path.name, path.read_bytes(), content_type="application/octet-stream")


@pytest.mark.django_db(transaction=True)  # the worker closes its database connection when done
def test_a_large_iphone_backup_is_read_by_the_worker_which_then_asks_which_chat(
    owner_client, chat, read_in_background, tmp_path
):
    backup = ios(tmp_path / "ChatStorage.sqlite", [ANNA, BOB])
    response = owner_client.post("/sources/family-chat/upload/", {"artifact": _upload(backup)})
    batch = AcquisitionBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/receipts/{batch.pk}/"
    assert batch.method == "device_backup" and batch.is_reading and batch.count_parsed == 0

    run_worker()

    batch.refresh_from_db()
    assert batch.status == Status.PREVIEW and not batch.is_reading
    assert batch.question["kind"] == "chat" and batch.question["choices"] == ["Anna Berg", "Bob"]
    assert batch.question["labels"]["Anna Berg"].startswith("Anna Berg: 3 messages")


@pytest.mark.django_db(transaction=True)
def test_a_large_android_backup_of_a_remembered_chat_is_read_by_the_worker_with_its_count(
    owner_client, chat, read_in_background, tmp_path
):
    first = android(tmp_path / "msgstore.db", [ANNA, BOB])
    with first.open("rb") as fh:
        earlier = preview_backup(chat, fh, first.name, chat="Anna Berg")  # small: read here
    assert earlier.count_parsed == 3 and earlier.question is None
    start_commit(earlier)
    run_worker()
    assert Record.objects.count() == 3

    more = ChatSpec("Anna Berg", (*ANNA.messages, Message(datetime(2024, 3, 3, 7, 0, 0, tzinfo=UTC), True, "", "Bye")))
    (tmp_path / "later").mkdir()
    later = android(tmp_path / "later" / "msgstore.db", [more, BOB])
    owner_client.post("/sources/family-chat/upload/", {"artifact": _upload(later)})
    batch = AcquisitionBatch.objects.latest("pk")
    assert batch.method == "device_backup" and batch.is_reading and batch.count_parsed == 0

    run_worker()

    batch.refresh_from_db()
    assert batch.status == Status.PREVIEW and batch.is_measured and batch.question is None
    assert batch.options["chat"] == "Anna Berg"
    assert (batch.count_parsed, batch.count_accepted, batch.count_duplicate) == (4, 1, 3)
