"""Media refilled by a newer export (issue 11, section 3): the card and the timeline on the same page
agree, because the media-missing days are recomputed from the records' current media state.

Both imports go through the real pipeline (preview, commit, landing) and the page is rendered.
"""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from coverage.models import LaneSummary
from coverage.pipeline import preview_artifact, start_commit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]

LRM = "\u200e"
MEDIA = {
    "00000003-PHOTO-2023-03-12-21-17-05.jpg": b"\xff\xd8\xff\xe0fake-jpeg\xff\xd9",
    "00000005-AUDIO-2023-03-13-13-05-09.opus": b"OggS\x00fake-opus",
    "00000007-Itinerary.pdf": b"%PDF-1.4\n%%EOF\n",
}
CHAT = "\r\n".join([
    "[3/12/23, 9:16:40\u202fAM] Ana Souza: Welcome everyone!",
    f"[3/12/23, 9:17:05\u202fPM] Ben Carter: {LRM}<attached: 00000003-PHOTO-2023-03-12-21-17-05.jpg>",
    f"[3/13/23, 1:05:09\u202fPM] Ana Souza: {LRM}<attached: 00000005-AUDIO-2023-03-13-13-05-09.opus>",
    f"[3/14/23, 8:00:00\u202fPM] Ben Carter: {LRM}<attached: 00000007-Itinerary.pdf>",
    "[3/16/23, 11:00:00\u202fAM] Ana Souza: See you all at the airport",
]) + "\r\n"


def chat_zip(with_media: bool) -> io.BytesIO:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("_chat.txt", CHAT.encode())
        for name, data in MEDIA.items() if with_media else ():
            zf.writestr(name, data)
    buf.seek(0)
    return buf


def import_zip(connection, with_media: bool, name: str):
    return start_commit(preview_artifact(connection, chat_zip(with_media), name))


def media_missing_cells(page: str) -> int:
    return len(re.findall(r'class="media-mark"', page))


def test_a_re_export_with_the_photos_clears_the_media_missing_days_on_the_timeline(owner_client, chat):
    import_zip(chat, False, "WhatsApp Chat - Lisbon.zip")
    before = owner_client.get(f"/sources/{chat.slug}/").content.decode()
    assert "0 of 3 media files included" in before
    assert media_missing_cells(before) == 3  # three days, each with one file not included

    import_zip(chat, True, "WhatsApp Chat - Lisbon (with media).zip")

    page = owner_client.get(f"/sources/{chat.slug}/").content.decode()
    assert "3 of 3 media files included" in page
    assert media_missing_cells(page) == 0
    assert "media missing</td>" not in page  # the accessible table agrees with the strip
    assert LaneSummary.objects.get(connection=chat).media_days == []


def test_a_re_export_that_brings_some_photos_keeps_only_the_days_still_missing(owner_client, chat):
    import_zip(chat, False, "WhatsApp Chat - Lisbon.zip")
    partial = io.BytesIO()
    with zipfile.ZipFile(partial, "w") as zf:
        zf.writestr("_chat.txt", CHAT.encode())
        zf.writestr("00000003-PHOTO-2023-03-12-21-17-05.jpg", MEDIA["00000003-PHOTO-2023-03-12-21-17-05.jpg"])
    partial.seek(0)
    start_commit(preview_artifact(chat, partial, "WhatsApp Chat - Lisbon (one photo).zip"))

    page = owner_client.get(f"/sources/{chat.slug}/").content.decode()
    assert "1 of 3 media files included" in page
    assert media_missing_cells(page) == 2


def test_the_receipt_of_a_re_export_with_the_photos_says_they_were_added(owner_client, chat):
    import_zip(chat, False, "WhatsApp Chat - Lisbon.zip")
    again = import_zip(chat, True, "WhatsApp Chat - Lisbon (with media).zip")
    again.refresh_from_db()

    said = owner_client.get(f"/api/owner/batches/{again.pk}").json()["sentence"]

    assert said.startswith("No new messages")
    assert "3 media files missing from earlier imports were added." in said

    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", owner_client.get(f"/receipts/{again.pk}/").content.decode()))
    assert page.count("3 media files missing from earlier imports were added.") == 1  # said once, not again as a note
