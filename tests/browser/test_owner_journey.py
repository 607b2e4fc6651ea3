"""The owner's journey in a real browser: add a chat, import an export, read the receipt.

The import is committed by the real background worker (``manage.py db_worker --batch``,
run in-process against the live server's database by the ``worker`` fixture) while the
page polls the import's progress with htmx.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from coverage.models import AcquisitionBatch

from ..views.conftest import export

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"


def _log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/login/"))
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Your sources")).to_be_visible()


def test_import_a_chat_export_and_find_it_on_the_dashboard(page, live_server, owner, worker, shots):
    page.set_viewport_size({"width": 375, "height": 812})
    _log_in(page, live_server, owner.username)
    expect(page.get_by_text("Add your first source")).to_have_count(2)
    shots(page, "empty-dashboard")

    card = _add_a_whatsapp_source(page, shots)
    batch = _preview_the_export(page, shots, card)
    _import_it_through_the_worker(page, worker, shots, batch)
    card = _dashboard_suggests_a_refresh(page, shots)
    _the_same_file_again_is_a_duplicate(page, shots, card)
    _the_same_pages_on_a_desktop(page, shots)


def _add_a_whatsapp_source(page, shots):
    # Add a WhatsApp connection from the catalog.
    page.get_by_role("link", name="Add your first source").click()
    expect(page.get_by_role("heading", name="Add a source")).to_be_visible()
    shots(page, "catalog")
    page.get_by_role("link", name="Add WhatsApp").click()
    page.get_by_label("Name").fill("Family chat")
    page.get_by_role("button", name="Add source").click()
    # An export source: the owner lands on its upload page, which carries the steps.
    expect(page.get_by_role("heading", level=1)).to_have_text("Import into Family chat")
    page.locator(".crumbs").get_by_role("link", name="Family chat").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Family chat")
    card = page.locator("#source-family-chat-card")
    expect(card.locator(".pill")).to_have_text(re.compile("Finish setup"))
    shots(page, "new-source")
    return card


def _preview_the_export(page, shots, card) -> AcquisitionBatch:
    # Upload: the preview shows what the file holds; nothing is imported yet.
    card.get_by_role("link", name="Upload the export").click()
    page.get_by_label("Export file").set_input_files(str(export("whatsapp/ios_missing_media.zip")))
    page.get_by_role("button", name="Preview the file").click()
    expect(page.get_by_role("heading", name="Preview: nothing imported yet")).to_be_visible()
    batch = AcquisitionBatch.objects.get()
    counts = page.locator("table.counts")
    expect(counts.get_by_role("row", name=re.compile("Would be new"))).to_contain_text(str(batch.count_accepted))
    expect(page.locator(".lead")).to_contain_text(f"{batch.count_accepted} new messages from 12 Mar to 16 Mar 2023")
    expect(page.get_by_text(re.compile("not included in this export")).first).to_be_visible()
    shots(page, "preview")
    return batch


def _import_it_through_the_worker(page, worker, shots, batch: AcquisitionBatch) -> None:
    # Import: the phases show while the import waits for the worker, then it lands.
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", name="Importing…")).to_be_visible()
    expect(page.locator(".phase-done")).to_have_count(3)
    expect(page.locator(".phase-current")).to_contain_text("Saved")
    shots(page, "importing")
    worker()
    expect(page.get_by_role("heading", name=re.compile(rf"\d+ \w+ \d{{4}} · {re.escape(batch.artifact_filename)}"))).to_be_visible(
        timeout=15_000
    )
    expect(page.locator(".lead")).to_contain_text(f"{batch.count_accepted} new messages")
    shots(page, "receipt")


def _dashboard_suggests_a_refresh(page, shots):
    # Back on the dashboard: old export dates and missing media are a suggestion, not a failure.
    page.get_by_role("link", name="All sources").click()
    card = page.locator("#source-family-chat-card")
    expect(card.locator(".pill")).to_have_text(re.compile("Needs a refresh"))
    expect(card.get_by_role("link", name="Upload a newer export")).to_be_visible()
    expect(card).to_contain_text("media files was not included")  # 1 of them: counts agree (UI.md)
    expect(card).not_to_contain_text("Can't collect")
    expect(page.locator(".summary-line")).to_have_text("1 has suggestions")  # every card once, no empty parts
    shots(page, "dashboard-attention")
    return card


def _the_same_file_again_is_a_duplicate(page, shots, card) -> None:
    # The same file again: a duplicate receipt, no new records.
    card.get_by_role("link", name="Upload a newer export").click()
    page.get_by_label("Export file").set_input_files(str(export("whatsapp/ios_missing_media.zip")))
    page.get_by_role("button", name="Preview the file").click()
    expect(page.get_by_role("heading", name="Already imported")).to_be_visible()
    expect(page.locator(".lead")).to_have_text(re.compile(r"Already imported on \d+ \w+ \d{4}: no new records\."))
    shots(page, "duplicate")
    assert AcquisitionBatch.objects.filter(status="committed").count() == 1


def _the_same_pages_on_a_desktop(page, shots) -> None:
    # The same pages on a desktop: cards sit in a grid, the timeline has room.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("link", name="Back to Family chat").click()
    expect(page.locator("svg.timeline-svg")).to_be_visible()
    shots(page, "desktop-source-detail")
    page.get_by_role("link", name="Sources", exact=True).first.click()
    expect(page.locator("#source-family-chat-card")).to_be_visible()
    shots(page, "desktop-dashboard")


def test_keyboard_reaches_the_primary_action_and_menu(page, live_server, owner, shots):
    from connections.services import add_connection

    add_connection(owner, "whatsapp", "family-chat", "Family chat")
    _log_in(page, live_server, owner.username)
    seen = []
    for _ in range(20):
        page.keyboard.press("Tab")
        seen.append(page.evaluate("document.activeElement.textContent.trim()"))
        if "More" in seen[-1]:
            break
    assert "Upload the export" in seen
    page.keyboard.press("Enter")
    expect(page.locator("details.menu")).to_have_attribute("open", "")
    expect(page.get_by_role("link", name="Source details")).to_be_visible()
    shots(page, "keyboard-menu")


def test_pages_load_no_inline_script_and_report_no_csp_errors(page, live_server, owner):
    from connections.services import add_connection

    add_connection(owner, "whatsapp", "family-chat", "Family chat")
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    _log_in(page, live_server, owner.username)
    for path in ("/", "/sources/new/", "/sources/family-chat/", "/sources/family-chat/upload/"):
        page.goto(f"{live_server.url}{path}")
        assert page.evaluate("typeof htmx") == "object"  # the vendored file loaded under the CSP
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_every_verdict_state_reads_on_a_phone_and_a_desktop(page, live_server, owner, shots):
    from tests.scenarios import SCENARIOS

    for scenario, _ in SCENARIOS.values():
        scenario.save(owner)
    page.set_viewport_size({"width": 375, "height": 812})
    _log_in(page, live_server, owner.username)
    expect(page.locator("article.card")).to_have_count(len(SCENARIOS))
    for label in ("Up to date", "Needs a refresh", "Media missing", "Having trouble", "Can't collect", "Paused",
                  "Finish setup"):
        expect(page.locator(".pill", has_text=label).first).to_be_visible()
    # Nothing spills sideways at 375 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shots(page, "phone-dashboard")
    page.set_viewport_size({"width": 1280, "height": 900})
    shots(page, "desktop-dashboard")


def test_resume_from_the_card_swaps_the_card_in_place(page, live_server, owner, shots):
    from tests.scenarios import SCENARIOS

    conn = SCENARIOS["paused_even_when_stale_is_paused_with_resume"][0].save(owner)
    _log_in(page, live_server, owner.username)
    card = page.locator(f"#source-{conn.slug}-card")
    expect(card.locator(".pill")).to_have_text(re.compile("Paused"))
    card.get_by_role("button", name="Resume").click()
    expect(card.locator(".pill")).not_to_have_text(re.compile("Paused"))
    expect(page).to_have_url(f"{live_server.url}/")  # swapped by htmx, no page load
    conn.refresh_from_db()
    assert conn.schedule_policy == "interval"
    shots(page, "resumed")
