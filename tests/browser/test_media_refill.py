"""The media refill case in a real browser, on a phone and on a desktop (issue 11, section 3): an
owner imports a chat whose photos were left out, sees three days marked "media missing", imports the
export again with the photos, and the page's card and timeline agree that nothing is missing.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from connections.services import add_connection
from coverage.pipeline import land_batch, preview_artifact, start_commit
from tests.views.test_media_refill import chat_zip

from .test_owner_journey import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"phone": (375, 812), "desktop": (1280, 900)}


def _import(connection, with_media: bool, name: str) -> None:
    preview = preview_artifact(connection, chat_zip(with_media), name)
    start_commit(preview, enqueue=False)
    land_batch(preview.pk)


@pytest.mark.parametrize("screen", WIDTHS)
def test_a_re_export_with_the_photos_clears_the_timeline_as_it_clears_the_card(page, live_server, owner, shots,
                                                                               screen):
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[screen], strict=True)))
    chat = add_connection(owner, "whatsapp", "lisbon", "Lisbon trip")
    _import(chat, False, "WhatsApp Chat - Lisbon Trip.zip")
    _log_in(page, live_server, owner.username)

    page.goto(f"{live_server.url}/sources/lisbon/")
    have = page.locator("#have-heading").locator("xpath=..")
    expect(have).to_contain_text("0 of 3 media files included")
    expect(page.locator("svg.timeline-svg rect.media-mark")).to_have_count(3)
    shots(page, "photos-left-out")

    _import(chat, True, "WhatsApp Chat - Lisbon Trip (with media).zip")
    page.reload()

    expect(have).to_contain_text("3 of 3 media files included")
    expect(page.locator("svg.timeline-svg rect.media-mark")).to_have_count(0)
    page.locator("details.timeline-table summary").click()
    table = page.locator("details.timeline-table table")
    expect(table).to_be_visible()
    expect(table).not_to_contain_text("media missing")
    expect(page.locator(".card")).not_to_contain_text("not included")
    shots(page, "photos-added")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
