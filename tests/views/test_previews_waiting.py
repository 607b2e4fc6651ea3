"""A preview the owner has not imported waits on the card, with a link, until it is imported or expires."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from coverage.models import AcquisitionBatch

from .conftest import export

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("artifact_storage")]


def _upload(client, name: str) -> AcquisitionBatch:
    with export(name).open("rb") as fh:
        assert client.post("/sources/family-chat/upload/", {"artifact": fh}).status_code == 302
    return AcquisitionBatch.objects.filter(connection__slug="family-chat").latest("created_at", "pk")


def _waiting(client) -> list[tuple[str, str]]:
    return re.findall(r'<p class="previews-waiting"><a href="([^"]+)">([^<]+)</a></p>', client.get("/").content.decode())


def test_a_preview_left_waiting_is_said_on_the_card_with_a_link_until_imported_or_expired(
        owner_client, chat, immediate_tasks, time_machine, settings):
    assert _waiting(owner_client) == []
    first = _upload(owner_client, "whatsapp/android_dayfirst_24h.txt")
    assert _waiting(owner_client) == [(f"/receipts/{first.pk}/", "1 preview waiting for you")]
    second = _upload(owner_client, "whatsapp/ios_missing_media.zip")
    assert _waiting(owner_client) == [(f"/receipts/{second.pk}/", "2 previews waiting for you")]
    api = owner_client.get("/api/owner/connections/family-chat").json()
    assert api["work"]["previews"] == {"count": 2, "batch_id": second.pk, "url": f"/receipts/{second.pk}/",
                                       "text": "2 previews waiting for you"}
    assert "Preview: nothing imported yet" in owner_client.get(f"/receipts/{second.pk}/").content.decode()

    owner_client.post(f"/receipts/{second.pk}/import/")
    assert _waiting(owner_client) == [(f"/receipts/{first.pk}/", "1 preview waiting for you")]

    time_machine.move_to(timezone.now() + timedelta(hours=settings.OWNERHUB_PREVIEW_TTL_HOURS, minutes=1))
    assert _waiting(owner_client) == []  # expired: the worker removes it, and the card no longer counts it


def test_a_preview_of_a_file_imported_since_by_another_preview_no_longer_waits(owner_client, chat, immediate_tasks):
    first = _upload(owner_client, "whatsapp/android_dayfirst_24h.txt")  # previewed, then left
    other = _upload(owner_client, "whatsapp/ios_missing_media.zip")
    again = _upload(owner_client, "whatsapp/android_dayfirst_24h.txt")  # the same file, previewed again
    assert _waiting(owner_client) == [(f"/receipts/{again.pk}/", "3 previews waiting for you")]

    owner_client.post(f"/receipts/{again.pk}/import/")
    assert AcquisitionBatch.objects.get(pk=again.pk).status == "committed"
    kept = AcquisitionBatch.objects.get(pk=first.pk)
    assert (kept.status, kept.duplicate_of_id) == ("duplicate", again.pk)  # opening it leads to the import
    assert _waiting(owner_client) == [(f"/receipts/{other.pk}/", "1 preview waiting for you")]
    api = owner_client.get("/api/owner/connections/family-chat").json()
    assert api["work"]["previews"]["count"] == 1
