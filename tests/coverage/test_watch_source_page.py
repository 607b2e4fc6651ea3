"""The source page of a source the installation watches a folder for: where its files go, what was
last picked up from there, and a link to the folder file that needs an answer (issue 18)."""

from __future__ import annotations

import shutil
from io import BytesIO, StringIO

import pytest
from django.core.management import call_command

from connections.services import add_connection
from coverage.evidence import load_one
from coverage.models import AcquisitionBatch
from coverage.pipeline import preview_artifact
from tests.coverage.conftest import fixture_path

pytestmark = [pytest.mark.usefixtures("immediate_tasks", "artifact_root")]

GOOD = fixture_path("whatsapp", "android_dayfirst_24h.txt")
ASKS = "01/02/2024, 10:15 - Me: Hello\n02/03/2024, 10:16 - Anna Berg: Hi there\n"


@pytest.fixture
def folder(settings, tmp_path, owner, make_connection):
    root = tmp_path / "watched"
    settings.OWNERHUB_WATCH_DIR = str(root)
    settings.OWNERHUB_WATCH_SETTLE_SECONDS = 0
    source = make_connection("whatsapp", slug="family")
    path = root / owner.username / source.slug
    path.mkdir(parents=True)
    return path


def watch_once() -> None:
    call_command("watch", "--once", stdout=StringIO())


@pytest.mark.django_db
def test_the_source_page_shows_the_folder_and_the_file_last_picked_up(folder, client, owner):
    shutil.copy(GOOD, folder / "WhatsApp Chat with Ana.txt")
    watch_once()
    batch = AcquisitionBatch.objects.get()
    client.force_login(owner)
    page = client.get("/sources/family/").content.decode()
    assert str(folder) in page
    assert f'<a href="/receipts/{batch.pk}/">WhatsApp Chat with Ana.txt</a>' in page
    assert 'WhatsApp Chat with Ana.txt</a>, picked up ' in page and ": imported</p>" in page


@pytest.mark.django_db
def test_the_folder_fact_is_part_of_the_projection(folder):
    (folder / "chat.txt").write_text(ASKS, encoding="utf-8")
    watch_once()
    batch = AcquisitionBatch.objects.select_related("connection").get()
    watched = load_one(batch.connection).work.folder
    assert watched.path == str(folder)
    assert (watched.last.batch_id, watched.last.filename, watched.last.outcome) == (batch.pk, "chat.txt", "waiting")
    assert watched.last.url == f"/receipts/{batch.pk}/"
    assert watched.last.text.startswith("picked up ") and watched.last.text.endswith(": needs an answer")


@pytest.mark.django_db
def test_a_folder_file_needing_an_answer_links_its_own_preview_not_a_newer_upload(folder, client, owner):
    (folder / "chat.txt").write_text(ASKS, encoding="utf-8")
    watch_once()
    waiting = AcquisitionBatch.objects.get()
    upload = preview_artifact(waiting.connection, BytesIO(GOOD.read_bytes()), "newer.txt")
    assert upload.pk != waiting.pk and upload.status == "preview"
    client.force_login(owner)
    page = client.get("/").content.decode()
    assert f'<a href="/receipts/{waiting.pk}/">A file in your folder needs an answer</a>' in page


@pytest.mark.django_db
def test_without_a_watched_folder_the_source_page_names_no_folder(settings, client, owner, make_connection):
    settings.OWNERHUB_WATCH_DIR = ""
    source = make_connection("whatsapp", slug="family")
    assert load_one(source).work.folder is None
    client.force_login(owner)
    assert "your folder" not in client.get("/sources/family/").content.decode().lower()


@pytest.mark.django_db
def test_a_source_that_takes_no_files_names_no_folder(folder, owner):
    calendar = add_connection(owner, "ical_feed", "work-calendar", "Work calendar")
    assert load_one(calendar).work.folder is None
