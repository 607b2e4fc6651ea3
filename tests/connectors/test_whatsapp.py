"""WhatsApp chat exports: the parser alone (no database), driven by the fixtures and small files."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connections.connectors.base import (
    MAX_LINE_CHARS,
    Artifact,
    ArtifactRejected,
    BatchFacts,
    ParsedRecord,
    ParseOptions,
)
from connections.connectors.whatsapp import MANIFEST, PARSER_VERSION, parse

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "whatsapp"
LRM = "\u200e"
NNBSP = "\u202f"


def read(
    path: Path, filename: str | None = None, **options
) -> tuple[list[ParsedRecord], BatchFacts]:
    facts = BatchFacts()
    artifact = Artifact(path=Path(path), filename=filename or Path(path).name)
    return list(parse(artifact, facts, ParseOptions(**options))), facts


def fixture(name: str, **options) -> tuple[list[ParsedRecord], BatchFacts]:
    return read(FIXTURES / name, **options)


def rejection(path: Path) -> ArtifactRejected:
    facts = BatchFacts()
    records = parse(Artifact(path=path, filename=path.name), facts, ParseOptions())
    with pytest.raises(ArtifactRejected) as caught:
        next(records)  # rejected before the first record
    return caught.value


def chat_file(tmp_path: Path, lines: list[str], name: str = "chat.txt", newline="\n") -> Path:
    path = tmp_path / name
    path.write_bytes((newline.join(lines) + newline).encode())
    return path


def zip_file(tmp_path: Path, members: dict[str, bytes], name: str = "export.zip") -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    return path


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


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
    # A media record also says its kind of media ("unknown": Android's one placeholder for all).
    assert all(set(r.payload) == base | ({"media_kind"} if r.payload["kind"] == "media" else set()) for r in records)


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


# --- dates, clocks and zones --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("14/03/2023, 21:40 - Ana: hi", utc(2023, 3, 14, 21, 40)),
        ("3/14/23, 9:40" + NNBSP + "PM - Ana: hi", utc(2023, 3, 14, 21, 40)),
        ("14/3/23, 9:40 p. m. - Ana: hi", utc(2023, 3, 14, 21, 40)),
        ("14/3/2023, 9:40 a.m. - Ana: hi", utc(2023, 3, 14, 9, 40)),
        ("14.03.23, 21.40 - Ana: hi", utc(2023, 3, 14, 21, 40)),
        ("2023-03-14, 21:40 - Ana: hi", utc(2023, 3, 14, 21, 40)),
        ("[2023/03/14, 21:40:05] Ana: hi", utc(2023, 3, 14, 21, 40, 5)),
        ("[14.03.23, 21:40:05] Ana: hi", utc(2023, 3, 14, 21, 40, 5)),
        ("[3/14/23, 12:05:00 am] Ana: hi", utc(2023, 3, 14, 0, 5)),
        ("[3/14/23, 12:05:00 PM] Ana: hi", utc(2023, 3, 14, 12, 5)),
        ("14/06/15 10:59:59: Ana: hi", utc(2015, 6, 14, 10, 59, 59)),  # old iOS
        (LRM + "[3/14/23, 9:40:05" + NNBSP + "PM] Ana: hi", utc(2023, 3, 14, 21, 40, 5)),
        ("\u200f14\u200f/3\u200f/2023\u060c 9:40 \u0645 - Ana: hi", utc(2023, 3, 14, 21, 40)),
    ],
)
def test_date_and_clock_styles_of_different_phones(tmp_path, line, expected):
    (record,), facts = read(chat_file(tmp_path, [line]))

    assert record.event_at == expected
    assert record.payload == {"author": "Ana", "text": "hi", "kind": "text", "media_name": None}
    assert facts.failed == 0


def test_times_are_read_in_the_owner_time_zone():
    berlin = ZoneInfo("Europe/Berlin")
    records, facts = fixture("android_newer.txt", time_zone=berlin)
    utc_records, _ = fixture("android_newer.txt")

    assert facts.time_zone_assumed == "Europe/Berlin"
    # March 2023 before the switch to summer time: Berlin is UTC+1.
    assert records[0].event_at == utc(2023, 3, 12, 8, 15)
    assert utc_records[0].event_at - records[0].event_at == timedelta(hours=1)
    # 2 April 2023 is after it: UTC+2.
    assert records[-1].event_at == utc(2023, 4, 2, 18, 15)
    assert all(r.event_at.tzinfo is UTC for r in records)


def test_times_default_to_utc_and_say_so():
    _, facts = fixture("android_dayfirst_24h.txt")

    assert facts.time_zone_assumed == "UTC"


def test_ambiguous_dates_ask_the_owner_and_yield_nothing():
    records, facts = fixture("ambiguous.txt")

    assert records == []
    assert facts.needs_answer == {
        "question": "date_order",
        "choices": ["dmy", "mdy"],
        "example": "03/04/2023",
    }
    assert facts.failed == 0


@pytest.mark.parametrize(
    ("order", "first_day"), [("dmy", utc(2023, 4, 3, 10)), ("mdy", utc(2023, 3, 4, 10))]
)
def test_answered_date_order_reads_the_ambiguous_file(order, first_day):
    records, facts = fixture("ambiguous.txt", date_order=order)

    assert facts.needs_answer is None
    assert len(records) == 4
    assert records[0].event_at == first_day


def test_the_file_settles_the_order_even_against_an_earlier_answer():
    records, facts = fixture("android_dayfirst_24h.txt", date_order="mdy")

    assert records[-1].event_at == utc(2023, 3, 25, 22, 10)
    assert [w.kind for w in facts.warnings] == ["date_order_from_file"]


def test_impossible_date_counts_as_a_failed_line(tmp_path):
    path = chat_file(
        tmp_path,
        [
            "14/03/2023, 10:00 - Ana: hi",
            "31/02/2023, 10:01 - Ana: this day does not exist",
            "and neither does this continuation",
            "14/03/2023, 25:00 - Ana: nor this hour",
            "15/03/2023, 10:02 - Ana: bye",
        ],
    )
    records, facts = read(path)

    assert [r.payload["text"] for r in records] == ["hi", "bye"]
    assert facts.failed == 2
    assert [w.position for w in facts.warnings] == ["line 2", "line 4"]


# --- damaged lines -------------------------------------------------------------------------------
def test_overlong_line_is_counted_as_failed_with_its_position(tmp_path):
    path = tmp_path / "chat.txt"
    path.write_bytes(
        b"14/03/2023, 10:00 - Ana: before\n"
        + b"x" * (MAX_LINE_CHARS + 1)
        + b"\n14/03/2023, 10:01 - Ana: after\n"
    )
    records, facts = read(path)

    assert [r.payload["text"] for r in records] == ["before", "after"]
    assert facts.failed == 1
    assert facts.warnings[0].position == "line 2"


def test_line_too_long_to_hold_is_skipped_while_streaming(tmp_path):
    path = tmp_path / "chat.txt"
    with open(path, "wb") as fh:
        fh.write(b"14/03/2023, 10:00 - Ana: before\n")
        fh.write(b"y" * (4 * MAX_LINE_CHARS + 1_500_000))
        fh.write(b"\n14/03/2023, 10:01 - Ana: after\n")
    records, facts = read(path)

    assert [r.payload["text"] for r in records] == ["before", "after"]
    assert facts.failed == 1
    assert facts.warnings[0].position == "line 2"


def test_undecodable_line_is_counted_and_the_rest_imported(tmp_path):
    path = tmp_path / "chat.txt"
    path.write_bytes(
        "14/03/2023, 10:00 - Ana: olá\n".encode()
        + b"caf\xe9 \xff\n"
        + "14/03/2023, 10:01 - Ben: ça va\n".encode()
        + b"14/03/2023, 10:02 - Ben: \xff\xfe broken header\n"
        + b"lost continuation\n"
        + b"14/03/2023, 10:03 - Ana: fine\n"
    )
    records, facts = read(path)

    assert [r.payload["text"] for r in records] == ["olá", "ça va", "fine"]
    assert facts.failed == 2
    assert [w.position for w in facts.warnings] == ["line 2", "line 4"]


def test_text_before_the_first_message_is_counted_as_failed(tmp_path):
    path = chat_file(tmp_path, ["Exported by a backup tool", "", "14/03/2023, 10:00 - Ana: hi"])
    records, facts = read(path)

    assert len(records) == 1
    assert facts.failed == 1
    assert facts.warnings[0].position == "line 1"


def test_phone_number_authors_lose_their_direction_marks(tmp_path):
    path = chat_file(tmp_path, ["14/03/2023, 10:00 - \u202a+49 151 2345678\u202c: hallo"])
    (record,), _ = read(path)

    assert record.payload["author"] == "+49 151 2345678"


def test_author_with_an_empty_first_line_keeps_the_lines_below(tmp_path):
    path = chat_file(tmp_path, ["14/03/2023, 10:00 - Ana:", "the text came on the next line"])
    (record,), _ = read(path)

    assert record.payload["author"] == "Ana"
    assert record.payload["text"] == "the text came on the next line"


def test_messages_and_line_numbers_survive_block_boundaries(tmp_path):
    # Far more than one 512 KiB read: a long multi-line message straddles reads, and line
    # numbers of later failures still count every line before them.
    lines = [f"14/03/2023, 10:{i % 60:02d} - Ana: filler message number {i}" for i in range(20_000)]
    long_message = ["15/03/2023, 09:00 - Ben: start"] + [f"line {i}" for i in range(40_000)]
    lines += long_message + ["31/02/2023, 10:00 - Ana: impossible", "15/03/2023, 09:01 - Ana: end"]
    records, facts = read(chat_file(tmp_path, lines))

    assert len(records) == 20_002
    assert records[20_000].payload["text"] == "\n".join(["start"] + long_message[1:])
    assert records[-1].payload["text"] == "end"
    assert [w.position for w in facts.warnings] == [f"line {20_000 + 40_001 + 1}"]


def test_message_longer_than_the_limit_is_skipped(tmp_path):
    many = ["x" * 999] * (MAX_LINE_CHARS // 1000 + 2)
    path = chat_file(
        tmp_path,
        [
            "14/03/2023, 10:00 - Ana: hi",
            "14/03/2023, 10:01 - Ana: long",
            *many,
            "14/03/2023, 10:02 - Ana: bye",
        ],
    )
    records, facts = read(path)

    assert [r.payload["text"] for r in records] == ["hi", "bye"]
    assert facts.failed == 1
    assert facts.warnings[0].position == "line 2"


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe"])
def test_wall_clock_times_convert_like_zoneinfo_across_clock_changes(tmp_path, zone):
    tz = ZoneInfo(zone)
    # Every 7 minutes through the days around both 2023 clock changes of each zone.
    starts = {
        "Europe/Berlin": [datetime(2023, 3, 25), datetime(2023, 10, 28)],
        "America/New_York": [datetime(2023, 3, 11), datetime(2023, 11, 4)],
        "Australia/Lord_Howe": [datetime(2023, 4, 1), datetime(2023, 9, 30)],
    }[zone]
    walls = [start + timedelta(minutes=7 * i) for start in starts for i in range(3 * 24 * 60 // 7)]
    lines = [f"{wall:%d/%m/%Y, %H:%M} - Ana: {i}" for i, wall in enumerate(walls)]
    records, facts = read(chat_file(tmp_path, lines), time_zone=tz)

    assert facts.failed == 0
    assert [r.event_at for r in records] == [w.replace(tzinfo=tz).astimezone(UTC) for w in walls]


def test_dates_beyond_the_calendar_in_a_zone_fail_cleanly(tmp_path):
    path = chat_file(
        tmp_path,
        [
            "13/01/0001, 00:00 - Ana: early",
            "01/01/0001, 00:00 - Ana: too early",
            "31/12/9999, 23:59 - Ana: too late",
        ],
    )
    # Tokyo is ahead of UTC (year 0 in UTC), Adak behind it in 9999 and, on its old local
    # mean time, ahead of it in year 1: zoneinfo cannot convert those either.
    records, facts = read(path, time_zone=ZoneInfo("Asia/Tokyo"))
    assert [r.payload["text"] for r in records] == ["early", "too late"]
    assert facts.failed == 1

    records, facts = read(path, time_zone=ZoneInfo("America/Adak"))
    assert [r.payload["text"] for r in records] == ["early"]
    assert facts.failed == 2


def test_fitted_header_regex_reads_exactly_like_the_general_one(tmp_path, monkeypatch):
    from connections.connectors.whatsapp import scan

    mixed = chat_file(
        tmp_path,
        [
            "14/03/2023, 10:00 - Ana: the first header fixes the fitted regex",
            "14/03/2023, 10:00:05 - Ana: seconds, which it does not expect",
            "2/4/2023, 9:05 - Ben: no leading zeros",
            "[14/03/2023, 10:01:00] Ana: another style",
            "14.03.23, 10:02 - Ana: and dots",
        ]
        * 50,
    )
    paths = [mixed] + [FIXTURES / name for name in ("android_newer.txt", "ios_12h_media.zip")]
    fitted = [read(path) for path in paths]
    monkeypatch.setattr(scan, "_specialize", lambda match: None)
    general = [read(path) for path in paths]

    for (records, facts), (expected, expected_facts) in zip(fitted, general, strict=True):
        assert records == expected
        assert (facts.skipped, facts.failed) == (expected_facts.skipped, expected_facts.failed)
    assert len(fitted[0][0]) == 250


def test_records_are_ordinary_frozen_parsed_records():
    import dataclasses

    from connections.connectors import drafts

    (record, *_), _ = fixture("android_dayfirst_24h.txt")
    rebuilt = ParsedRecord(record.stream, record.key, record.event_at, record.payload, record.media)

    assert drafts.FAST  # the shape the fast record path relies on still holds
    assert type(record) is ParsedRecord
    assert record == rebuilt
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.key = "changed"


# --- rejections ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("empty.txt", "empty"),
        ("invalid_utf8.txt", "malformed"),
        ("truncated.zip", "malformed"),
        ("wrong_source.json", "wrong_source"),
        ("encrypted.zip", "encrypted"),
    ],
)
def test_unusable_files_are_rejected_with_a_reason(name, reason):
    rejected = rejection(FIXTURES / name)

    assert rejected.reason == reason
    assert rejected.detail


def test_xml_file_is_the_wrong_source(tmp_path):
    path = tmp_path / "export.xml"
    path.write_text(
        '<?xml version="1.0"?>\n<HealthData>\n' + "<Record/>\n" * 100 + "</HealthData>\n"
    )

    assert rejection(path).reason == "wrong_source"


def test_blank_text_file_is_empty(tmp_path):
    path = tmp_path / "chat.txt"
    path.write_text("\n\n   \n")

    assert rejection(path).reason == "empty"


def test_zip_without_a_chat_text_is_the_wrong_source(tmp_path):
    path = zip_file(tmp_path, {"IMG-20240102-WA0003.jpg": b"\xff\xd8fake"})

    assert rejection(path).reason == "wrong_source"


def test_zip_whose_text_files_are_not_chats_is_the_wrong_source(tmp_path):
    path = zip_file(tmp_path, {"a.txt": b"hello\n", "b.txt": b"world\n"})

    assert rejection(path).reason == "wrong_source"


def test_manifest_points_at_this_parser():
    assert MANIFEST.path("owner_artifact").parser is parse


# --- fixtures ------------------------------------------------------------------------------------
def test_fixture_generator_is_deterministic(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_fixtures", FIXTURES / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)

    for made in sorted(tmp_path.iterdir()):
        assert made.read_bytes() == (FIXTURES / made.name).read_bytes(), made.name
        assert made.stat().st_size < 50_000


# --- properties ----------------------------------------------------------------------------------
def _consume(path: Path) -> None:
    facts = BatchFacts()
    try:
        for record in parse(Artifact(path=path, filename=path.name), facts, ParseOptions()):
            assert record.event_at.tzinfo is UTC
    except ArtifactRejected:
        pass


PROPERTY = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# Bytes biased towards things that look like chat lines, plus pure noise.
chat_like = st.lists(
    st.one_of(
        st.sampled_from(
            [
                b"14/03/2023, 10:00 - Ana: hi\n",
                b"[3/14/23, 9:40:05\xe2\x80\xafPM] Ana: \xe2\x80\x8eimage omitted\r\n",
                b"31/02/2023, 10:00 - ",
                b"0/0/0000, 99:99 - a: b\n",
                b"1/1/1, 0:00 - :\n",
                b"\xff\xfe",
                b"\n",
                b": ",
            ]
        ),
        st.binary(max_size=64),
    ),
    max_size=30,
).map(b"".join)


@PROPERTY
@given(data=st.one_of(st.binary(max_size=2048), chat_like))
def test_arbitrary_bytes_as_a_text_file_only_ever_reject(tmp_path, data):
    path = tmp_path / "chat.txt"
    path.write_bytes(data)
    _consume(path)


@PROPERTY
@given(
    data=st.one_of(st.binary(max_size=2048), chat_like),
    name=st.sampled_from(["_chat.txt", "x.txt", "a/_chat.txt"]),
)
def test_arbitrary_bytes_inside_a_zip_only_ever_reject(tmp_path, data, name):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(name, data)
        zf.writestr("IMG-1.jpg", b"x")
    path = tmp_path / "export.zip"
    path.write_bytes(buf.getvalue())
    _consume(path)


@PROPERTY
@given(data=st.binary(max_size=2048), cut=st.integers(min_value=0, max_value=4096))
def test_damaged_zip_bytes_only_ever_reject(tmp_path, data, cut):
    # A real zip, then cut and overwritten at an arbitrary point.
    raw = (FIXTURES / "ios_12h_media.zip").read_bytes()
    cut %= len(raw)
    path = tmp_path / "export.zip"
    path.write_bytes(raw[:cut] + data + raw[cut + len(data) :])
    _consume(path)


words = (
    st.text(alphabet="abcdefghij klmnop?!é👍", min_size=1, max_size=20).map(str.strip).filter(bool)
)


@PROPERTY
@given(
    messages=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=60 * 24 * 30),
            st.sampled_from(["Ana Souza", "Ben", "~ Cara"]),
            st.lists(words, min_size=1, max_size=3),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_any_well_formed_android_chat_reads_back_message_for_message(tmp_path, messages):
    start = datetime(2023, 3, 13)
    messages = [(0, "Ana Souza", ["13 March settles the day/month order"]), *messages]
    lines = []
    for minutes, author, text_lines in sorted(messages, key=lambda m: m[0]):
        at = start + timedelta(minutes=minutes)
        lines.append(f"{at:%d/%m/%Y, %H:%M} - {author}: " + "\n".join(text_lines))
    path = tmp_path / "chat.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    records, facts = read(path)

    expected = sorted(messages, key=lambda m: m[0])
    assert facts.failed == 0
    assert len(records) == len(expected)
    for record, (minutes, author, text_lines) in zip(records, expected, strict=True):
        assert record.event_at == (start + timedelta(minutes=minutes)).replace(tzinfo=UTC)
        assert record.payload["author"] == author
        assert record.payload["text"] == "\n".join(text_lines)
    assert len({r.key for r in records}) == len(records)
