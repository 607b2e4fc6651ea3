"""Browse by day in a real browser, on a phone and on a desktop: the owner clicks a day of a chat's
timeline and reads that day's messages, then a day of a location source's timeline and reads its
points, each saying where it came from; previous and next day links walk the days.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from connections.services import add_connection
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
def sources(owner):
    OwnerProfileFactory(owner=owner, time_zone="Europe/Berlin")
    _import(add_connection(owner, "whatsapp", "lisbon", "Lisbon trip"),
            FIXTURES / "whatsapp" / "ios_missing_media.zip", "WhatsApp Chat - Lisbon Trip.zip")
    _import(add_connection(owner, "gpx", "walks", "Walks"), FIXTURES / "gpx" / "gpslogger.gpx", "gpslogger.gpx")


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("screen", WIDTHS)
def test_an_owner_clicks_a_timeline_day_and_reads_that_days_records(page, live_server, owner, sources, shots,
                                                                    screen):
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[screen], strict=True)))
    _log_in(page, live_server, owner.username)

    page.goto(f"{live_server.url}/sources/lisbon/")
    page.locator('a.day-link[href="/sources/lisbon/days/2023-03-13/"]').first.click()
    expect(page).to_have_url(f"{live_server.url}/sources/lisbon/days/2023-03-13/")
    expect(page.locator("h1")).to_contain_text("Lisbon trip on 13 Mar 2023")
    messages = page.locator("li.chat-message")
    expect(messages.first).to_contain_text("Cara Lima")
    expect(messages.first).to_contain_text("00:30 CET")  # the export's wall clock, read in the owner's zone
    expect(page.locator(".media.missing")).to_contain_text("00000005-AUDIO-2023-03-13-13-05-09.opus")
    expect(messages.first.locator(".provenance")).to_have_text(re.compile(
        r"^From the import of \d{1,2} \w{3} \d{4} · WhatsApp Chat - Lisbon Trip\.zip$"))
    assert _fits(page)
    shots(page, f"{screen}-chat-day")

    page.get_by_role("link", name="12 Mar 2023").click()
    expect(page.locator("h1")).to_contain_text("on 12 Mar 2023")
    expect(page.locator(".media.attached")).to_contain_text("00000003-PHOTO-2023-03-12-21-17-05.jpg")

    page.goto(f"{live_server.url}/sources/walks/")
    page.locator('a.day-link[href="/sources/walks/days/2024-05-04/"]').first.click()
    expect(page.locator("h1")).to_contain_text("Walks on 4 May 2024")
    points = page.locator("tr.point")
    expect(points.first).to_contain_text("09:04 CEST")
    expect(points.first).to_contain_text("52.50650")
    expect(points.first.locator(".provenance")).to_contain_text("gpslogger.gpx")
    assert _fits(page)
    shots(page, f"{screen}-location-day")
