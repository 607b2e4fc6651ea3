"""A chat export from another chat than the source's first import, in a real browser on a phone
and on a desktop: the preview says so at the top, above the Import button, and imports only once
the owner ticks that the file belongs here all the same."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from connections.services import add_connection
from coverage.models import AcquisitionBatch, Record
from coverage.pipeline import land_batch, preview_artifact, start_commit

from .test_owner_journey import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"phone": (375, 812), "desktop": (1280, 900)}
ANNA = "25/01/2024, 10:15 - Me: Hello Anna\n25/01/2024, 10:16 - Anna Berg: Hi there\n"
CARL = "26/01/2024, 11:15 - Me: Hello Carl\n26/01/2024, 11:16 - Carl Diaz: Hey\n"
WRONG = "This export is of a chat with Carl Diaz and Me; this source's earlier imports are of a chat with Anna Berg and Me."


def _preview(connection, path: Path) -> AcquisitionBatch:
    with path.open("rb") as source:
        return preview_artifact(connection, source, path.name)


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("screen", WIDTHS)
def test_a_preview_from_another_chat_asks_before_it_is_imported(page, live_server, owner, worker, tmp_path, shots,
                                                                 screen):
    source = add_connection(owner, "whatsapp", "anna", "Chat with Anna")
    first = tmp_path / "anna.txt"
    first.write_text(ANNA, encoding="utf-8")
    batch = start_commit(_preview(source, first), enqueue=False)
    land_batch(batch.pk)
    other = tmp_path / "carl.txt"
    other.write_text(CARL, encoding="utf-8")
    preview = _preview(source, other)

    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[screen], strict=True)))
    _log_in(page, live_server, owner.username)
    page.goto(f"{live_server.url}/receipts/{preview.pk}/")
    alert = page.locator(".other-account")
    expect(alert).to_contain_text(WRONG)
    button = page.get_by_role("button", name="Import")
    box = page.get_by_label("This file belongs to Chat with Anna all the same")
    top = alert.bounding_box()["y"]
    assert top < box.bounding_box()["y"] and top < button.bounding_box()["y"]  # said first, at the top
    assert page.evaluate(  # the box comes before the Import button, in the same form
        "([a, b]) => !!(a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING) && a.form === b.form",
        [box.element_handle(), button.element_handle()],
    )
    assert _fits(page)
    shots(page, f"{screen}-other-account")

    button.click()  # not ticked: the browser asks for the box, nothing is sent
    expect(page).to_have_url(f"{live_server.url}/receipts/{preview.pk}/")
    assert AcquisitionBatch.objects.get(pk=preview.pk).status == "preview"

    box.check()
    button.click()
    worker()
    page.goto(f"{live_server.url}/receipts/{preview.pk}/")
    expect(page.locator("h1")).not_to_contain_text("Preview")
    assert AcquisitionBatch.objects.get(pk=preview.pk).status == "committed"
    assert Record.objects.filter(connection=source).count() == 4
    shots(page, f"{screen}-imported")
