"""A gap the connector declares blocking (an export cut off mid-file) fails the card until a complete
export arrives; the preview and the receipt say it is blocking, and what was read is kept."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from pathlib import Path

import pytest

from connections.services import add_connection
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
    # An export is not collected: the card does not say collection is blocked.
    assert health.verdict.forward.endswith("Until then this source counts as incomplete; what was read is kept.")
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


FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "apple_health"


def _upload(client, name: str) -> AcquisitionBatch:
    with (FIXTURES / name).open("rb") as fh:
        assert client.post("/sources/health/upload/", {"artifact": fh}).status_code == 302
    return AcquisitionBatch.objects.filter(connection__slug="health").latest("created_at", "pk")


@pytest.mark.usefixtures("immediate_tasks")
def test_a_real_apple_health_export_cut_off_mid_file_is_blocking_until_a_complete_one_arrives(owner, client):
    """The shipped Apple Health connector declares ``cut_off`` blocking; its parser warns it for an
    export.xml that stops in the middle (tests/fixtures/apple_health/truncated_xml.zip)."""
    add_connection(owner, "apple_health", "health", "Health")
    client.force_login(owner)
    preview = _upload(client, "truncated_xml.zip")
    page = _text(client.get(f"/receipts/{preview.pk}/").content.decode())
    assert "Preview" in page and "Blocking:" in page
    assert client.post(f"/receipts/{preview.pk}/import/").status_code == 302
    preview.refresh_from_db()
    assert preview.status == "committed" and preview.count_accepted > 0  # what was read is kept

    health = load_one(preview.connection)
    assert (health.verdict.state, health.verdict.label) == ("failing", "Can't collect")
    assert [(a.kind, a.severity) for a in health.advisories if a.kind == "cut_off"] == [("cut_off", "blocking")]
    assert health.coverage.record_count == preview.count_accepted
    assert "Blocking:" in _text(client.get(f"/receipts/{preview.pk}/").content.decode())

    complete = _upload(client, "export.zip")
    client.post(f"/receipts/{complete.pk}/import/")
    health = load_one(preview.connection)
    assert "cut_off" not in [a.kind for a in health.advisories] and health.verdict.state != "failing"
