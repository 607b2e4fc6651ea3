"""The owner may read a chat's dates the other way when the file did not prove its order.

An Arabic phone writes 06/05/2024 day first, so a chat whose dates could be read either way, all in
Arabic, is read day first without asking. Sam's phone is one of the few that does not (a phone set to
Arabic with a US region): its preview says how the dates were read, and a button reads them month first
instead. The preview then says "as you said", with the button back. A file whose dates prove the order
offers nothing.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from coverage.models import AcquisitionBatch
from tests.page_words import page_words

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks", "artifact_storage")]

LRM = "\u200e"
ARABIC = [  # 6 May or 5 Jun 2024; 9 May or 5 Sep
    f"{LRM}[06\u200f/05\u200f/2024 07:00:00] سام: {LRM}الرسائل والمكالمات مشفرة تمامًا بين الطرفين.",
    "[06\u200f/05\u200f/2024 11:11:00] عمر: ok",
    "[09\u200f/05\u200f/2024 17:30:00] عمر: ok",
]
PROVEN = ["[13/05/2024 11:11:00] Omar: ok", "[06/05/2024 11:12:00] Omar: ok"]  # 13 can only be a day


def _preview(owner_client, chat, lines) -> AcquisitionBatch:
    owner_client.post(f"/sources/{chat.slug}/upload/", {"artifact": SimpleUploadedFile(
        "_chat.txt", ("\r\n".join(lines) + "\r\n").encode(), "text/plain")})
    return AcquisitionBatch.objects.filter(connection=chat).latest("pk")


def test_dates_read_day_first_by_the_phones_language_can_be_read_month_first(owner_client, chat):
    batch = _preview(owner_client, chat, ARABIC)
    said = page_words(owner_client.get(f"/receipts/{batch.pk}/"))
    assert "Dates like 06/05/2024 were read day first (6 May 2024), as phones set to Arabic always write them." in said
    assert "Covers 6 May 2024 at 11:11 UTC to 9 May 2024 at 17:30 UTC" in said  # the notice is no message
    assert "Read them month first instead" in said

    page = owner_client.post(f"/receipts/{batch.pk}/answer/", {"date_order": "mdy"}, follow=True)
    said = page_words(page)
    assert "Dates like 06/05/2024 were read month first (5 Jun 2024), as you said." in said
    assert "Covers 5 Jun 2024 at 11:11 UTC to 5 Sep 2024 at 17:30 UTC" in said
    assert "Read them day first instead" in said and "as phones set to Arabic" not in said

    back = page_words(owner_client.post(f"/receipts/{batch.pk}/answer/", {"date_order": "dmy"}, follow=True))
    assert "were read day first (6 May 2024), as you said." in back and "Read them month first instead" in back


def test_a_file_that_proves_its_order_offers_no_other_reading(owner_client, chat):
    batch = _preview(owner_client, chat, PROVEN)
    said = page_words(owner_client.get(f"/receipts/{batch.pk}/"))
    assert "Covers" in said and "first instead" not in said
