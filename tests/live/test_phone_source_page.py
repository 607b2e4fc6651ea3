"""A phone's source page names what the phone sends as deliveries: a push is not an import and has no file."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import time_machine

from tests.live.test_device_push import fix, push_owntracks

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)


def _section(page: str) -> str:
    section = re.search(r'<section class="section" aria-labelledby="imports-heading">.*?</section>', page, re.S)
    assert section, "the page lists what arrived lately"
    return " ".join(re.sub(r"<[^>]+>", " ", section.group(0)).split())


def test_a_phone_that_pushed_lists_its_deliveries_without_calling_them_imports_with_a_file(
        client, owner, phone, phone_token):
    client.force_login(owner)
    assert "No deliveries from the phone or imports yet." in _section(client.get(f"/sources/{phone.slug}/").content.decode())
    with time_machine.travel(T0, tick=False):
        push_owntracks(client, phone_token, fix(int(T0.timestamp()) - 60))

    recent = _section(client.get(f"/sources/{phone.slug}/").content.decode())

    assert recent.startswith("Recent deliveries from the phone and imports")
    assert "1 new location on 2 Mar 2026." in recent  # the push, listed as it arrived
    assert "with its file" not in recent  # the link is to uploaded files, and a push has none
    assert "Every uploaded file, with its receipt" in recent


def test_a_phone_that_only_pushed_asks_for_the_export_not_a_newer_one(client, owner, phone, phone_token):
    """Its pushes are no export: the page's upload button says "Upload the export" (UI.md) until an export is held."""
    client.force_login(owner)
    with time_machine.travel(T0, tick=False):
        push_owntracks(client, phone_token, fix(int(T0.timestamp()) - 60))
        page = " ".join(re.sub(r"<[^>]+>", " ", client.get(f"/sources/{phone.slug}/").content.decode()).split())
        imports = " ".join(re.sub(r"<[^>]+>", " ", client.get(f"/sources/{phone.slug}/imports/").content.decode()).split())
    assert "Upload the export" in page and "Upload a newer export" not in page
    assert "Upload the export" in imports and "Upload a newer export" not in imports


def test_removing_a_phone_source_says_to_turn_the_phone_app_off(client, owner, phone):
    client.force_login(owner)
    page = " ".join(re.sub(r"<[^>]+>", " ", client.get(f"/sources/{phone.slug}/remove/").content.decode()).split())
    assert ("The phone app that sends to this source (OwnTracks or Overland) is refused from then on and keeps "
            "trying: turn off sending in the app, or remove this server from it.") in page
