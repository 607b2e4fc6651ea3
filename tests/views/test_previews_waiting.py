"""A preview the owner has not imported waits on the card, with a link, until it is imported or expires."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from coverage.models import AcquisitionBatch
from tests.conftest import stored_files

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


@pytest.mark.parametrize(
    "name",
    ["whatsapp/android_dayfirst_24h.txt",
     "whatsapp/ambiguous.txt"],  # its preview waits for the day/month answer
    ids=["a_preview_read_to_the_end", "a_preview_waiting_for_the_date_order"],
)
def test_the_same_file_uploaded_again_replaces_its_waiting_preview_and_one_import_follows(
        owner_client, chat, immediate_tasks, artifact_storage, name):
    first = _upload(owner_client, name)  # previewed, then left
    other = _upload(owner_client, "whatsapp/ios_missing_media.zip")
    again = _upload(owner_client, name)  # the same file, uploaded again
    again_more = _upload(owner_client, name)  # and once more

    assert _waiting(owner_client) == [(f"/receipts/{again_more.pk}/", "2 previews waiting for you")]
    assert not AcquisitionBatch.objects.filter(pk__in=[first.pk, again.pk]).exists()  # replaced, not piled up
    assert len(stored_files(artifact_storage)) == 2  # one stored copy per file waiting

    if again_more.question:
        owner_client.post(f"/receipts/{again_more.pk}/answer/", {"date_order": "dmy"})
    owner_client.post(f"/receipts/{again_more.pk}/import/")
    assert AcquisitionBatch.objects.get(pk=again_more.pk).status == "committed"
    assert _waiting(owner_client) == [(f"/receipts/{other.pk}/", "1 preview waiting for you")]
    rows = AcquisitionBatch.objects.filter(connection__slug="family-chat").values_list("pk", "status")
    assert sorted(rows) == [(other.pk, "preview"), (again_more.pk, "committed")]
