"""A far-east owner's card and receipt in a real browser, on a phone and on a desktop.

The owner lives in Pacific/Auckland (UTC+13 in November); the installation runs far west of
UTC (Pacific/Pago_Pago, UTC-11). A chat written 10 to 29 Nov, every message at 09:00 the
owner's time (the evening before in UTC), reads "10 Nov to 29 Nov" on the card and the
receipt, and the receipt's times of day name the owner's zone.
"""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from playwright.sync_api import expect

from connections.services import add_connection
from coverage.pipeline import land_batch, preview_artifact, start_commit
from tests.factories import OwnerProfileFactory

from .test_owner_journey import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHAT = "".join(f"{d:02d}/11/2026, 09:00 - {'Ana' if d % 2 else 'Ben'}: message of the {d}th\n" for d in range(10, 30))
WIDTHS = {"phone": (375, 812), "desktop": (1280, 900)}


@pytest.fixture
def far_east_chat(owner, settings):
    settings.TIME_ZONE = "Pacific/Pago_Pago"
    OwnerProfileFactory(owner=owner, time_zone="Pacific/Auckland")
    chat = add_connection(owner, "whatsapp", "family-chat", "Family chat")
    preview = preview_artifact(chat, BytesIO(CHAT.encode()), "WhatsApp Chat with Ana.txt")
    start_commit(preview, enqueue=False)
    return land_batch(preview.pk)


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("screen", WIDTHS)
def test_a_far_east_owner_reads_their_own_days_on_the_card_and_the_receipt(
    page, live_server, owner, far_east_chat, shots, screen
):
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[screen], strict=True)))
    _log_in(page, live_server, owner.username)
    card = page.locator("#source-family-chat-card")
    expect(card.locator(".headline")).to_have_text("Covers 10 Nov to 29 Nov 2026")
    expect(card.locator(".coverage-line")).to_contain_text("Covered through 29 Nov 2026")
    expect(card).not_to_contain_text(re.compile(r"\b(9|28) Nov"))
    assert _fits(page)
    shots(page, f"{screen}-card")

    page.goto(f"{live_server.url}/receipts/{far_east_chat.pk}/")
    expect(page.locator(".lead")).to_have_text("20 new messages from 10 Nov to 29 Nov 2026.")
    covers = page.locator("dl.facts-list dd").filter(has_text="09:00")
    expect(covers).to_have_text("10 Nov 2026 at 09:00 NZDT to 29 Nov 2026 at 09:00 NZDT")
    expect(page.locator("main")).not_to_contain_text(re.compile(r"\d\d:\d\d UTC|\d{4}-\d\d-\d\d"))
    assert _fits(page)
    shots(page, f"{screen}-receipt")
