"""A stalled import with the background worker down, in a real browser on a phone and on a desktop.

The worker stopped a day ago: the dashboard says so once, above the summary; the chat's import
being saved says it waits for the worker (no spinner); a calendar feed that was fine when the
worker stopped stays "Up to date" and says its next collection waits for the worker; nothing
blames the sources. The import's receipt says the same.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from coverage.models import AcquisitionBatch
from tests.scenarios_worker_down import NOW, WORKER_DOWN

from .test_owner_journey import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WIDTHS = {"phone": (375, 812), "desktop": (1280, 900)}


@pytest.fixture
def worker_down_for_a_day(owner, time_machine):
    time_machine.move_to(NOW, tick=True)
    for name in ("import_saved_while_the_worker_is_down_is_stalled",
                 "fresh_feed_stays_up_to_date_while_the_worker_is_down"):
        WORKER_DOWN[name][0].save(owner)
    return AcquisitionBatch.objects.get(status=AcquisitionBatch.Status.COMMITTING)


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("screen", WIDTHS)
def test_a_stalled_import_with_the_worker_down_is_said_once_and_blames_no_source(
    page, live_server, owner, worker_down_for_a_day, shots, screen
):
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[screen], strict=True)))
    _log_in(page, live_server, owner.username)
    banner = page.locator(".banner")
    expect(banner).to_have_count(1)
    expect(banner).to_contain_text("The background worker has not reported since yesterday at 12:00")
    expect(page.locator(".summary-line")).to_have_text("2 up to date")

    chat = page.locator("#source-stalled-chat-card")
    expect(chat.locator(".busy")).to_have_text(
        "Saving your import · 1,200 of 5,000 messages; it waits for the background worker")
    expect(chat.locator(".busy .spinner")).to_have_count(0)
    expect(chat.locator(".pill-label")).to_have_text("Up to date")

    feed = page.locator("#source-steady-calendar-card")
    expect(feed.locator(".pill-label")).to_have_text("Up to date")
    expect(feed.locator(".schedule-waits")).to_have_text(
        "Every hour; the next collection waits for the background worker")
    expect(feed.locator(".forward")).to_have_text(
        "Nothing needs you now. The next collection waits for the background worker.")
    expect(page.locator("main")).not_to_contain_text(re.compile("Having trouble|keeps trying|is late"))
    assert _fits(page)
    shots(page, f"{screen}-dashboard")

    page.goto(f"{live_server.url}/receipts/{worker_down_for_a_day.pk}/")
    expect(page.locator("main")).to_contain_text("waits for the background worker")
    assert _fits(page)
    shots(page, f"{screen}-receipt")
