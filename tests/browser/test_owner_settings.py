"""The settings page in a real browser: the device's own zone is one click away."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from connections.models import OwnerProfile

from .test_owner_journey import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "timezone_id": "Pacific/Auckland"}


def test_owner_takes_the_devices_time_zone_in_one_click(page, live_server, owner, shots):
    _log_in(page, live_server, owner.username)
    page.get_by_role("link", name=owner.username).click()
    expect(page.get_by_role("heading", name="Settings")).to_be_visible()
    suggestion = page.get_by_role("button", name="Use this device's zone: Pacific/Auckland")
    expect(suggestion).to_be_visible()
    shots(page, "settings")
    suggestion.click()
    expect(page.get_by_text("Times are now shown in Pacific/Auckland.")).to_be_visible()
    assert OwnerProfile.objects.get(owner=owner).time_zone == "Pacific/Auckland"
    expect(page.get_by_role("button", name="Use this device's zone: Pacific/Auckland")).to_be_hidden()
    expect(page.locator("[data-browser-zone]")).to_be_hidden()  # no empty "Use this device's zone:" button
