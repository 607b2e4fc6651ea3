"""Gaps only where the connector declares an expected density (issue 11, section 3): a chat has
quiet days, a phone has gaps. The receipt, the card and the timeline use one rule, so they agree.

The chat goes through the real pipeline (preview, commit); the phone pushes through it too.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest

from connections.connectors.base import BatchFacts, ParsedRecord, location_key
from connections.services import add_connection
from coverage.evidence import load_one, load_receipt
from coverage.models import AcquisitionBatch
from coverage.pipeline import acquire_records, preview_artifact, start_commit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]

QUIET_CHAT = "\n".join([
    "01/03/2024, 09:00 - Ana: Off on the trek tomorrow",
    "02/03/2024, 08:00 - Ben: Have fun!",
    # ten quiet days: 3 to 12 March
    "13/03/2024, 19:00 - Ana: Back, and no signal the whole time",
    "14/03/2024, 10:00 - Ben: Welcome back",
]) + "\n"


def _receipt(batch):
    return load_receipt(AcquisitionBatch.objects.select_related("connection", "duplicate_of").get(pk=batch.pk))


def test_a_chat_with_ten_quiet_days_shows_no_gap_on_the_receipt_the_card_or_the_timeline(owner, owner_client):
    chat = add_connection(owner, "whatsapp", "trek-chat", "Trek chat")
    batch = start_commit(preview_artifact(chat, io.BytesIO(QUIET_CHAT.encode()), "WhatsApp Chat with Ana.txt"))

    assert _receipt(batch).gaps == ()
    health = load_one(chat)
    assert health.coverage.gaps == ()
    assert "coverage_hole" not in [a.kind for a in health.advisories]
    receipt_page = owner_client.get(f"/receipts/{batch.pk}/").content.decode()
    assert "Nothing from" not in receipt_page
    page = owner_client.get(f"/sources/{chat.slug}/").content.decode()
    assert "Gap: nothing" not in page
    assert 'class="cell l0 hole"' not in page and "<td>gap</td>" not in page


def point(day: int) -> ParsedRecord:
    at = datetime(2024, 3, day, 12, 0, tzinfo=UTC)
    return ParsedRecord("locations", location_key(at, 38.72, -9.14), at, {"lat": 38.72, "lon": -9.14})


def test_a_phone_quiet_for_three_days_shows_the_same_gap_on_the_receipt_the_card_and_the_timeline(
    owner, owner_client
):
    phone = add_connection(owner, "owntracks", "my-phone", "My phone")  # declares holes after 2 empty days
    batch = acquire_records(
        phone, method="device_sync", trigger="push", records=[point(d) for d in (1, 2, 6, 7)],
        facts=BatchFacts(source_format="owntracks_http", parser_version="owntracks/1"),
        now=datetime(2024, 3, 7, 13, 0, tzinfo=UTC),
    )

    gap = ("2024-03-03", "2024-03-05", 3)
    assert [(g.start, g.end, g.days) for g in _receipt(batch).gaps] == [gap]
    health = load_one(phone)
    assert [(g.start, g.end, g.days) for g in health.coverage.gaps] == [gap]
    assert "coverage_hole" in [a.kind for a in health.advisories]
    page = owner_client.get(f"/sources/{phone.slug}/").content.decode()
    assert "Gap: nothing from 3 Mar 2024 to 5 Mar 2024 (3 days)" in page
    assert page.count("<td>gap</td>") == 3
