"""A gap the connector declares blocking (an export cut off mid-file) fails the card until a complete
export arrives; the preview and the receipt say it is blocking, and what was read is kept."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest

from coverage.evidence import load_one
from coverage.models import AcquisitionBatch
from tests.factories import BatchFactory
from tests.scenarios import NOW, SCENARIOS

pytestmark = pytest.mark.django_db
CUT = {"kind": "cut_off", "position": "line 48,210",
       "detail": "The export stops in the middle of export.xml; what came before was read."}


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page))).strip()


@pytest.fixture
def cut_health(owner, time_machine):
    time_machine.move_to(NOW, tick=False)
    return SCENARIOS["export_cut_off_mid_file_is_failing_and_keeps_what_was_read"][0].save(owner)


def test_a_cut_off_export_fails_the_card_and_its_receipt_and_preview_say_blocking(cut_health, owner, client):
    health = load_one(cut_health, now=NOW)
    assert (health.verdict.state, health.verdict.label) == ("failing", "Can't collect")
    assert health.coverage.record_count == 5000  # what was read is kept and counted
    [blocking] = health.advisories
    assert (blocking.kind, blocking.severity, blocking.detail) == ("cut_off", "blocking", CUT["detail"])
    client.force_login(owner)
    card = _text(client.get("/").content.decode())
    assert f"Blocking: {CUT['detail']}" in card and "Upload a newer export" in card

    receipt = _text(client.get(f"/receipts/{health.latest_receipt.batch_id}/").content.decode())
    assert f"Blocking: line 48,210: {CUT['detail']}" in receipt
    assert "This export is incomplete: export again and upload the whole file. What was read is kept." in receipt
    api = client.get(f"/api/owner/batches/{health.latest_receipt.batch_id}").json()
    assert api["warnings"] == [{**CUT, "blocking": True}]

    preview = BatchFactory(connection=cut_health, status=AcquisitionBatch.Status.PREVIEW, count_parsed=10,
                           count_accepted=10, warnings=[CUT], created_at=NOW - timedelta(minutes=5),
                           source_format="apple_health_zip", preview_counts={"accepted": 10})
    page = _text(client.get(f"/receipts/{preview.pk}/").content.decode())
    assert "Preview" in page and f"Blocking: line 48,210: {CUT['detail']}" in page


def test_a_later_complete_export_clears_the_blocking_gap(cut_health):
    complete = BatchFactory(connection=cut_health, source_format="apple_health_zip", count_parsed=6000,
                            count_accepted=1000, created_at=NOW - timedelta(hours=1))
    cut_health.coverage_summary.latest_batch = complete
    cut_health.coverage_summary.save(update_fields=["latest_batch"])
    health = load_one(cut_health, now=NOW)
    assert health.verdict.state == "healthy" and not health.advisories
