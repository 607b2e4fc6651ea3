"""WhatsApp chat exports, the parser alone (no database): Android and iOS exports, zips and
attachment references, driven by the fixtures and small files."""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

import pytest

from connections.connectors.whatsapp import PARSER_VERSION
from tests.connectors.whatsapp.helpers import (
    FIXTURES,
    LRM,
    NNBSP,
    chat_file,
    fixture,
    read,
    utc,
    zip_file,
)


# --- Android, day-first, 24 h --------------------------------------------------------------------
def test_android_export_reads_every_message_and_skips_system_notices():
    records, facts = fixture("android_dayfirst_24h.txt")

    assert len(records) == 20
    assert facts.skipped == 2  # the encryption notice and the security-code notice
    assert facts.failed == 0
    assert facts.warnings == []
    assert facts.source_format == "whatsapp_android_txt"
    assert facts.parser_version == PARSER_VERSION
    assert facts.needs_answer is None
    assert {r.stream for r in records} == {"messages"}
    assert {r.payload["author"] for r in records} == {"Ana Souza", "Ben Carter"}
    base = {"author", "text", "kind", "media_name"}
    # A media record also says its kind of media ("unknown": Android's one placeholder for all), and a
    # message after the first of its minute its place in the minute (``seq``).
    assert all(set(r.payload) - {"seq"} == base | ({"media_kind"} if r.payload["kind"] == "media" else set())
               for r in records)


def test_android_export_spans_its_first_and_last_message_in_utc():
    records, _ = fixture("android_dayfirst_24h.txt")

    assert records[0].event_at == utc(2023, 3, 12, 9, 15)
    assert records[0].payload["text"] == "Bom dia! Are we still on for Lisbon?"
    assert records[-1].event_at == utc(2023, 3, 25, 22, 10)
    assert all(r.event_at.tzinfo is UTC for r in records)


def test_multi_line_message_keeps_its_continuation_lines():
    records, _ = fixture("android_dayfirst_24h.txt")
    texts = [r.payload["text"] for r in records]

    assert "Leaving on the 24th,\nback on the 2nd of April.\nBring a jacket." in texts
    # A blank line inside a message is kept; the colon in "Packing list:" is not an author.
    assert "Packing list:\n- passport\n- charger\n\n- sunscreen" in texts
    assert "Rain on Friday: take an umbrella" in texts


def test_media_placeholders_count_as_omitted_media():
    records, facts = fixture("android_dayfirst_24h.txt")
    media = [r for r in records if r.payload["kind"] == "media"]

    assert facts.media_declared == 2
    assert facts.media_omitted == 2
    assert (facts.media_attached, facts.media_missing) == (0, 0)
    assert [r.media for r in media] == ["omitted", "omitted"]
    assert all(r.media is None for r in records if r.payload["kind"] != "media")


def test_deleted_location_and_poll_messages_get_their_kind():
    records, _ = fixture("android_newer.txt")
    kinds = {r.payload["text"].split("\n")[0]: r.payload["kind"] for r in records}

    assert kinds["This message was deleted"] == "deleted"
    assert kinds["location: https://maps.google.com/?q=38.7223,-9.1393"] == "location"
    assert kinds["POLL:"] == "poll"
    assert kinds["Dinner at 8?"] == "text"


def test_edited_marker_is_dropped_from_text_and_key(tmp_path):
    edited = chat_file(
        tmp_path, ["19/03/2023, 21:40 - Ana: Tram is 3 euros <This message was edited>"], "a.txt"
    )
    plain = chat_file(tmp_path, ["19/03/2023, 21:40 - Ana: Tram is 3 euros"], "b.txt")

    (first,), _ = read(edited)
    (second,), _ = read(plain)

    assert first.payload["text"] == "Tram is 3 euros"
    assert first.key == second.key


def test_identical_messages_in_the_same_minute_keep_distinct_keys():
    records, _ = fixture("android_dayfirst_24h.txt")
    oks = [r for r in records if r.payload["text"] == "ok"]

    assert len(oks) == 2
    assert oks[0].event_at == oks[1].event_at
    assert oks[0].key != oks[1].key
    assert len({r.key for r in records}) == len(records)


def test_re_export_gives_the_shared_messages_the_same_keys():
    old, _ = fixture("android_dayfirst_24h.txt")
    new, facts = fixture("android_newer.txt")

    assert len(new) == 25
    assert [r.key for r in new[:20]] == [r.key for r in old]
    assert not {r.key for r in new[20:]} & {r.key for r in old}
    assert new[-1].event_at == utc(2023, 4, 2, 20, 15)
    assert new[-1].payload["text"] == "Home safe.\nThanks for a great trip!"
    assert facts.media_omitted == 3


def test_keys_depend_on_content_not_on_the_file_name(tmp_path):
    copy = tmp_path / "WhatsApp Chat with Ana Souza.txt"
    copy.write_bytes((FIXTURES / "android_dayfirst_24h.txt").read_bytes())

    first, _ = fixture("android_dayfirst_24h.txt")
    second, _ = read(copy)

    assert [r.key for r in first] == [r.key for r in second]


def test_keys_start_with_the_time_written_in_the_chat_whatever_the_owner_zone():
    berlin, _ = fixture("android_dayfirst_24h.txt", time_zone=ZoneInfo("Europe/Berlin"))
    tokyo, _ = fixture("android_dayfirst_24h.txt", time_zone=ZoneInfo("Asia/Tokyo"))

    assert berlin[0].payload["text"] == "Bom dia! Are we still on for Lisbon?"
    assert berlin[0].key.startswith("20230312T0915-")  # "12/03/2023, 09:15", the minute
    assert all(len(r.key) == 46 for r in berlin)
    assert [r.key for r in berlin] == [r.key for r in tokyo]


def test_keys_sort_in_message_time_order_and_a_re_export_repeats_them():
    old, _ = fixture("android_dayfirst_24h.txt")
    new, _ = fixture("android_newer.txt")
    again, _ = fixture("android_newer.txt")

    for records in (old, new):
        by_key = sorted(records, key=lambda r: r.key)
        assert [r.event_at for r in by_key] == sorted(r.event_at for r in records)
    assert {r.key for r in old} < {r.key for r in new}
    assert [r.key for r in again] == [r.key for r in new]


# --- iOS zip, month-first, 12 h ------------------------------------------------------------------
def test_ios_keys_carry_the_minute_on_a_24_hour_clock():
    records, _ = fixture("ios_12h_media.zip")
    key = {r.payload["text"].split("\n")[0]: r.key for r in records}

    assert key["Welcome everyone!"].startswith("20230312T0916-")  # 9:16:40 AM
    assert key["Lunch first?"].startswith("20230312T1201-")  # 12:01:00 PM


def test_ios_zip_reads_the_12_hour_clock_with_narrow_spaces():
    records, facts = fixture("ios_12h_media.zip")
    at = {r.payload["text"].split("\n")[0]: r.event_at for r in records}

    assert facts.source_format == "whatsapp_ios_zip"
    assert at["Welcome everyone!"] == utc(2023, 3, 12, 9, 16, 40)
    assert at["Lunch first?"] == utc(2023, 3, 12, 12, 1)  # 12:01 PM is just after noon
    assert at["Can't sleep. Route ideas:"] == utc(2023, 3, 13, 0, 30)  # 12:30 AM
    assert at["See you all at the airport ✈️"] == utc(2023, 3, 16, 23, 59, 59)
    assert records[2].event_at == utc(2023, 3, 12, 21, 17, 5)  # 9:17:05 PM


def test_ios_zip_skips_the_encryption_notice_and_group_events():
    records, facts = fixture("ios_12h_media.zip")

    assert len(records) == 10
    assert facts.skipped == 3
    assert facts.failed == 0
    assert "Lisbon Trip" not in {r.payload["author"] for r in records}


def test_ios_zip_with_all_media_counts_every_attachment_as_attached():
    records, facts = fixture("ios_12h_media.zip")
    media = [r for r in records if r.payload["kind"] == "media"]

    assert (facts.media_declared, facts.media_attached) == (3, 3)
    assert (facts.media_missing, facts.media_omitted) == (0, 0)
    assert [r.media for r in media] == ["attached"] * 3
    assert [r.payload["media_name"] for r in media] == [
        "00000003-PHOTO-2023-03-12-21-17-05.jpg",
        "00000005-AUDIO-2023-03-13-13-05-09.opus",
        "00000007-Itinerary.pdf",
    ]


def test_ios_zip_missing_a_referenced_file_counts_it_as_missing():
    records, facts = fixture("ios_missing_media.zip")
    audio = next(
        r for r in records if r.payload["media_name"] and "AUDIO" in r.payload["media_name"]
    )

    assert (facts.media_declared, facts.media_attached, facts.media_missing) == (3, 2, 1)
    assert facts.media_omitted == 0
    assert audio.media == "missing"


def test_ios_crlf_and_invisible_marks_never_reach_the_text():
    records, _ = fixture("ios_12h_media.zip")
    texts = [r.payload["text"] for r in records]

    assert "Can't sleep. Route ideas:\n1. Alfama\n2. Belém" in texts
    assert "Great, thanks" in texts  # edited marker removed
    assert not any("\r" in t or LRM in t for t in texts)
    kinds = {r.payload["text"]: r.payload["kind"] for r in records}
    assert kinds["Missed voice call"] == "call"
    assert kinds["This message was deleted."] == "deleted"


def test_ios_placeholders_count_as_omitted(tmp_path):
    path = chat_file(
        tmp_path,
        [
            f"[3/14/23, 8:01:12{NNBSP}PM] Ana: {LRM}image omitted",
            f"[3/14/23, 8:02:00{NNBSP}PM] Ana: {LRM}sticker omitted",
            f"[3/14/23, 8:03:00{NNBSP}PM] Ana: Report.pdf • {LRM}3 pages {LRM}document omitted",
            f"[3/14/23, 8:04:00{NNBSP}PM] Ana: {LRM}Bild weggelassen",
        ],
        newline="\r\n",
    )
    records, facts = read(path)

    assert facts.source_format == "whatsapp_ios_txt"
    assert (facts.media_declared, facts.media_omitted) == (4, 4)
    assert [r.media for r in records] == ["omitted"] * 4
    assert records[2].payload["media_name"] == "Report.pdf"


# --- Android zip and attachment references ------------------------------------------------------
def test_android_zip_with_localized_chat_name_reads_attached_files(tmp_path):
    chat = (
        "02/01/2024, 10:15 - Ana Souza: IMG-20240102-WA0003.jpg (file attached)\n"
        "Sunset at the beach\n"
        "02/01/2024, 10:17 - Ben: Budget 2024 (final).xlsx (file attached)\n"
        "13/01/2024, 09:00 - Ben: PTT-20240113-WA0001.opus (file attached)\n"
    )
    path = zip_file(
        tmp_path,
        {
            "Чат WhatsApp с контактом Ana Souza.txt": chat.encode(),
            "IMG-20240102-WA0003.jpg": b"\xff\xd8fake",
            "Budget 2024 (final).xlsx": b"PK fake",
        },
    )
    records, facts = read(path)

    assert facts.source_format == "whatsapp_android_zip"
    assert [r.payload["media_name"] for r in records] == [
        "IMG-20240102-WA0003.jpg",
        "Budget 2024 (final).xlsx",
        "PTT-20240113-WA0001.opus",
    ]
    assert [r.media for r in records] == ["attached", "attached", "missing"]
    assert (facts.media_declared, facts.media_attached, facts.media_missing) == (3, 2, 1)
    assert (
        records[0].payload["text"] == "IMG-20240102-WA0003.jpg (file attached)\nSunset at the beach"
    )


def test_bare_text_export_with_an_attachment_reference_counts_missing_media(tmp_path):
    path = chat_file(
        tmp_path,
        [
            "[1/2/24, 10:15:30] Ana: " + LRM + "<attached: 00000012-PHOTO.jpg>",
            "[1/13/24, 10:15:30] Ana: hi",
        ],
    )
    records, facts = read(path)

    assert records[0].media == "missing"
    assert (facts.media_declared, facts.media_missing, facts.media_attached) == (1, 1, 0)


def test_zip_is_detected_by_content_not_by_file_name(tmp_path):
    zipped = tmp_path / "chat.txt"
    zipped.write_bytes((FIXTURES / "ios_12h_media.zip").read_bytes())
    text = tmp_path / "chat.zip"
    text.write_bytes((FIXTURES / "android_dayfirst_24h.txt").read_bytes())

    assert read(zipped)[1].source_format == "whatsapp_ios_zip"
    assert read(text)[1].source_format == "whatsapp_android_txt"


def test_zip_with_several_text_files_uses_the_one_that_is_a_chat(tmp_path):
    path = zip_file(
        tmp_path,
        {
            "notes.txt": b"shopping list\nmilk\n",
            "WhatsApp Chat with Ana.txt": b"14/03/2023, 10:00 - Ana: hi\n",
        },
    )
    records, facts = read(path)

    assert [r.payload["text"] for r in records] == ["hi"]
    assert facts.media_declared == 0


@pytest.mark.parametrize("layout", ["android", "ios"])
def test_messages_of_one_minute_carry_their_place_in_it(tmp_path, layout):
    """Android writes no seconds: the second and later messages of a minute say their place (``seq``),
    so a day page can show them in the export's order; the key does not change with it."""
    texts = ["question first?", "answer second", f"{LRM}image omitted", "fourth\nover two lines", "fifth"]
    if layout == "android":
        lines = [f"15/06/2024, 10:00 - {'Zed' if i % 2 else 'Amy'}: {t}" for i, t in enumerate(texts)]
    else:
        lines = [f"[15/06/2024, 10:00:00] {'Zed' if i % 2 else 'Amy'}: {t}" for i, t in enumerate(texts)]
    records, _ = read(chat_file(tmp_path, [*lines, lines[0].replace("10:00", "10:01")]))

    assert [r.payload.get("seq") for r in records] == [None, 1, 2, 3, 4, None]
