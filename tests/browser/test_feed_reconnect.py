"""Reconnecting a refused calendar feed in place, in a real browser on a phone (375 px) and a desktop (1280 px).

A real local HTTP server plays the calendar: the old address is refused (403), a mistyped new one
answers 404, the right one serves a calendar.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from connections.services import add_connection
from coverage.pipeline.pull import pull

from .test_owner_journey import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CALENDAR = (Path(__file__).resolve().parents[1] / "fixtures" / "ical" / "calendar.ics").read_bytes()
WIDTHS = {"phone": (375, 812), "desktop": (1280, 900)}


@pytest.mark.parametrize("screen", WIDTHS)
def test_owner_reconnects_a_refused_feed_after_a_mistyped_address(page, live_server, owner, httpserver, settings,
                                                                  shots, screen):
    settings.OWNERHUB_FEED_ALLOWED_HOSTS = [httpserver.host]
    httpserver.expect_request("/cal/old.ics").respond_with_data("no", status=403)
    httpserver.expect_request("/cal/typo.ics").respond_with_data("gone", status=404)
    httpserver.expect_request("/cal/new.ics").respond_with_data(CALENDAR, content_type="text/calendar")
    calendar = add_connection(owner, "ical_feed", "work-calendar", "Work calendar",
                              feed_url=httpserver.url_for("/cal/old.ics"))
    assert pull(calendar, timezone.now()).outcome == "failure"

    width, height = WIDTHS[screen]
    page.set_viewport_size({"width": width, "height": height})
    _log_in(page, live_server, owner.username)
    page.goto(f"{live_server.url}/sources/work-calendar/")
    expect(page.get_by_text("Access refused on").first).to_be_visible()
    shots(page, "refused")

    page.locator("#feed-url").fill(httpserver.url_for("/cal/typo.ics"))
    page.locator("#feed-url").press("Enter")
    expect(page.get_by_text("The address answered “not found”")).to_be_visible()
    expect(page.get_by_text("Nothing was changed.")).to_be_visible()
    expect(page.get_by_text("Access refused on").first).to_be_visible()
    shots(page, "not-found")

    page.locator("#feed-url").fill(httpserver.url_for("/cal/new.ics"))
    page.locator("#feed-url").press("Enter")
    expect(page.get_by_text("Feed address saved: it holds 14 events, newest 12 Jun 2024.")).to_be_visible()
    expect(page.get_by_text("Checking the new address…").first).to_be_visible()
    expect(page.get_by_text("Access refused on")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shots(page, "checking")

    calendar.refresh_from_db()
    assert pull(calendar, timezone.now()).outcome == "success"
    page.reload()
    expect(page.get_by_text("Checking the new address…")).to_have_count(0)
    shots(page, "collected")
