"""The same chat exported from the other person's phone is not counted again without a word.

Each phone names the chat's people as it knows them: Ayşe's phone calls her "Ayşe", Mehmet's
calls her "Ayşe Yılmaz"; an iPhone writes a number it has no contact for, or "~ Ali". A tester
imported a family chat from one phone, then from the other: 8 of its 11 messages were added
again. The preview now says that the new messages look held already under other names, pairs
the names, and waits for the owner: read it as the same people (what the source holds is then
a duplicate, only the newer messages are added), or import it as it reads. The web page, the
API and the command line offer the same choice.
"""

from __future__ import annotations

import html
import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from connections.models import OwnerProfile
from connections.tokens import issue_access_token
from coverage.models import AcquisitionBatch
from tests.page_words import page_words

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks", "artifact_storage")]

# (minute, author key, text): the chat both phones hold, then three messages only the later export has.
HELD = [
    ("09:02", "ayse", "Merhaba herkese"), ("09:03", "mehmet", "Selam!"), ("09:05", "ayse", "Toplantı notları:\n1) cuma"),
    ("09:07", "ali", "Ben de geliyorum"), ("09:07", "mehmet", "Tamam"), ("09:09", "ayse", "<Medya dahil edilmedi>"),
    ("09:10", "ali", "ok"), ("09:11", "mehmet", "ok"),
]
NEWER = [("10:00", "ayse", "Yarın görüşürüz"), ("10:01", "ali", "👍"), ("10:02", "mehmet", "İyi geceler")]

ANDROID = "13.03.2024 {minute} - {author}: {text}\n"
IOS = "[13.03.2024 {minute}:00] {author}: {text}\n"
# How each phone names the people: (layout, {author key: name}).
AYSE_PHONE = (ANDROID, {"ayse": "Ayşe", "mehmet": "Mehmet", "ali": "Ali"})
PHONES = {
    "android_full_name": (ANDROID, {"ayse": "Ayşe Yılmaz", "mehmet": "Mehmet", "ali": "Ali"}),
    "iphone_number_and_tilde": (IOS, {"ayse": "+90 532 123 45 67", "mehmet": "Mehmet", "ali": "~ Ali"}),
}


def export(phone, messages) -> bytes:
    layout, names = phone
    return "".join(layout.format(minute=m, author=names[a], text=t) for m, a, t in messages).encode()


def upload(client, chat, body: bytes, name: str) -> AcquisitionBatch:
    client.post(f"/sources/{chat.slug}/upload/", {"artifact": SimpleUploadedFile(name, body, "text/plain")})
    return AcquisitionBatch.objects.filter(connection=chat).latest("pk")


@pytest.fixture
def held(owner_client, chat):
    first = upload(owner_client, chat, export(AYSE_PHONE, HELD), "WhatsApp Sohbeti - Aile.txt")
    owner_client.post(f"/receipts/{first.pk}/import/")
    assert chat.records.count() == len(HELD)
    return chat


@pytest.mark.parametrize("phone", list(PHONES.values()), ids=list(PHONES))
def test_the_other_phones_export_is_read_as_the_same_people_and_only_the_newer_messages_are_added(
    owner_client, held, phone
):
    preview = upload(owner_client, held, export(phone, HELD + NEWER), "WhatsApp Sohbeti - Aile (Mehmet).txt")
    _, names = phone
    page = page_words(owner_client.get(f"/receipts/{preview.pk}/"))
    assert "The same chat from another phone?" in page
    # Six of the 11 look held: Mehmet's messages key alike on both phones, so they are already duplicates.
    renamed = [n for n in ("ayse", "ali") if names[n] != AYSE_PHONE[1][n]]
    twins = sum(1 for _, a, _ in HELD if a in renamed)
    assert f"{twins} of the {twins + len(NEWER)} new messages look like messages this source already holds" in page
    assert f"“{names['ayse']}” here is “Ayşe” in your earlier imports" in page
    assert "Read as the same people" in page and "Import as it reads" in page
    assert page.count("This looks like the same chat exported from another phone.") == 1  # a notice, not a note too

    refused = page_words(owner_client.post(f"/receipts/{preview.pk}/import/", follow=True))
    assert "looks like the same chat exported from another phone" in refused
    assert held.records.count() == len(HELD)  # nothing imported before the owner chose

    owner_client.post(f"/receipts/{preview.pk}/same-people/")
    page = page_words(owner_client.get(f"/receipts/{preview.pk}/"))
    assert "The same chat from another phone?" not in page
    assert f"Read as the same people as this source's earlier imports: “{names['ayse']}” as “Ayşe”" in page
    owner_client.post(f"/receipts/{preview.pk}/import/")

    assert held.records.count() == len(HELD) + len(NEWER)
    assert set(held.records.values_list("payload__author", flat=True)) == {"Ayşe", "Mehmet", "Ali"}

    # Read again in a new zone, the file is still read as the same people: messages move, none go or come.
    owner_client.post("/settings/time-zone/", {"time_zone": "Pacific/Auckland"})
    done = page_words(owner_client.post("/reread/zone/", follow=True))
    assert f"{len(HELD) + len(NEWER)} messages moved to Pacific/Auckland time" in done
    assert held.records.count() == len(HELD) + len(NEWER)
    assert set(held.records.values_list("payload__author", flat=True)) == {"Ayşe", "Mehmet", "Ali"}


def test_imported_as_it_reads_the_messages_count_under_both_names(owner_client, held):
    preview = upload(owner_client, held, export(PHONES["android_full_name"], HELD + NEWER), "Aile.txt")

    owner_client.post(f"/receipts/{preview.pk}/import/", {"as_it_reads": "1"})

    again = sum(1 for _, a, _ in HELD if a == "ayse")
    assert held.records.count() == len(HELD) + again + len(NEWER)  # Ayşe's held messages again, as "Ayşe Yılmaz"


def test_the_api_and_the_command_line_offer_the_same_choice(owner, owner_client, held, tmp_path):
    _, secret = issue_access_token(owner)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    preview = upload(owner_client, held, export(PHONES["iphone_number_and_tilde"], HELD + NEWER), "_chat.txt")
    receipt = owner_client.get(f"/api/owner/batches/{preview.pk}", **auth).json()
    assert receipt["next_action"]["kind"] == "same_people"
    assert [w["kind"] for w in receipt["warnings"]][:1] == ["other_phone"]
    assert owner_client.post(f"/api/owner/previews/{preview.pk}/commit", **auth).status_code == 409

    again = owner_client.post(f"/api/owner/previews/{preview.pk}/same-people", **auth).json()
    assert (again["counts"]["accepted"], again["next_action"]["kind"]) == (len(NEWER), "commit")

    path = tmp_path / "WhatsApp Chat - Aile.txt"
    path.write_bytes(export(PHONES["android_full_name"], HELD + NEWER[:1]))
    out = io.StringIO()
    with pytest.raises(CommandError, match="--same-people"):
        call_command("import_artifact", held.slug, str(path), stdout=out, stderr=io.StringIO())
    assert "look like messages this source already holds" in out.getvalue()
    out = io.StringIO()
    call_command("import_artifact", held.slug, str(path), "--same-people", stdout=out, stderr=io.StringIO())
    assert held.records.count() == len(HELD) + 1


CONTROLS = {
    # Another chat in the same source: nothing is held twice.
    "another_chat": [("11:00", "ayse", "Başka bir sohbet"), ("11:01", "ali", "Evet"), ("11:02", "ayse", "Tamam mı?")],
    # Two people said "ok" in a minute the source holds: a coincidence, not another phone.
    "a_coincidence": [("09:10", "mehmet", "ok"), ("12:00", "ayse", "Yeni bir gün"), ("12:01", "ali", "Günaydın"),
                      ("12:02", "mehmet", "Selam")],
}


@pytest.mark.parametrize("messages", list(CONTROLS.values()), ids=list(CONTROLS))
def test_new_messages_that_are_not_held_under_other_names_import_without_a_question(owner_client, held, messages):
    preview = upload(owner_client, held, export(AYSE_PHONE, messages), "Aile (2).txt")
    receipt = owner_client.get(f"/api/owner/batches/{preview.pk}").json()

    assert "other_phone" not in [w["kind"] for w in receipt["warnings"]]
    assert receipt["next_action"]["kind"] == "commit"


def test_two_phones_exports_previewed_side_by_side_are_not_counted_twice(owner_client, chat):
    # Both files are previewed before either is imported: neither finds the other's messages held yet.
    first = upload(owner_client, chat, export(AYSE_PHONE, HELD), "WhatsApp Sohbeti - Aile.txt")
    second = upload(owner_client, chat, export(PHONES["android_full_name"], HELD + NEWER), "Aile (Mehmet).txt")
    assert owner_client.get(f"/api/owner/batches/{second.pk}").json()["next_action"]["kind"] == "commit"

    owner_client.post(f"/receipts/{first.pk}/import/")
    refused = page_words(owner_client.post(f"/receipts/{second.pk}/import/", follow=True))

    # Checked again at its import: Ayşe's messages are held now, under the name her own phone gives her.
    assert "looks like the same chat exported from another phone" in refused
    assert "“Ayşe Yılmaz” here is “Ayşe” in your earlier imports" in refused
    assert chat.records.count() == len(HELD)
    owner_client.post(f"/receipts/{second.pk}/same-people/")
    owner_client.post(f"/receipts/{second.pk}/import/")
    assert chat.records.count() == len(HELD) + len(NEWER)


# (what the later export holds, what this file's names should pair with the source's)
LATER_EXPORTS = {
    # It shares only the end of what is held (3 of its 23 new messages), one of them Ayşe's only message there.
    "sharing_only_its_start": (HELD[-5:] + [(f"1{n // 60}:{n % 60:02d}", "mehmet", f"Mesaj {n}") for n in range(20)],
                               {"+90 532 123 45 67": "Ayşe", "~ Ali": "Ali"}),
    # Mehmet, named alike on both phones, happens to write what Ali wrote in the same minute: he is no one else.
    "a_same_named_member_echoing_another": (HELD + [("09:07", "mehmet", "Ben de geliyorum")] + NEWER,
                                            {"+90 532 123 45 67": "Ayşe", "~ Ali": "Ali"}),
}


@pytest.mark.parametrize("messages, pairs", list(LATER_EXPORTS.values()), ids=list(LATER_EXPORTS))
def test_a_later_export_sharing_a_few_messages_is_offered_and_each_name_paired(owner_client, held, messages, pairs):
    preview = upload(owner_client, held, export(PHONES["iphone_number_and_tilde"], messages), "_chat.txt")
    note = next(w for w in preview.warnings if w["kind"] == "other_phone")

    assert {here: held_name for here, held_name, _ in note["names"]} == pairs
    owner_client.post(f"/receipts/{preview.pk}/same-people/")
    owner_client.post(f"/receipts/{preview.pk}/import/")
    assert held.records.count() == len(HELD) + sum(1 for message in messages if message not in HELD)


def _later(minute: str, hours: int) -> str:
    hour, rest = minute.split(":")
    return f"{int(hour) + hours:02d}:{rest}"


# The other phone's clock against the owner's: Deniz in Istanbul (two hours ahead), or in New York.
CLOCKS = {"two_hours_ahead": 2, "five_hours_behind": -5}
SHARED = HELD + [("09:20", "ayse", "Akşam yemeğine kim geliyor?"), ("09:21", "mehmet", "Ben geliyorum, tatlı getiririm")]


@pytest.mark.parametrize("hours", list(CLOCKS.values()), ids=list(CLOCKS))
def test_the_other_phones_export_in_another_time_zone_is_read_on_this_sources_clock(owner_client, chat, hours):
    first = upload(owner_client, chat, export(AYSE_PHONE, SHARED), "WhatsApp Sohbeti - Aile.txt")
    owner_client.post(f"/receipts/{first.pk}/import/")
    elsewhere = [(_later(m, hours), a, t) for m, a, t in SHARED + NEWER]

    preview = upload(owner_client, chat, export(PHONES["android_full_name"], elsewhere), "Aile (Deniz).txt")
    page = page_words(owner_client.get(f"/receipts/{preview.pk}/"))

    later = "later" if hours > 0 else "earlier"
    assert f"each written {abs(hours)} hours {later} on this file's clock" in page
    assert "“Ayşe Yılmaz” here is “Ayşe” in your earlier imports" in page
    assert "the same chat exported from a phone set to another time zone" in page
    owner_client.post(f"/receipts/{preview.pk}/same-people/")
    page = page_words(owner_client.get(f"/receipts/{preview.pk}/"))
    assert "its times read on its own phone's clock: “Ayşe Yılmaz” as “Ayşe”" in page
    owner_client.post(f"/receipts/{preview.pk}/import/")

    assert chat.records.count() == len(SHARED) + len(NEWER)  # only the newer messages, on the owner's clock
    newest = chat.records.order_by("-event_at").first()
    assert (newest.payload["text"], newest.event_at.strftime("%H:%M")) == ("İyi geceler", "10:02")


def test_after_a_zone_change_each_shared_message_moves_once_as_the_preview_said(owner_client, held):
    # Mehmet's iPhone writes seconds Ayşe's Android does not: read as the same people, its copies of the
    # shared messages differ from the held ones by seconds alone.
    iphone = ("[13.03.2024 {minute}:37] {author}: {text}\n", PHONES["iphone_number_and_tilde"][1])
    preview = upload(owner_client, held, export(iphone, HELD + NEWER), "_chat.txt")
    owner_client.post(f"/receipts/{preview.pk}/same-people/")
    owner_client.post(f"/receipts/{preview.pk}/import/")
    total = len(HELD) + len(NEWER)
    assert held.records.count() == total

    owner_client.post("/settings/time-zone/", {"time_zone": "Pacific/Auckland"})
    offered = page_words(owner_client.get("/reread/zone/"))
    done = page_words(owner_client.post("/reread/zone/", follow=True))

    assert f"Read your chats again in Pacific/Auckland? {total} messages will move" in offered
    assert f"Read 2 imports again. {total} messages moved to Pacific/Auckland time. Nothing was duplicated." in done
    assert "corrected" not in offered + done and "another kind" not in offered + done
    assert held.records.count() == total


def test_the_owner_changes_who_is_who_on_the_page_the_api_and_the_command_line(owner, owner_client, held, tmp_path):
    phone = PHONES["iphone_number_and_tilde"]
    preview = upload(owner_client, held, export(phone, HELD + NEWER), "_chat.txt")
    page = owner_client.get(f"/receipts/{preview.pk}/").content.decode()
    assert "Change who is who" in page
    assert re.search(r'name="here_\d" value="~ Ali">\s*<label[^>]*>“~ Ali” here is</label>\s*<select[^>]*>\s*'
                     r'<option value="">nobody your earlier imports name</option>\s*'
                     r'<option value="Ali" selected>', html.unescape(page))

    # The owner knows better: "~ Ali" on Mehmet's phone is another Ali; his two messages are his own.
    owner_client.post(f"/receipts/{preview.pk}/same-people/", {
        "here_1": "+90 532 123 45 67", "as_1": "Ayşe", "here_2": "~ Ali", "as_2": "", "here_3": "Mehmet", "as_3": "Mehmet"})
    preview.refresh_from_db()
    alis = sum(1 for _, a, _ in HELD if a == "ali")
    assert (preview.options["authors"], preview.count_accepted) == ({"+90 532 123 45 67": "Ayşe"}, len(NEWER) + alis)

    _, secret = issue_access_token(owner)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}", "content_type": "application/json"}
    again = upload(owner_client, held, export(phone, HELD + NEWER[:2]), "_chat (2).txt")
    shapeless = owner_client.post(f"/api/owner/previews/{again.pk}/same-people", {"authors": ["Ali"]}, **auth)
    assert shapeless.status_code == 400
    wrong = owner_client.post(f"/api/owner/previews/{again.pk}/same-people", {"authors": {"Alı": "Ali"}}, **auth)
    assert (wrong.status_code, wrong.json()["detail"]) == (409, "“Alı” is not a name this file gives anyone.")
    chosen = owner_client.post(f"/api/owner/previews/{again.pk}/same-people",
                               {"authors": {"~ Ali": "Ali", "+90 532 123 45 67": "Ayşe"}}, **auth).json()
    assert chosen["counts"]["accepted"] == 2

    path = tmp_path / "_chat.txt"
    path.write_bytes(export(phone, HELD + NEWER[:1]))
    call_command("import_artifact", held.slug, str(path), "--same-people", "--person", "~ Ali=",
                 "--person", "+90 532 123 45 67=Ayşe", stdout=io.StringIO(), stderr=io.StringIO())
    assert held.records.count() == len(HELD) + alis + 1


def test_a_phone_that_changed_its_clocks_on_other_nights_is_read_on_its_own_clock(owner, owner_client, chat):
    # Anna's phone in Warsaw and Piotr's in New York: 6 hours apart, 5 from 8 Mar (US summer time), 6 again
    # from 29 Mar (Europe's). Piotr's export of their chat holds every message Anna's did, and two more.
    warsaw, new_york = ZoneInfo("Europe/Warsaw"), ZoneInfo("America/New_York")
    OwnerProfile.objects.update_or_create(owner=owner, defaults={"time_zone": "Europe/Warsaw"})
    said = [(datetime(2026, 3, day, 12, 30, tzinfo=warsaw), "anna" if day % 2 else "piotr", f"Wiadomość numer {day}")
            for day in range(1, 32, 2)]
    newer = [(datetime(2026, 4, 2, 9, 0, tzinfo=warsaw), "piotr", "Zdjęcia wrzucę jutro")]

    def written(messages, zone, names):
        return "".join(f"{at.astimezone(zone):%d.%m.%Y, %H:%M} - {names[who]}: {text}\n" for at, who, text in messages)

    first = upload(owner_client, chat, written(said, warsaw, {"anna": "Anna", "piotr": "Piotr"}).encode(), "Anna.txt")
    owner_client.post(f"/receipts/{first.pk}/import/")
    preview = upload(owner_client, chat, written(said + newer, new_york, {"anna": "Anna Nowak", "piotr": "Piotr"}).encode(),
                     "WhatsApp Chat with Anna Nowak.txt")
    page = page_words(owner_client.get(f"/receipts/{preview.pk}/"))
    assert "each written 5 or 6 hours earlier on this file's clock (the two phones changed their clocks on" in page

    owner_client.post(f"/receipts/{preview.pk}/same-people/")
    owner_client.post(f"/receipts/{preview.pk}/import/")

    assert chat.records.count() == len(said) + len(newer)  # each shared message once, on its own minute
    assert sorted(chat.records.values_list("event_at", flat=True)) == [at for at, _, _ in said + newer]
