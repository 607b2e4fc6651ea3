"""Reading overlapping chat exports again in a new zone counts each message once.

An owner imports a chat, then a later export of it (the first's 19 messages and 6 more), then
moves to another zone. The "Read your chats again" page used to add up each import's own file:
"44 messages will move" for a chat of 25, and "25 messages moved" once done. It now says 25
before and after; each import's own line still counts its own file. The command line says the
same, and reads the imports of one source in the zone it is given (``--connection --zone``).
"""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from connections.models import OwnerProfile
from coverage.models import AcquisitionBatch
from tests.page_words import ana_chat, page_words

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks", "artifact_storage")]


@pytest.fixture
def two_exports(owner, owner_client, chat):
    """The chat imported twice, in UTC: 19 messages, then a later export of 25 that holds them."""
    OwnerProfile.objects.update_or_create(owner=owner, defaults={"time_zone": "UTC"})
    for messages in (19, 25):
        owner_client.post(f"/sources/{chat.slug}/upload/",
                          {"artifact": SimpleUploadedFile("WhatsApp Chat with Ana.txt", ana_chat(messages), "text/plain")})
        owner_client.post(f"/receipts/{AcquisitionBatch.objects.filter(connection=chat).latest('pk').pk}/import/")
    assert chat.records.count() == 25
    return chat


def test_the_zone_page_counts_each_message_once(owner_client, two_exports):
    owner_client.post("/settings/time-zone/", {"time_zone": "Pacific/Auckland"})

    page = page_words(owner_client.get("/reread/zone/"))
    assert "Read your chats again in Pacific/Auckland? 25 messages will move" in page
    assert "44 messages" not in page
    assert "WhatsApp Chat with Ana.txt 19 messages would move" in page  # each import's own file
    assert "WhatsApp Chat with Ana.txt 25 messages would move" in page

    done = page_words(owner_client.post("/reread/zone/", follow=True))
    assert "Read 2 imports again. 25 messages moved to Pacific/Auckland time." in done
    assert "13 Mar" in page_words(owner_client.get(f"/sources/{two_exports.slug}/days/2026-03-13/"))
    assert two_exports.records.count() == 25


def test_the_command_reads_a_sources_imports_in_the_zone_it_is_given(two_exports):
    out = io.StringIO()
    call_command("reread", connection=two_exports.slug, zone="Asia/Tokyo", preview=True, stdout=out)
    said = out.getvalue()

    assert "nothing to read again" not in said
    assert said.count("would move to Asia/Tokyo time") == 3  # each import, then all of them together
    assert "All of them together:\n  25 messages would move to Asia/Tokyo time." in said
    assert "Nothing was changed yet" in said

    out = io.StringIO()
    call_command("reread", connection=two_exports.slug, zone="UTC", preview=True, stdout=out)
    assert "Every import was read by today's reader in UTC: nothing to read again." in out.getvalue()


def test_a_reading_again_says_what_moved_and_the_import_it_replaced_keeps_its_file_name(owner_client, two_exports):
    owner_client.post("/settings/time-zone/", {"time_zone": "Pacific/Auckland"})
    owner_client.post("/reread/zone/")
    first, second = AcquisitionBatch.objects.filter(connection=two_exports, trigger="reread").order_by("pk")

    said = page_words(owner_client.get(f"/receipts/{second.pk}/"))
    assert "6 messages moved to Pacific/Auckland time." in said  # 19 of its 25 moved with the first
    assert "repeated inside the file" not in said and "already imported" not in said

    api = owner_client.get(f"/api/owner/batches/{first.pk}").json()
    assert api["duplicate_split"]["in_file"] == 0  # nothing repeats inside the file
    replaced = AcquisitionBatch.objects.get(options__superseded_by=first.pk)
    listed = page_words(owner_client.get(f"/sources/{two_exports.slug}/imports/"))
    assert not replaced.artifact_name and "WhatsApp Chat with Ana.txt" in listed
    assert owner_client.get(f"/api/owner/batches/{replaced.pk}").json()["artifact"]["filename"] == (
        "WhatsApp Chat with Ana.txt"
    )
