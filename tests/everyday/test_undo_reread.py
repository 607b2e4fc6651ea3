"""Undoing an import that was read again, and the summaries after an undo or a re-read.

The rule: a re-read is, from its commit on, the import of that file (it holds the file and the
records). Undoing it removes the import of that file, its earlier reading included: the earlier
reading cannot be brought back, because the reader that made it is no longer part of Ownerhub.
Undoing the earlier reading alone is refused, with words that say so and point at the newer one.
After an undo or a re-read, the coverage summaries (slot keys included) are those a fresh import
of what remains gives.
"""

from __future__ import annotations

import io

import pytest

from connections.models import Connection, OwnerProfile
from coverage.models import AcquisitionBatch, CoverageSummary, LaneSummary, Record
from coverage.pipeline import preview_artifact, start_commit
from coverage.pipeline.reread import commit_reread, preview_reread
from coverage.pipeline.undo import RemovalRefused, plan_removal, remove_import
from coverage.receipts import build_receipt
from tests.coverage.conftest import fixture_path

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks", "artifact_root")]
Status = AcquisitionBatch.Status

CHAT = (
    "18/03/2023, 10:01 - Alice: Bonjour\n"
    "18/03/2023, 10:02 - Bruno: <Media omitted>\n"
    "18/03/2023, 22:40 - Alice: Bonne nuit\n"
    "19/03/2023, 08:15 - Bruno: Salut\n"
)
LATER_DAYS = "21/03/2023, 09:00 - Alice: Encore\n22/03/2023, 19:30 - Bruno: Fin\n"


@pytest.fixture
def make_connection(owner):
    made = []

    def make(connector: str):
        made.append(connector)
        return Connection.objects.create(owner=owner, connector=connector, slug=f"source-{len(made)}",
                                         name=f"Source {len(made)}")

    return make


@pytest.fixture(params=["UTC", "Asia/Kathmandu"])  # hour slots, and quarter-hour slots
def zone(request, owner):
    OwnerProfile.objects.update_or_create(owner=owner, defaults={"time_zone": request.param})
    return request.param


def _upload(connection, text: str, name: str) -> AcquisitionBatch:
    batch = start_commit(preview_artifact(connection, io.BytesIO(text.encode()), name))
    batch.refresh_from_db()
    assert batch.status == Status.COMMITTED, batch.reject_detail
    return batch


def _file(connection, name: str) -> AcquisitionBatch:
    with fixture_path(connection.connector, name).open("rb") as source:
        batch = start_commit(preview_artifact(connection, source, name))
    batch.refresh_from_db()
    assert batch.status == Status.COMMITTED, batch.reject_detail
    return batch


def _reread(batch: AcquisitionBatch) -> AcquisitionBatch:
    new = commit_reread(preview_reread(batch))
    assert new.status == Status.COMMITTED
    return new


def _held(connection) -> dict:
    return {(r.stream, r.key): (r.event_at, r.payload, r.media) for r in Record.objects.filter(connection=connection)}


def _summaries(connection) -> tuple:
    summary = list(CoverageSummary.objects.filter(connection=connection).values(
        "record_count", "earliest_event_at", "covered_through", "media_declared", "media_attached",
        "media_missing", "media_omitted", "holes",
    ))
    lanes = list(LaneSummary.objects.filter(connection=connection).values(
        "method", "batches", "records", "accepted", "earliest_event_at", "covered_through", "day_counts", "media_days",
    ))
    return summary, lanes


# --- undoing a re-read ------------------------------------------------------------------------------
def test_undoing_a_reread_removes_the_import_of_that_file_and_its_earlier_reading(make_connection, owner, zone):
    chat = make_connection("whatsapp")
    old = _upload(chat, CHAT, "chat.txt")
    new = _reread(old)

    removed = remove_import(new)

    old.refresh_from_db()
    assert removed.status == Status.REMOVED and old.status == Status.REMOVED
    assert not Record.objects.filter(connection=chat).exists()
    assert not CoverageSummary.objects.filter(connection=chat).exists()
    sentence = build_receipt(AcquisitionBatch.objects.select_related("connection").get(pk=new.pk), tz=None).sentence
    assert "4 messages went" in sentence
    assert "The earlier reading of this file was removed with it" in sentence


def test_undoing_an_import_that_was_read_again_is_refused_and_points_at_the_newer_reading(make_connection, owner):
    chat = make_connection("whatsapp")
    old = _upload(chat, CHAT, "chat.txt")
    _reread(old)
    before = _held(chat)

    for attempt in (plan_removal, remove_import):
        with pytest.raises(RemovalRefused, match="was read again on .*: remove that newer reading"):
            attempt(old)

    old.refresh_from_db()
    assert old.status == Status.COMMITTED and _held(chat) == before


def test_undoing_a_reread_keeps_what_a_later_export_also_holds_as_a_fresh_import_of_it_would(
    make_connection, owner, zone
):
    chat = make_connection("whatsapp")
    old = _upload(chat, CHAT, "chat.txt")
    _upload(chat, CHAT + LATER_DAYS, "chat-2.txt")  # names the first import among its duplicates
    new = _reread(old)

    remove_import(new)

    fresh = make_connection("whatsapp")
    _upload(fresh, CHAT + LATER_DAYS, "chat-2.txt")
    assert _held(chat) == _held(fresh) and len(_held(chat)) == 6
    assert _summaries(chat) == _summaries(fresh)


# --- the summaries after an undo and after a re-read -------------------------------------------------
def test_after_an_undo_the_summaries_equal_a_fresh_import_of_what_remains(make_connection, owner, zone):
    chat = make_connection("whatsapp")
    first = _upload(chat, CHAT, "chat.txt")
    _upload(chat, CHAT + LATER_DAYS, "chat-2.txt")

    remove_import(first)

    fresh = make_connection("whatsapp")
    _upload(fresh, CHAT + LATER_DAYS, "chat-2.txt")
    assert _summaries(chat) == _summaries(fresh)


def test_after_an_undo_of_a_health_export_each_streams_slots_equal_a_fresh_import(make_connection, owner, zone):
    health = make_connection("apple_health")
    first = _file(health, "export.zip")
    _file(health, "export_missing_route.zip")

    remove_import(first)

    fresh = make_connection("apple_health")
    _file(fresh, "export_missing_route.zip")
    lanes = _summaries(health)[1]
    assert any("~" in key for key in lanes[0]["day_counts"])  # the per-stream slot keys are there
    assert _summaries(health) == _summaries(fresh)


def test_after_a_reread_of_a_health_export_each_streams_slots_equal_a_fresh_import(make_connection, owner, zone):
    health = make_connection("apple_health")
    _reread(_file(health, "export.zip"))

    fresh = make_connection("apple_health")
    _file(fresh, "export.zip")
    assert _held(health) == _held(fresh)
    assert _summaries(health) == _summaries(fresh)


def test_the_page_of_an_import_read_again_offers_no_undo_and_points_at_the_newer_reading(
    make_connection, owner, client
):
    chat = make_connection("whatsapp")
    old = _upload(chat, CHAT, "chat.txt")
    new = _reread(old)
    client.force_login(owner)

    page = client.get(f"/receipts/{old.pk}/").content.decode()
    asked = client.get(f"/receipts/{old.pk}/remove/", follow=True)

    assert f'href="/receipts/{old.pk}/remove/"' not in page
    assert f'href="/receipts/{new.pk}/">the newer reading</a>' in page
    assert asked.status_code == 200 and "remove that newer reading" in asked.content.decode()
    assert f'href="/receipts/{new.pk}/remove/"' in client.get(f"/receipts/{new.pk}/").content.decode()
