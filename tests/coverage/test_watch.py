"""A watched folder: files the owner drops into ``OWNERHUB_WATCH_DIR/<owner>/<source>/`` are
imported by the worker (or ``manage.py watch --once``), with a real folder on disk."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from connections.runtime import WorkerLoop
from coverage.evidence import load_one
from coverage.models import AcquisitionBatch, Record
from coverage.pipeline import preview_artifact, start_commit
from coverage.pipeline.backup import answer_chat
from tests.coverage.conftest import fixture_path
from tests.fixtures.whatsapp_backup.build import ChatSpec, Message, ios

pytestmark = [pytest.mark.usefixtures("immediate_tasks", "artifact_root")]

Status = AcquisitionBatch.Status
GOOD = fixture_path("whatsapp", "android_dayfirst_24h.txt")
ASKS = "01/02/2024, 10:15 - Me: Hello\n02/03/2024, 10:16 - Anna Berg: Hi there\n"


@pytest.fixture
def folder(settings, tmp_path, owner, make_connection):
    """The watched folder, with the owner's chat source's folder made; returns that folder."""
    root = tmp_path / "watched"
    settings.OWNERHUB_WATCH_DIR = str(root)
    settings.OWNERHUB_WATCH_SETTLE_SECONDS = 0
    source = make_connection("whatsapp", slug="family")
    path = root / owner.username / source.slug
    path.mkdir(parents=True)
    return path


def watch_once() -> str:
    out = StringIO()
    call_command("watch", "--once", stdout=out)
    return out.getvalue()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.django_db
def test_a_good_file_dropped_in_the_folder_is_imported_and_left_where_it_was(folder):
    dropped = folder / "WhatsApp Chat with Ana.txt"
    shutil.copy(GOOD, dropped)
    before = digest(dropped)
    assert watch_once() == "ada/family/WhatsApp Chat with Ana.txt: imported\n"
    batch = AcquisitionBatch.objects.get()
    assert (batch.status, batch.trigger, batch.method) == (Status.COMMITTED, "watched_folder", "owner_artifact")
    assert batch.options["folder"] == "WhatsApp Chat with Ana.txt"
    assert Record.objects.count() == batch.count_accepted > 0
    assert dropped.exists() and digest(dropped) == before  # never moved, deleted or changed


@pytest.mark.django_db
def test_a_file_whose_dates_need_an_answer_waits_for_the_owner(folder):
    (folder / "chat.txt").write_text(ASKS, encoding="utf-8")
    assert watch_once() == "ada/family/chat.txt: needs an answer on its preview\n"
    batch = AcquisitionBatch.objects.get()
    assert batch.status == Status.PREVIEW and batch.question["kind"] == "date_order"
    assert Record.objects.count() == 0
    assert watch_once() == "ada/family/chat.txt: already seen: nothing new\n"
    assert AcquisitionBatch.objects.count() == 1


@pytest.mark.django_db
def test_a_file_already_imported_does_nothing(folder):
    shutil.copy(GOOD, folder / "first.txt")
    watch_once()
    shutil.copy(GOOD, folder / "copy of first.txt")
    assert watch_once() == (
        "ada/family/copy of first.txt: already seen: nothing new\nada/family/first.txt: already seen: nothing new\n"
    )
    assert AcquisitionBatch.objects.count() == 1


@pytest.mark.django_db
def test_a_file_uploaded_by_hand_first_is_not_imported_again_from_the_folder(folder):
    connection = AcquisitionBatch._meta.apps.get_model("connections", "Connection").objects.get(slug="family")
    with GOOD.open("rb") as fh:
        start_commit(preview_artifact(connection, fh, GOOD.name))
    shutil.copy(GOOD, folder / "again.txt")
    assert watch_once() == "ada/family/again.txt: already seen: nothing new\n"
    assert AcquisitionBatch.objects.count() == 1


@pytest.mark.django_db
def test_a_file_that_cannot_be_read_gets_one_receipt_not_one_per_pass(folder):
    (folder / "photo.bin").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    assert watch_once() == "ada/family/photo.bin: could not be imported\n"
    assert watch_once() == "ada/family/photo.bin: already seen: nothing new\n"
    assert watch_once() == "ada/family/photo.bin: already seen: nothing new\n"
    batch = AcquisitionBatch.objects.get()
    assert (batch.status, batch.trigger) == (Status.REJECTED, "watched_folder")


@pytest.mark.django_db
def test_a_file_still_being_written_waits_for_the_next_pass(folder, settings):
    settings.OWNERHUB_WATCH_SETTLE_SECONDS = 60
    shutil.copy(GOOD, folder / "chat.txt")
    assert watch_once() == "ada/family/chat.txt: still being written: next time\n"
    old = time.time() - 120
    os.utime(folder / "chat.txt", (old, old))
    assert watch_once() == "ada/family/chat.txt: imported\n"


@pytest.mark.django_db
def test_folders_of_unknown_owners_and_sources_are_left_alone(folder):
    stranger = folder.parent.parent / "nobody" / "family"
    stranger.mkdir(parents=True)
    shutil.copy(GOOD, stranger / "chat.txt")
    other = folder.parent / "no-such-source"
    other.mkdir()
    shutil.copy(GOOD, other / "chat.txt")
    assert watch_once() == ""
    assert AcquisitionBatch.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_worker_imports_a_dropped_file_on_its_own(folder):
    shutil.copy(GOOD, folder / "chat.txt")
    loop = WorkerLoop(0.05)
    loop.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not AcquisitionBatch.objects.filter(status=Status.COMMITTED).exists():
            time.sleep(0.1)
    finally:
        loop.stop()
        loop.join(30)
    batch = AcquisitionBatch.objects.get()
    assert (batch.status, batch.trigger) == (Status.COMMITTED, "watched_folder")
    assert (folder / "chat.txt").exists()


@pytest.mark.django_db
def test_the_receipt_says_the_file_came_from_your_folder(folder):
    from coverage.receipts import build_receipt

    shutil.copy(GOOD, folder / "chat.txt")
    watch_once()
    receipt = build_receipt(AcquisitionBatch.objects.select_related("connection").get())
    assert receipt.sentence.endswith(" Picked up from your folder.")


@pytest.mark.django_db
def test_a_phone_backup_in_the_folder_asks_which_chat_then_later_ones_import_on_their_own(folder, tmp_path):
    def chat(day: int) -> ChatSpec:
        when = datetime(2024, 1, day, 9, 15, tzinfo=UTC)
        return ChatSpec("Anna Berg", (Message(when, False, "Anna Berg", f"Hi on the {day}th"),))

    ios(folder / "ChatStorage.sqlite", [chat(25), ChatSpec("Bob Ray", ())])
    assert watch_once() == "ada/family/ChatStorage.sqlite: needs an answer on its preview\n"
    batch = AcquisitionBatch.objects.get()
    assert (batch.method, batch.question["kind"]) == ("device_backup", "chat")
    start_commit(answer_chat(batch, "Anna Berg"))

    later = tmp_path / "later"
    later.mkdir()
    ios(later / "ChatStorage.sqlite", [chat(26)])
    shutil.copy(later / "ChatStorage.sqlite", folder / "ChatStorage 2.sqlite")
    assert watch_once() == (
        "ada/family/ChatStorage 2.sqlite: imported\nada/family/ChatStorage.sqlite: already seen: nothing new\n"
    )
    assert Record.objects.count() == 2


@pytest.mark.django_db
def test_the_source_says_a_file_in_your_folder_needs_an_answer_with_a_link_to_it(folder, client, owner):
    (folder / "chat.txt").write_text(ASKS, encoding="utf-8")
    watch_once()
    batch = AcquisitionBatch.objects.get()
    client.force_login(owner)
    page = client.get("/").content.decode()
    assert f'<a href="/receipts/{batch.pk}/">A file in your folder needs an answer</a>' in page


@pytest.mark.django_db
def test_the_latest_activity_says_the_file_came_from_your_folder(folder):
    shutil.copy(GOOD, folder / "chat.txt")
    watch_once()
    batch = AcquisitionBatch.objects.select_related("connection").get()
    activity = load_one(batch.connection).latest_activity
    assert activity.outcome == "committed" and activity.text.endswith("chat.txt, from your folder")
