"""An owner who corrects their zone, or whose chat comes from a phone in another language,
imports the same messages again: nothing is added twice (issue 11 section 2)."""

from __future__ import annotations

import pytest

from connections.models import OwnerProfile
from coverage.models import AcquisitionBatch, CoverageSummary, Record
from coverage.pipeline import preview_artifact, start_commit
from coverage.receipts import build_receipt
from tests.coverage.conftest import fixture_path

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]


def imported(connection, path, name: str | None = None) -> AcquisitionBatch:
    with path.open("rb") as source:
        batch = preview_artifact(connection, source, name or path.name)
    batch = start_commit(batch)
    batch.refresh_from_db()
    return batch


def counts(batch: AcquisitionBatch) -> tuple[int, int]:
    r = receipt(batch)
    return r.counts.accepted, r.counts.duplicate


def receipt(batch: AcquisitionBatch):
    return build_receipt(AcquisitionBatch.objects.select_related("connection").get(pk=batch.pk))


def test_a_newer_export_after_the_owner_changed_zone_adds_only_the_new_messages(chat, owner):
    first = imported(chat, fixture_path("whatsapp", "android_dayfirst_24h.txt"))
    OwnerProfile.objects.update_or_create(owner=owner, defaults={"time_zone": "Europe/Berlin"})

    second = imported(chat, fixture_path("whatsapp", "android_newer.txt"))

    assert first.status == second.status == "committed"
    assert second.time_zone_assumed == "Europe/Berlin"
    assert counts(first) == (20, 0)
    assert counts(second) == (5, 20)  # the 20 already imported are recognised
    assert "20 already imported" in receipt(second).sentence
    assert Record.objects.filter(connection=chat).count() == 25
    assert CoverageSummary.objects.get(connection=chat).record_count == 25


def test_the_same_chat_from_a_phone_set_to_german_is_already_imported(chat, tmp_path):
    english = fixture_path("whatsapp", "android_dayfirst_24h.txt")
    german = tmp_path / "WhatsApp-Chat mit Ana Souza.txt"
    german.write_text(
        english.read_text(encoding="utf-8")
        .replace("<Media omitted>", "<Medien ausgeschlossen>")
        .replace("This message was deleted", "Diese Nachricht wurde gelöscht"),
        encoding="utf-8",
    )
    assert german.read_bytes() != english.read_bytes()

    imported(chat, english)
    again = imported(chat, german)

    assert counts(again) == (0, 20)
    assert "all 20 were already imported" in receipt(again).sentence
    assert Record.objects.filter(connection=chat).count() == 20
