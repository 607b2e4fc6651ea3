"""The owner's data in sight and out, in a real browser on a phone and on a desktop: a day of a
location source draws its points on a map (offline: no tiles, a blank background), a word typed
in the header's search box finds its message and leads to its day, and an export asked for on the
settings page is built by the real worker, shows its progress, and downloads as a zip.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from connections.services import add_connection
from connections.tokens import issue_access_token
from coverage.pipeline import land_batch, preview_artifact, start_commit
from tests.factories import OwnerProfileFactory

from .test_owner_journey import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
WIDTHS = {"phone": (375, 812), "desktop": (1280, 900)}


def _import(connection, path: Path, name: str) -> None:
    with path.open("rb") as source:
        preview = preview_artifact(connection, source, name)
    start_commit(preview, enqueue=False)
    land_batch(preview.pk)


@pytest.fixture
def sources(owner, settings):
    settings.OWNERHUB_MAP_TILES = ""  # offline: no tile server is asked for anything
    OwnerProfileFactory(owner=owner, time_zone="Europe/Berlin")
    _import(add_connection(owner, "whatsapp", "lisbon", "Lisbon trip"),
            FIXTURES / "whatsapp" / "ios_missing_media.zip", "WhatsApp Chat - Lisbon Trip.zip")
    _import(add_connection(owner, "gpx", "walks", "Walks"), FIXTURES / "gpx" / "gpslogger.gpx", "gpslogger.gpx")


def _screen(page, screen: str) -> None:
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[screen], strict=True)))


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("screen", WIDTHS)
def test_a_location_day_draws_its_points_on_a_map_offline(page, live_server, owner, sources, shots, screen):
    _screen(page, screen)
    asked_elsewhere = []
    page.on("request", lambda r: None if r.url.startswith(live_server.url) else asked_elsewhere.append(r.url))
    _log_in(page, live_server, owner.username)
    page.goto(f"{live_server.url}/sources/walks/")
    page.locator('a.day-link[href="/sources/walks/days/2024-05-04/"]').first.click()
    expect(page.locator("h1")).to_contain_text("Walks on 4 May 2024")
    the_map = page.locator("#day-map")
    rows = page.locator("tr.point").count()
    expect(the_map).to_have_attribute("data-drawn", str(rows))
    expect(the_map.locator("path.map-point")).to_have_count(rows)
    assert the_map.bounding_box()["height"] > 150
    assert page.locator("#day-map img.leaflet-tile").count() == 0  # no tiles: a blank background
    assert _fits(page)
    shots(page, f"{screen}-day-map")

    page.get_by_role("link", name="Walks").first.click()
    page.get_by_role("link", name="See these places on a map").click()
    range_map = page.locator("#range-map")
    expect(range_map).to_have_attribute("data-drawn", str(rows))
    assert _fits(page)
    shots(page, f"{screen}-range-map")
    assert asked_elsewhere == []


@pytest.mark.parametrize("screen", WIDTHS)
def test_the_owner_searches_a_word_and_lands_on_its_day(page, live_server, owner, sources, shots, screen):
    _screen(page, screen)
    _log_in(page, live_server, owner.username)
    box = page.get_by_role("searchbox", name="Search your messages and events")
    box.fill("lunch")
    box.press("Enter")
    expect(page.locator("h1")).to_have_text("Search your messages and events")
    result = page.locator("li.search-result")
    expect(result).to_have_count(1)
    expect(result.locator("mark")).to_have_text("Lunch")
    assert _fits(page)
    shots(page, f"{screen}-search")
    result.get_by_role("link").click()
    expect(page.locator("h1")).to_contain_text("Lisbon trip on 12 Mar 2023")
    expect(page.locator("li.chat-message", has_text="Lunch first?")).to_be_visible()


@pytest.mark.parametrize("screen", WIDTHS)
def test_the_owner_exports_everything_and_downloads_the_zip(page, live_server, owner, sources, worker, shots,
                                                            screen, tmp_path):
    _screen(page, screen)
    _log_in(page, live_server, owner.username)
    page.goto(f"{live_server.url}/settings/")
    page.get_by_role("button", name="Export all my data").click()
    expect(page.locator("#export-panel")).to_contain_text("Your export is waiting for the worker.")
    shots(page, f"{screen}-export-waiting")
    worker()  # the real db_worker builds it; the panel's next poll sees it
    link = page.get_by_role("link", name="Download the zip")
    expect(link).to_be_visible(timeout=15_000)
    expect(page.locator("#export-panel")).to_contain_text("The link works until tomorrow at")
    assert _fits(page)
    shots(page, f"{screen}-export-ready")
    with page.expect_download() as download:
        link.click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name.startswith("ownerhub-export-") and saved.suffix == ".zip"
    manifest = json.loads(zipfile.ZipFile(saved).read("manifest.json"))
    assert [s["slug"] for s in manifest["sources"]] == ["lisbon", "walks"]


@pytest.mark.parametrize("screen", WIDTHS)
def test_the_owners_access_tokens_fit_a_phone_with_their_revoke_buttons_in_reach(page, live_server, owner, shots,
                                                                                 screen):
    issue_access_token(owner, "Home Assistant nightly backup")
    _screen(page, screen)
    _log_in(page, live_server, owner.username)
    page.goto(f"{live_server.url}/settings/")
    revoke = page.get_by_role("button", name="Revoke “Home Assistant nightly backup”")
    expect(revoke).to_be_visible()
    assert _fits(page)
    box = revoke.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTHS[screen][0]  # on screen, not scrolled away
    shots(page, f"{screen}-access-tokens")
