"""Imports read by an older reader: an advisory with "Read again with the improved reader" until they are."""

from __future__ import annotations

import io

import pytest

from connections.connectors import whatsapp
from coverage.evidence import load_one
from coverage.models import AcquisitionBatch
from coverage.pipeline import preview_artifact, start_commit
from coverage.pipeline.reread import commit_reread, preview_reread

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]
CHAT = "[18/03/2023 10:01:12] Alice: Bonjour\n[19/03/2023 21:16:00] Bruno: Bonne nuit\n"


def _import(connection, text: str, name: str) -> AcquisitionBatch:
    batch = start_commit(preview_artifact(connection, io.BytesIO(text.encode()), name))
    batch.refresh_from_db()
    assert batch.status == "committed", batch.reject_detail
    return batch


def test_an_import_read_by_an_older_reader_is_offered_a_new_reading_until_it_is_read_again(chat, owner, client):
    old = _import(chat, CHAT, "_chat.txt")
    assert not [a for a in load_one(chat).advisories if a.kind == "outdated_reader"]
    AcquisitionBatch.objects.filter(pk=old.pk).update(parser_version="whatsapp/1")  # read before today's reader
    assert whatsapp.PARSER_VERSION != "whatsapp/1"

    health = load_one(chat)
    [advisory] = [a for a in health.advisories if a.kind == "outdated_reader"]
    assert advisory.severity == "advisory"
    assert advisory.detail == "1 import was read by an older reader; the improved reader may find more."
    [reread] = [a for a in health.actions if a.kind == "reread"]
    assert (reread.label, reread.method, reread.url, reread.urgency) == (
        "Read again with the improved reader", "GET", "/sources/family-chat/reread/", "soon")
    assert not health.needs_owner_now
    client.force_login(owner)
    page = client.get("/").content.decode()
    assert '<a href="/sources/family-chat/reread/">Read again with the improved reader</a>' in page
    assert advisory.detail in page
    assert client.get(reread.url).status_code == 200  # the page it leads to exists

    commit_reread(preview_reread(old))
    health = load_one(chat)
    assert "outdated_reader" not in [a.kind for a in health.advisories]
    assert "reread" not in [a.kind for a in health.actions]


def test_an_import_whose_file_is_no_longer_held_is_not_offered_a_new_reading(chat):
    old = _import(chat, CHAT, "_chat.txt")
    AcquisitionBatch.objects.filter(pk=old.pk).update(parser_version="whatsapp/1", artifact_name="")
    assert "outdated_reader" not in [a.kind for a in load_one(chat).advisories]
