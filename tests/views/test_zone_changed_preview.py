"""A chat previewed before the owner changed their time zone is read again in the new zone before it lands.

A WhatsApp chat writes the phone's wall-clock time and no zone, so its preview reads each time in
the owner's zone of that moment. An owner who uploads a chat, then sets their zone, then imports,
used to land the chat in the old zone: a message written at 23:50 on New Year's Eve in Auckland
showed on 1 January at 12:50. Now the preview's receipt offers "Read again in <zone>", the
import is refused until it is read again (web, owner API), and once read again it lands on the
owner's own days.
"""

from __future__ import annotations

import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from connections.models import OwnerProfile
from connections.services import add_connection
from coverage.models import AcquisitionBatch
from coverage.services import issue_access_token

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks", "artifact_storage")]
Status = AcquisitionBatch.Status

CHAT = (
    b"31/12/2025, 23:50 - Ana: Happy new year from here!\n"
    b"01/01/2026, 00:10 - Ben: And from here\n"
    b"13/01/2026, 09:00 - Ana: Back at work\n"
)


def _text(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))).strip()


def _set_zone(client, zone: str) -> None:
    response = client.post("/settings/time-zone/", {"time_zone": zone})
    assert response.status_code == 302


def _upload(client, chat) -> AcquisitionBatch:
    response = client.post(f"/sources/{chat.slug}/upload/",
                           {"artifact": SimpleUploadedFile("WhatsApp Chat with Ana.txt", CHAT, "text/plain")})
    assert response.status_code == 302
    return AcquisitionBatch.objects.get(connection=chat, status=Status.PREVIEW)


# previewed in, imported in, the day Ana's 23:50 message shows on, the day it must not show on
MOVES = [
    ("UTC", "Pacific/Auckland", "2025-12-31", "2026-01-01"),
    ("Pacific/Auckland", "America/St_Johns", "2025-12-31", "2025-12-30"),
    ("Asia/Kolkata", "America/Los_Angeles", "2025-12-31", "2025-12-31"),  # same day, other hour
]


@pytest.mark.parametrize(("before", "after", "day", "not_day"), MOVES)
def test_a_preview_made_before_a_zone_change_is_read_again_in_the_new_zone(
    owner, owner_client, chat, before, after, day, not_day
):
    OwnerProfile.objects.update_or_create(owner=owner, defaults={"time_zone": before})
    batch = _upload(owner_client, chat)
    assert batch.time_zone_assumed == before
    _set_zone(owner_client, after)

    page = _text(owner_client, f"/receipts/{batch.pk}/")
    assert f"Read again in {after}" in page
    assert f"This preview read them in {before}, and your time zone is now {after}" in page
    assert "Import 3 messages" not in page  # no import button on a preview that is out of date

    # The import is refused, on the page and through the owner API, and nothing lands.
    owner_client.post(f"/receipts/{batch.pk}/import/")
    assert f"your time zone is now {after}" in _text(owner_client, f"/receipts/{batch.pk}/")
    _, secret = issue_access_token(owner)
    api = owner_client.post(f"/api/owner/previews/{batch.pk}/commit", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.status_code == 409
    assert f"read it again in {after} before importing" in api.json()["detail"]
    preview = owner_client.get(f"/api/owner/batches/{batch.pk}", HTTP_AUTHORIZATION=f"Bearer {secret}").json()
    assert preview["next_action"]["kind"] == "read_in_zone"
    batch.refresh_from_db()
    assert batch.status == Status.PREVIEW
    assert not chat.records.exists()

    # Read again: the preview is in the owner's zone now and imports.
    owner_client.post(f"/receipts/{batch.pk}/read-again/")
    batch.refresh_from_db()
    assert batch.time_zone_assumed == after
    page = _text(owner_client, f"/receipts/{batch.pk}/")
    assert "Read again in" not in page
    assert "Import 3 messages" in page
    owner_client.post(f"/receipts/{batch.pk}/import/")
    batch.refresh_from_db()
    assert batch.status == Status.COMMITTED
    assert "23:50" in _text(owner_client, f"/sources/{chat.slug}/days/{day}/")
    if not_day != day:
        assert "Happy new year from here!" not in _text(owner_client, f"/sources/{chat.slug}/days/{not_day}/")


def test_a_preview_in_the_owners_zone_imports_at_once(owner, owner_client, chat):
    OwnerProfile.objects.update_or_create(owner=owner, defaults={"time_zone": "Europe/Berlin"})
    batch = _upload(owner_client, chat)
    _set_zone(owner_client, "Europe/Berlin")  # the same zone chosen again changes nothing

    assert "Read again in" not in _text(owner_client, f"/receipts/{batch.pk}/")
    response = owner_client.post(f"/receipts/{batch.pk}/read-again/", follow=True)
    assert "This file is not waiting to be read again." in response.content.decode()
    owner_client.post(f"/receipts/{batch.pk}/import/")
    batch.refresh_from_db()
    assert batch.status == Status.COMMITTED


def test_a_timeline_preview_is_not_offered_a_zone_read_again(owner, owner_client):
    """Timeline, Health and GPX times carry their zone: a zone change moves nothing in them."""
    places = add_connection(owner, "google_timeline", "places", "Places")
    body = b'{"locations": [{"latitudeE7": 525200000, "longitudeE7": 134050000, "timestamp": "2025-12-31T23:50:00Z"}]}'
    owner_client.post(f"/sources/{places.slug}/upload/",
                      {"artifact": SimpleUploadedFile("Records.json", body, "application/json")})
    batch = AcquisitionBatch.objects.get(connection=places, status=Status.PREVIEW)
    _set_zone(owner_client, "Pacific/Auckland")

    assert "Read again in" not in _text(owner_client, f"/receipts/{batch.pk}/")
    owner_client.post(f"/receipts/{batch.pk}/import/")
    batch.refresh_from_db()
    assert batch.status == Status.COMMITTED


def test_the_zone_change_page_reads_waiting_previews_again_too(owner, owner_client, chat):
    """The settings page leads to "Read your chats again": it names the preview and reads it again."""
    OwnerProfile.objects.update_or_create(owner=owner, defaults={"time_zone": "UTC"})
    batch = _upload(owner_client, chat)
    response = owner_client.post("/settings/time-zone/", {"time_zone": "Pacific/Auckland"})
    assert response.url == "/reread/zone/"

    page = _text(owner_client, "/reread/zone/")
    assert "Read your previews again in Pacific/Auckland?" in page
    assert "WhatsApp Chat with Ana.txt : read in UTC" in page
    done = owner_client.post("/reread/zone/", follow=True)
    assert "1 preview waiting to be imported is read again in Pacific/Auckland" in done.content.decode()
    batch.refresh_from_db()
    assert (batch.status, batch.time_zone_assumed) == (Status.PREVIEW, "Pacific/Auckland")
    assert "Import 3 messages" in _text(owner_client, f"/receipts/{batch.pk}/")
    assert "Nothing to read again" in _text(owner_client, "/reread/zone/")
