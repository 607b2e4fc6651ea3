"""An owner in Berlin imports a chat that runs through the night the clocks went back: the preview
says which messages' times came twice and where Ownerhub put them, before anything is imported,
and the receipt keeps saying it after."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from connections.models import OwnerProfile
from coverage.models import AcquisitionBatch
from tests.page_words import page_words

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks", "artifact_storage")]

CHAT = (
    b"27/10/2024, 01:59 - Ana: before the change\n"
    b"27/10/2024, 02:15 - Ana: first pass\n"
    b"27/10/2024, 02:05 - Ben: after the clocks went back\n"
    b"27/10/2024, 03:10 - Ana: after\n"
)
SAID = (
    "2 messages were written in an hour that came twice when the clocks went back in "
    "Europe/Berlin (02:00–03:00 on 27 Oct 2024). The chat's times go back within that hour (to "
    "02:05 CET), so Ownerhub placed the one from there on in the second 02:00–03:00 and the other "
    "in the first. The first: 27 Oct 2024 at 02:15 CEST."
)


def _previewed(owner, owner_client, chat, zone: str, filename: str, body: bytes) -> AcquisitionBatch:
    """The owner, in ``zone``, uploads the chat ``body``: its preview."""
    OwnerProfile.objects.update_or_create(owner=owner, defaults={"time_zone": zone})
    owner_client.post(f"/sources/{chat.slug}/upload/",
                      {"artifact": SimpleUploadedFile(filename, body, "text/plain")})
    return AcquisitionBatch.objects.filter(connection=chat).latest("pk")


def test_the_preview_and_the_receipt_say_the_hour_that_came_twice(owner, owner_client, chat):
    batch = _previewed(owner, owner_client, chat, "Europe/Berlin", "WhatsApp Chat with Ana.txt", CHAT)

    assert SAID in page_words(owner_client.get(f"/receipts/{batch.pk}/"))  # the preview

    owner_client.post(f"/receipts/{batch.pk}/import/")
    batch.refresh_from_db()
    assert batch.status == AcquisitionBatch.Status.COMMITTED
    assert SAID in page_words(owner_client.get(f"/receipts/{batch.pk}/"))


WARSAW = (
    "28.03.2026, 23:51 - Kasia: Kto ma dyżur w nocy?\n"
    "29.03.2026, 02:30 - Tomek: U mnie w Londynie jest 2:30\n"
    "29.03.2026, 03:01 - Tomek: Zegar przeskoczył\n"
).encode()
# the day page's order of the night the clocks went forward in Warsaw, as the chat wrote it
DAY_ORDER = [
    ("03:00 CEST", "U mnie w Londynie jest 2:30"),
    ("03:01 CEST", "Zegar przeskoczył"),
]


def test_a_time_that_never_came_keeps_the_chats_order_on_the_day_page(owner, owner_client, chat):
    batch = _previewed(owner, owner_client, chat, "Europe/Warsaw", "Czat WhatsApp z Londyn.txt", WARSAW)
    owner_client.post(f"/receipts/{batch.pk}/import/")

    day = page_words(owner_client.get(f"/sources/{chat.slug}/days/2026-03-29/"))
    places = [day.index(f"{time} {text}") for time, text in DAY_ORDER]
    assert places == sorted(places)
    assert "placed it at 03:00 CEST" in page_words(owner_client.get(f"/receipts/{batch.pk}/"))
