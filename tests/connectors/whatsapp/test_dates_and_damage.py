"""WhatsApp chat exports, the parser alone (no database): dates, clocks and zones, and damaged lines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from connections.connectors.base import (
    MAX_LINE_CHARS,
    ParsedRecord,
)
from tests.connectors.whatsapp.helpers import (
    FIXTURES,
    LRM,
    NNBSP,
    chat_file,
    fixture,
    read,
    utc,
)


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
def test_wall_clock_times_convert_like_zoneinfo_across_clock_changes_but_a_skipped_time_keeps_its_place(tmp_path, zone):
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
    assert [r.event_at for r in records] == [_placed(w, tz) for w in walls]


def _placed(wall: datetime, tz: ZoneInfo) -> datetime:
    """A wall-clock time as zoneinfo reads it, except one the clocks went forward over (it never
    came): that one is placed at the moment they went forward, keeping its place in the chat."""

    def never_came(w: datetime) -> bool:
        return w.replace(tzinfo=tz).utcoffset() < w.replace(tzinfo=tz, fold=1).utcoffset()

    while never_came(wall):
        wall += timedelta(minutes=1)
    return wall.replace(tzinfo=tz).astimezone(UTC)


def test_a_date_with_a_year_at_both_ends_is_a_failed_line_not_a_crash(tmp_path):
    # Found by the arbitrary-bytes property test: a Japanese era year first and another year last.
    path = chat_file(
        tmp_path,
        [
            "14/03/2023, 10:00 - Ana: hi",
            "R5/03/2023, 10:01 - Ana: an era and a year",
            "R0/1/R5, 10:02 - Ana: two eras",
            "R5/3/18, 10:03 - Ana: an era date as phones write it",
        ],
    )
    records, facts = read(path)

    assert [r.payload["text"] for r in records] == ["hi", "an era date as phones write it"]
    assert records[1].event_at.date().isoformat() == "2023-03-18"
    assert facts.failed == 2


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
    # The iPhone-layout line is text of the message before it in this Android chat (both ways).
    assert len(fitted[0][0]) == 200


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
