"""An owner who answered the day/month question wrongly is told when a later export of the chat
proves the order, and puts the earlier import right by reading it again.

Ana's first export holds only dates that read either way (01/02/2026), and the owner said
"month first". Her longer export holds 13/02/2026: the phone writes the day first. Until the
first import is read again, its two messages sit on 2 Jan and 2 Mar, and the longer export
brought them again on 1 Feb and 3 Feb.
"""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from django.core.management import call_command

from coverage.evidence import load_receipt
from coverage.models import AcquisitionBatch, Record
from coverage.pipeline import answer_preview, preview_artifact, start_commit
from tests.factories import OwnerProfileFactory
from tests.page_words import page_words

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("artifact_storage", "immediate_tasks")]

FIRST = ["01/02/2026, 10:00 - Ana: see you on Sunday", "03/02/2026, 11:00 - Ben: bring the map"]
LONGER = [*FIRST, "13/02/2026, 09:00 - Ana: back home"]


def _export(lines: list[str]) -> io.BytesIO:
    return io.BytesIO(("\n".join(lines) + "\n").encode())


def _days(connection) -> list[date]:
    return sorted(r.event_at.date() for r in Record.objects.filter(connection=connection))


def _imported_with_the_wrong_answer(chat) -> AcquisitionBatch:
    first = preview_artifact(chat, _export(FIRST), "WhatsApp Chat with Ana.txt")
    assert first.question is not None  # 01/02 and 03/02 read either way
    first = start_commit(answer_preview(first, "mdy"))
    assert _days(chat) == [date(2026, 1, 2), date(2026, 3, 2)]
    return first


def test_a_longer_export_that_proves_the_order_says_the_earlier_answer_was_wrong(owner_client, chat):
    OwnerProfileFactory(owner=chat.owner, time_zone="UTC")
    _imported_with_the_wrong_answer(chat)

    longer = preview_artifact(chat, _export(LONGER), "WhatsApp Chat with Ana (1).txt")
    assert longer.question is None
    kinds = [w["kind"] for w in longer.warnings]
    assert kinds == ["date_order_contradicted"]
    receipt = load_receipt(AcquisitionBatch.objects.select_related("connection").get(pk=longer.pk))
    assert "writes the day first (31/12)" in receipt.warnings[0].detail
    assert "WhatsApp Chat with Ana.txt of " in receipt.warnings[0].detail
    page = owner_client.get(f"/receipts/{longer.pk}/").content.decode()
    assert "Dates of an earlier import are off." in page
    assert 'href="/sources/family-chat/reread/"' in page


def test_reading_the_earlier_import_again_puts_its_messages_on_the_proven_days(owner_client, chat):
    OwnerProfileFactory(owner=chat.owner, time_zone="UTC")
    first = _imported_with_the_wrong_answer(chat)
    start_commit(preview_artifact(chat, _export(LONGER), "WhatsApp Chat with Ana (1).txt"))
    assert len(_days(chat)) == 5  # the two misdated messages, and all three on their right days

    page = owner_client.get("/sources/family-chat/reread/").content.decode()
    assert "WhatsApp Chat with Ana.txt" in page
    assert "<h1>Read again in the phone's day/month order</h1>" in page
    assert "2 messages as read before would go: they were on the wrong days" in page
    assert "improved reader" not in page  # no reader changed: the order did
    response = owner_client.post("/sources/family-chat/reread/")
    assert response.status_code == 302

    assert _days(chat) == [date(2026, 2, 1), date(2026, 2, 3), date(2026, 2, 13)]
    first.refresh_from_db()
    assert "superseded_by" in first.options
    reread = AcquisitionBatch.objects.get(pk=first.options["superseded_by"])
    assert reread.options["date_order"] == "dmy"
    assert not re.search("WhatsApp Chat with Ana.txt", owner_client.get("/sources/family-chat/reread/").content.decode())


def test_an_answer_no_file_contradicts_is_left_alone(owner_client, chat):
    OwnerProfileFactory(owner=chat.owner, time_zone="UTC")
    _imported_with_the_wrong_answer(chat)
    more = preview_artifact(chat, _export([*FIRST, "12/02/2026, 09:00 - Ana: still ambiguous"]), "again.txt")
    assert more.question is not None and more.warnings[-1]["kind"] == "ambiguous_date_order"
    assert "Dates of an earlier import are off." not in owner_client.get(f"/receipts/{more.pk}/").content.decode()
    assert "WhatsApp Chat with Ana.txt" not in owner_client.get("/sources/family-chat/reread/").content.decode()


def test_the_reread_command_of_the_source_puts_them_right_too(chat):
    OwnerProfileFactory(owner=chat.owner, time_zone="UTC")
    _imported_with_the_wrong_answer(chat)
    start_commit(preview_artifact(chat, _export(LONGER), "WhatsApp Chat with Ana (1).txt"))
    out = io.StringIO()
    call_command("reread", "--connection", "family-chat", stdout=out)
    assert "WhatsApp Chat with Ana.txt" in out.getvalue()
    assert _days(chat) == [date(2026, 2, 1), date(2026, 2, 3), date(2026, 2, 13)]


def test_the_card_says_an_import_is_on_the_wrong_days_until_it_is_read_again(owner_client, chat):
    OwnerProfileFactory(owner=chat.owner, time_zone="UTC")
    _imported_with_the_wrong_answer(chat)
    start_commit(preview_artifact(chat, _export(LONGER), "WhatsApp Chat with Ana (1).txt"))

    advisories = {a["kind"]: a for a in owner_client.get("/api/owner/connections/family-chat").json()["advisories"]}
    assert set(advisories) == {"stale_owner_artifact", "misordered_dates"}  # the chat is from February
    assert "1 import was read in the day/month order you answered" in advisories["misordered_dates"]["detail"]
    card = owner_client.get("/").content.decode()
    assert "some of its messages are on the wrong days" in card
    assert 'href="/sources/family-chat/reread/"' in card and "Read again in the right day/month order" in card

    owner_client.post("/sources/family-chat/reread/")

    api = owner_client.get("/api/owner/connections/family-chat").json()
    assert [a["kind"] for a in api["advisories"]] == ["stale_owner_artifact"]
    assert "some of its messages are on the wrong days" not in owner_client.get("/").content.decode()


def test_the_longer_exports_preview_asks_to_read_the_earlier_import_again_before_importing(owner_client, chat):
    """Tester's fault (session 20): the preview's main button imported the misdated messages a second time, and the
    re-read then spoke of an improved reader and of the owner's answer. Now the preview leads to reading the earlier
    import again (importing stays possible), and once it is read, to importing, which adds only what is new."""
    OwnerProfileFactory(owner=chat.owner, time_zone="UTC")
    first = _imported_with_the_wrong_answer(chat)
    longer = preview_artifact(chat, _export(LONGER), "WhatsApp Chat with Ana (1).txt")

    receipt = load_receipt(AcquisitionBatch.objects.select_related("connection").get(pk=longer.pk))
    assert (receipt.next_action.kind, receipt.next_action.label) == ("reread_first", "Read the earlier import again")
    page = page_words(owner_client.get(f"/receipts/{longer.pk}/"))
    assert "Read the earlier import again Import anyway" in page

    owner_client.post("/sources/family-chat/reread/")
    first.refresh_from_db()
    reread = AcquisitionBatch.objects.get(pk=first.options["superseded_by"])
    said = page_words(owner_client.get(f"/receipts/{reread.pk}/"))
    assert "Dates like 01/02/2026 were read day first (1 Feb 2026), as a later export of this chat shows." in said
    assert "as you said" not in said and "improved reader" not in said
    assert "they were on the wrong days, read in the other day/month order" in said
    earlier = page_words(owner_client.get(f"/receipts/{first.pk}/"))
    assert "Read again in the day/month order a later file proved" in earlier

    receipt = load_receipt(AcquisitionBatch.objects.select_related("connection").get(pk=longer.pk))
    assert receipt.next_action.kind == "commit" and "Dates of an earlier import are off" not in str(receipt.warnings)
    owner_client.post(f"/receipts/{longer.pk}/import/")
    assert _days(chat) == [date(2026, 2, 1), date(2026, 2, 3), date(2026, 2, 13)]  # each message once
