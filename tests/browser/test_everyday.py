"""The owner's everyday jobs in a real browser, on a phone (375 px) and a desktop (1280 px).

Several files dropped at once, each with its byte progress, through to their previews; a large
Timeline file read in the background while its page counts the places read so far; undoing an
import a push overlaps; the phone page with its QR codes.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection as db
from playwright.sync_api import expect

from connections.connectors.base import BatchFacts, ParsedRecord
from connections.models import Connection
from connections.services import add_connection
from coverage.models import AcquisitionBatch, Record
from coverage.pipeline import acquire_records, land_batch, preview_artifact, staging, start_commit
from coverage.pipeline.background import read_preview

from ..everyday.conftest import fixture
from .test_owner_journey import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"phone": (375, 812), "desktop": (1280, 900)}


def _screen(page, screen: str) -> None:
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[screen], strict=True)))


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _records_json(points: int, *, start_hour: int = 0) -> str:
    """A Google Records.json with ``points`` fixes a minute apart (the same every time for a size)."""
    base = 1_683_500_000  # 8 May 2023
    def fix(i: int) -> str:
        at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(base + start_hour * 3600 + i * 60))
        return f'{{"latitudeE7":{525_000_000 + i % 9_000},"longitudeE7":{134_000_000 + i % 7_000},"timestamp":"{at}"}}'

    rows = ",".join(fix(i) for i in range(points))
    return '{"locations":[' + rows + "]}"


def _drop(page, selector: str, files: list[tuple[str, str]]) -> None:
    """Drop files (name, text) on an element, as the owner drags them from a folder."""
    transfer = page.evaluate_handle(
        """(files) => { const dt = new DataTransfer();
             for (const [name, text] of files) dt.items.add(new File([text], name, {type: "application/json"}));
             return dt; }""",
        files,
    )
    page.dispatch_event(selector, "drop", {"dataTransfer": transfer})


@pytest.mark.parametrize("screen", WIDTHS)
def test_several_files_dropped_at_once_each_show_their_progress_and_become_previews(
    page, live_server, owner, shots, screen
):
    _screen(page, screen)
    add_connection(owner, "google_timeline", "timeline", "My Timeline")
    _log_in(page, live_server, owner.username)
    page.goto(f"{live_server.url}/sources/timeline/upload/")
    # The button is disabled while the files are sent: remember every change of it.
    page.evaluate(
        """() => { window.disabledSeen = false; const b = document.querySelector("[data-upload-button]");
             new MutationObserver(() => { if (b.disabled) window.disabledSeen = true; })
               .observe(b, {attributes: true}); }"""
    )
    shots(page, "drop-zone")

    files = [
        ("Records-May.json", _records_json(30_000)),  # about 2 MB: the bar moves while it is sent
        ("semantic_2023_AUGUST.json", fixture("google_timeline/semantic_2023_AUGUST.json").read_text()),
    ]
    _drop(page, "[data-dropzone]", files)

    rows = page.locator("[data-upload-list] li")
    expect(rows).to_have_count(2)
    expect(rows.get_by_role("link", name="See the preview")).to_have_count(2, timeout=30_000)
    assert page.evaluate("window.disabledSeen") is True
    assert page.evaluate("Array.from(document.querySelectorAll('[data-upload-list] progress')).map(p => p.value)") == [100, 100]
    expect(rows.nth(0)).to_contain_text("Records-May.json")
    expect(rows.nth(0)).to_contain_text("30,000 new places")
    expect(page.locator("[data-upload-button]")).to_be_enabled()
    shots(page, "both-sent")
    assert _no_sideways_scroll(page)
    assert AcquisitionBatch.objects.filter(status="preview").count() == 2 and not Record.objects.exists()

    rows.nth(1).get_by_role("link", name="See the preview").click()
    expect(page.get_by_role("heading", name="Preview: nothing imported yet")).to_be_visible()
    shots(page, "second-preview")


@pytest.mark.skipif(db.vendor != "postgresql", reason="needs PostgreSQL: the worker and the page each need their "
                    "own connection to the test database, and the in-memory SQLite one is a single connection")
@pytest.mark.parametrize("screen", WIDTHS)
def test_a_large_timeline_is_read_in_the_background_while_its_page_counts_the_places(
    page, live_server, owner, shots, screen, settings, tmp_path, monkeypatch
):
    _screen(page, screen)
    add_connection(owner, "google_timeline", "timeline", "My Timeline")
    points = 300_000
    big = tmp_path / "Records.json"
    big.write_text(_records_json(points))
    _log_in(page, live_server, owner.username)
    page.goto(f"{live_server.url}/sources/timeline/upload/")
    # An idle queue: the test starts the reading itself, in a thread with its own connection
    # (``db_worker`` installs signal handlers, so it runs only in a main thread).
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    page.get_by_label("Export file").set_input_files(str(big))
    page.get_by_role("button", name="Preview the file").click()
    expect(page.get_by_role("heading", name="Reading Records.json…")).to_be_visible(timeout=30_000)
    batch = AcquisitionBatch.objects.get()
    assert batch.is_reading
    shots(page, "waiting-for-the-worker")

    # Each chunk the reading writes takes a tenth of a second more, as on a slower machine or a
    # larger file: reading 300,000 points ahead took about as long as two polls of the page.
    write = staging.PostgresStageWriter.write

    def slowly(*args):
        time.sleep(0.1)
        return write(*args)

    monkeypatch.setattr(staging.PostgresStageWriter, "write", slowly)
    reader = threading.Thread(target=_read_in_thread, args=(batch.pk,))
    reader.start()
    seen: list[int] = []
    lead = page.locator("#receipt-body .lead")
    while reader.is_alive():
        text = lead.text_content() or ""
        if text.startswith("Reading… "):
            count = int(text.removeprefix("Reading… ").split(" ")[0].replace(",", ""))
            if not seen or count != seen[-1]:
                seen.append(count)
                if len(seen) == 2:
                    shots(page, "count-rising")
        time.sleep(0.2)
    reader.join()

    assert len(seen) >= 2 and seen == sorted(seen) and seen[-1] <= points  # the count rose as it read
    expect(page.get_by_role("heading", name="Preview: nothing imported yet")).to_be_visible(timeout=10_000)
    expect(page.locator("#receipt-body .lead")).to_contain_text(f"{points:,} new places")
    shots(page, "preview-ready")
    assert _no_sideways_scroll(page)


def _read_in_thread(batch_id: int) -> None:
    try:
        read_preview(batch_id)
    finally:
        db.close()


def _push(connection, records) -> AcquisitionBatch:
    facts = BatchFacts(source_format="owntracks_http", parser_version="owntracks/1")
    return acquire_records(connection, method="device_sync", trigger="push", records=records, facts=facts)


@pytest.mark.parametrize("screen", WIDTHS)
def test_undoing_an_import_a_push_overlaps_keeps_what_the_phone_sent(page, live_server, owner, shots, screen):
    _screen(page, screen)
    timeline = add_connection(owner, "google_timeline", "timeline", "My Timeline")
    with fixture("google_timeline/records.json").open("rb") as source:
        preview = preview_artifact(timeline, source, "records.json")
    start_commit(preview, enqueue=False)
    land_batch(preview.pk)
    held = list(Record.objects.filter(connection=timeline).order_by("event_at")[:5])
    _push(timeline, [ParsedRecord(r.stream, r.key, r.event_at, {"source": "phone"}) for r in held])
    _log_in(page, live_server, owner.username)

    page.goto(f"{live_server.url}/receipts/{preview.pk}/")
    page.get_by_role("link", name="Remove this import").click()
    expect(page.locator(".lead")).to_have_text(
        "24 places go. 5 places stay, because another import or your phone delivered them too."
    )
    shots(page, "confirm-with-the-counts")
    assert Record.objects.filter(connection=timeline).count() == 29
    page.get_by_role("button", name="Remove this import").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Removed:")
    expect(page.locator("#receipt-body .lead")).to_contain_text("24 places went. 5 places stay")
    shots(page, "removed")
    assert _no_sideways_scroll(page)
    assert Record.objects.filter(connection=timeline).count() == 5
    page.goto(f"{live_server.url}/sources/timeline/")
    expect(page.locator(".card")).to_contain_text("5 places")


@pytest.mark.parametrize("screen", WIDTHS)
def test_the_phone_page_fits_the_phone_and_carries_its_settings_as_qr_codes(page, live_server, owner, shots, screen):
    _screen(page, screen)
    Connection.objects.create(owner=owner, connector="owntracks", slug="my-phone", name="My phone")
    _log_in(page, live_server, owner.username)
    page.goto(f"{live_server.url}/sources/my-phone/")
    page.get_by_role("button", name="Create a device token").click()

    expect(page).to_have_url(f"{live_server.url}/sources/my-phone/token/")
    expect(page.locator("#device-token")).to_be_visible()
    secret = page.locator("#device-token").text_content()
    expect(page.locator("figure.qr svg")).to_have_count(2)
    assert page.locator("figure.qr svg").first.bounding_box()["width"] > 100
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy the token").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    shots(page, "token-and-codes")
    assert _no_sideways_scroll(page)

    page.reload()
    expect(page.locator("#device-token")).to_have_count(0)
    expect(page.locator("figure.qr svg")).to_have_count(0)
    expect(page.get_by_role("button", name="Make a new token")).to_be_visible()
    assert secret not in page.content()
    shots(page, "after-reload")
    assert _no_sideways_scroll(page)
    assert Connection.objects.get(slug="my-phone").device_tokens.live().count() == 1
