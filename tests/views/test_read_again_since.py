"""An import read again in a new zone says so on its own receipt, and the imports list shows each
upload once (the tester's "6 rows for 3 uploads", and a receipt that kept the old zone's range
while the card said the new one).

An owner in UTC imports a chat twice (the second export holds the first's messages and more),
then moves to Pacific/Auckland and reads the chats again.
"""

from __future__ import annotations

import hashlib
import html
import io
import re
from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from connections.models import OwnerProfile
from connections.tokens import issue_access_token
from coverage.models import AcquisitionBatch
from tests.coverage.conftest import migrate_to
from tests.page_words import ana_chat, page_words

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks", "artifact_storage")]


@pytest.fixture
def read_again(owner, owner_client, chat, time_machine):
    """Two uploads on 20 and 21 Mar 2026 in UTC, read again in Auckland on 4 Dec 2026."""
    OwnerProfile.objects.update_or_create(owner=owner, defaults={"time_zone": "UTC"})
    uploads = []
    for day, messages in ((20, 19), (21, 25)):
        time_machine.move_to(datetime(2026, 3, day, 9, 0, tzinfo=UTC))
        owner_client.post(f"/sources/{chat.slug}/upload/",
                          {"artifact": SimpleUploadedFile("WhatsApp Chat with Ana.txt", ana_chat(messages), "text/plain")})
        uploads.append(AcquisitionBatch.objects.filter(connection=chat).latest("pk"))
        owner_client.post(f"/receipts/{uploads[-1].pk}/import/")
    time_machine.move_to(datetime(2026, 12, 4, 9, 0, tzinfo=UTC))
    owner_client.post("/settings/time-zone/", {"time_zone": "Pacific/Auckland"})
    owner_client.post("/reread/zone/")
    readings = list(AcquisitionBatch.objects.filter(connection=chat, trigger="reread").order_by("pk"))
    assert [b.status for b in readings] == ["committed", "committed"]
    return uploads, readings


def test_an_import_read_again_says_so_on_its_receipt_page_cli_and_api(owner, owner_client, read_again):
    (first, _), (reading, _) = read_again

    page = page_words(owner_client.get(f"/receipts/{first.pk}/"))
    said = ("Read again in Pacific/Auckland time on 4 Dec 2026: its messages now run from 13 Mar to 14 Mar 2026. "
            "The newer reading's receipt says what moved.")
    assert f"Read again since. {said} The newer reading" in page
    assert f'href="/receipts/{reading.pk}/"' in owner_client.get(f"/receipts/{first.pk}/").content.decode()
    assert page.count(said) == 1  # not again among the notes
    # Its own days as it read them (in UTC), on the days its messages stand on now; in Auckland's they were
    # 13 to 15 Mar, a day past the chat's last message.
    assert "19 new messages from 13 Mar to 14 Mar 2026. Its days are as it read them then, in UTC time." in page
    # Its times too (10:00 as the chat wrote it, not 23:00 NZDT).
    assert "Covers 13 Mar 2026 at 10:00 UTC to 14 Mar 2026 at 18:00 UTC" in page

    out = io.StringIO()
    call_command("receipt", first.pk, stdout=out)
    assert f"Since    {said} (import {reading.pk})" in out.getvalue()

    _, secret = issue_access_token(owner)
    api = owner_client.get(f"/api/owner/batches/{first.pk}", HTTP_AUTHORIZATION=f"Bearer {secret}").json()
    # The file it was keeps its SHA-256; its words and times are in the zone it read them in.
    assert api["artifact"]["sha256"] == hashlib.sha256(ana_chat(19)).hexdigest() and api["time_zone"] == "UTC"
    assert api["read_again"] == {"batch_id": reading.pk, "sentence": said}
    assert owner_client.get(f"/api/owner/batches/{reading.pk}",
                            HTTP_AUTHORIZATION=f"Bearer {secret}").json()["read_again"] is None


def test_the_imports_list_shows_each_upload_once_on_the_day_it_was_uploaded(owner_client, chat, read_again):
    owner_client.get("/reread/zone/")  # looked at again: nothing left to read, nothing listed twice

    rows = re.findall(r"<tr>\s*<td>(.*?)</tr>", owner_client.get(f"/sources/{chat.slug}/imports/").content.decode(), re.S)
    cells = [re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", row))).split() for row in rows]
    assert [" ".join(c) for c in cells] == [
        # New and already held as each upload brought them, not its reading's "0 new" (they only moved).
        f"21 Mar 2026 WhatsApp Chat with Ana.txt {len(ana_chat(25))} bytes Imported, read again 4 Dec 2026 6 19",
        f"20 Mar 2026 WhatsApp Chat with Ana.txt {len(ana_chat(19))} bytes Imported, read again 4 Dec 2026 19 0",
    ]



@pytest.mark.django_db(transaction=True)
def test_an_import_read_again_before_its_receipt_said_so_gets_the_note(owner_client, read_again):
    (first, _), (reading, _) = read_again
    AcquisitionBatch.objects.filter(pk=first.pk).update(warnings=[])  # as kept before the note
    assert "Read again since." not in page_words(owner_client.get(f"/receipts/{first.pk}/"))

    migrate_to(("coverage", "0022_holes_know_their_instants"))
    call_command("migrate", verbosity=0)  # forwards again: the database is left as it was found

    assert ("Read again since. Read again in Pacific/Auckland time on 4 Dec 2026: its messages now run from 13 Mar "
            "to 14 Mar 2026.") in page_words(owner_client.get(f"/receipts/{first.pk}/"))


def test_read_again_twice_the_first_import_leads_to_the_newest_reading(owner, owner_client, chat, read_again):
    (first, _), (reading, _) = read_again
    owner_client.post("/settings/time-zone/", {"time_zone": "Europe/Warsaw"})
    owner_client.post("/reread/zone/")
    newest = AcquisitionBatch.objects.get(connection=chat, status="committed", options__reread_of=reading.pk)

    _, secret = issue_access_token(owner)
    api = owner_client.get(f"/api/owner/batches/{first.pk}", HTTP_AUTHORIZATION=f"Bearer {secret}").json()
    assert api["read_again"]["batch_id"] == newest.pk
    assert api["read_again"]["sentence"].startswith("Read again in Europe/Warsaw time on 4 Dec 2026: its messages now "
                                                    "run from 13 Mar to 14 Mar 2026.")
    assert api["artifact"]["sha256"] == hashlib.sha256(ana_chat(19)).hexdigest()


@pytest.mark.django_db(transaction=True)
def test_a_note_kept_before_leads_to_the_newest_reading_and_names_the_file_after_the_migration(
    owner, owner_client, chat, read_again
):
    (first, _), (reading, _) = read_again
    owner_client.post("/settings/time-zone/", {"time_zone": "Europe/Warsaw"})
    owner_client.post("/reread/zone/")
    newest = AcquisitionBatch.objects.get(connection=chat, status="committed", options__reread_of=reading.pk)
    first.refresh_from_db()
    as_kept = [{**w, "batch_id": reading.pk, "sha256": ""} if w["kind"] == "read_again" else w for w in first.warnings]
    AcquisitionBatch.objects.filter(pk=first.pk).update(warnings=as_kept)  # as kept before the file's SHA-256

    migrate_to(("coverage", "0023_read_again_notes"))
    call_command("migrate", verbosity=0)

    _, secret = issue_access_token(owner)
    api = owner_client.get(f"/api/owner/batches/{first.pk}", HTTP_AUTHORIZATION=f"Bearer {secret}").json()
    assert api["read_again"]["batch_id"] == newest.pk
    assert api["artifact"]["sha256"] == hashlib.sha256(ana_chat(19)).hexdigest()
