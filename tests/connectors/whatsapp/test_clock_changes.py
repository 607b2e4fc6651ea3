"""On the nights the clocks change, a chat's times come twice or never; the import says so.

A chat writes wall-clock times without a zone. Read in the owner's zone, a time in the hour the
clocks went back over is placed in that hour's first pass, until the chat's times go back within
that hour (02:50, then 02:10): from there on, in its second pass. A time in the hour they went
forward over is read an hour on. One note per import says how many messages, the first, and what
Ownerhub did. The keys do not change (no zone in them).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from .helpers import LRM, NNBSP, chat_file, read

BERLIN_AUTUMN = [  # clocks went back at 03:00 to 02:00 on 27 Oct 2024
    "27/10/2024, 01:59 - Ana: before the change",
    "27/10/2024, 02:15 - Ana: first pass",
    "27/10/2024, 02:30 - Ben: first pass too",
    "27/10/2024, 02:05 - Ana: after the clocks went back",
    "27/10/2024, 02:30 - Ben: the same minute, an hour later",
    "27/10/2024, 03:10 - Ana: after",
]
NEW_YORK_AUTUMN = [  # iPhone, 12-hour clock: clocks went back at 02:00 to 01:00 on 3 Nov 2024
    f"[11/3/24, 12:55:00{NNBSP}AM] Ana: before",
    f"[11/3/24, 1:20:10{NNBSP}AM] Ana: in the hour that came twice",
    f"{LRM}[11/3/24, 2:05:00{NNBSP}AM] Ana: after",
    "[11/20/24, 9:00:00 AM] Ana: a later day",
]
BERLIN_SPRING = [  # clocks went forward at 02:00 to 03:00 on 31 Mar 2024
    "31/03/2024, 01:50 - Ana: before",
    "31/03/2024, 02:30 - Ana: a time that never came",
    "31/03/2024, 02:45 - Ana: another",
    "31/03/2024, 03:30 - Ana: after",
]
WARSAW_SPRING = [  # a Polish Android phone; clocks went forward at 02:00 to 03:00 on 29 Mar 2026
    "28.03.2026, 23:51 - Kasia: Kto ma dyżur w nocy?",
    "29.03.2026, 02:30 - Tomek: U mnie w Londynie jest 2:30",
    "29.03.2026, 03:01 - Tomek: Zegar przeskoczył",
]
WARSAW_AUTUMN = [  # clocks went back at 03:00 to 02:00 on 25 Oct 2026
    "24.10.2026, 23:00 - Kasia: Dziś zegary cofamy",
    "25.10.2026, 02:10 - Tomek: Pierwsza 2:10",
    "25.10.2026, 03:15 - Tomek: Koniec dyżuru",
]

ROWS = [
    # chat, zone, note kind, sentence the note holds
    (BERLIN_AUTUMN, "Europe/Berlin", "repeated_hour",
     "4 messages were written in an hour that came twice when the clocks went back in "
     "Europe/Berlin (02:00–03:00 on 27 Oct 2024). The chat's times go back within that hour (to "
     "02:05 CET), so Ownerhub placed the 2 from there on in the second 02:00–03:00 and the other 2 "
     "in the first. The first: 27 Oct 2024 at 02:15 CEST."),
    (NEW_YORK_AUTUMN, "America/New_York", "repeated_hour",
     "1 message was written in an hour that came twice when the clocks went back in "
     "America/New_York (01:00–02:00 on 3 Nov 2024). The chat does not say which time, so Ownerhub "
     "placed it in the first 01:00–02:00. The first: 3 Nov 2024 at 01:20 EDT."),
    (BERLIN_SPRING, "Europe/Berlin", "skipped_hour",
     "2 messages were written at a time that never came in Europe/Berlin: the clocks went forward "
     "from 02:00 to 03:00 on 31 Mar 2024, so Ownerhub placed them at 03:00 CEST, the moment they "
     "went forward, keeping the chat's order. The first: 31 Mar 2024 at 02:30, as the chat writes "
     "it."),
    (WARSAW_SPRING, "Europe/Warsaw", "skipped_hour",
     "1 message was written at a time that never came in Europe/Warsaw: the clocks went forward "
     "from 02:00 to 03:00 on 29 Mar 2026, so Ownerhub placed it at 03:00 CEST, the moment they "
     "went forward, keeping the chat's order. The first: 29 Mar 2026 at 02:30, as the chat writes "
     "it."),
    (WARSAW_AUTUMN, "Europe/Warsaw", "repeated_hour",
     "1 message was written in an hour that came twice when the clocks went back in Europe/Warsaw "
     "(02:00–03:00 on 25 Oct 2026). The chat does not say which time, so Ownerhub placed it in the "
     "first 02:00–03:00. The first: 25 Oct 2026 at 02:10 CEST."),
]  # fmt: skip


ANSWERED = "date_order_answered"  # "Dates like 7/4/24 were read day first (7 Apr 2024), as you said."


@pytest.mark.parametrize(
    ("chat", "zone", "kind", "sentence"),
    ROWS,
    ids=["berlin-autumn", "new-york-autumn", "berlin-spring", "warsaw-spring", "warsaw-autumn"],
)
def test_a_night_the_clocks_changed_is_said_once_and_keys_as_in_any_zone(
    tmp_path, chat, zone, kind, sentence
):
    records, facts = read(chat_file(tmp_path, chat), time_zone=ZoneInfo(zone))
    in_utc, _ = read(chat_file(tmp_path, chat), time_zone=ZoneInfo("UTC"))

    notes = [(w.kind, w.detail) for w in facts.warnings]
    assert notes == [(kind, sentence)]
    assert facts.failed == 0
    assert [r.key for r in records] == [r.key for r in in_utc]


def test_a_minute_written_in_both_passes_keeps_the_chats_order_and_is_said(tmp_path):
    records, facts = read(chat_file(tmp_path, BERLIN_AUTUMN), time_zone=ZoneInfo("Europe/Berlin"))
    by_text = {r.payload["text"]: r for r in records}

    first, later = by_text["first pass too"], by_text["the same minute, an hour later"]
    assert later.event_at - first.event_at == timedelta(hours=1)  # the second pass
    assert (first.payload.get("seq", 0), later.payload["seq"]) == (0, 1)  # in the file's order
    assert first.key != later.key
    assert [w.kind for w in facts.warnings if w.kind != ANSWERED] == ["repeated_hour"]  # beside the order the test gave


def utc(hour: int, minute: int, day: int = 27, month: int = 10) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=UTC)


# The night as it happened, in UTC: each chat's messages in the order written.
NIGHTS = [
    (  # Berlin: back at 03:00 CEST (01:00 UTC) to 02:00 CET
        "Europe/Berlin", "dmy",
        ["27/10/2024, 02:30 - Ana: still up",
         "27/10/2024, 02:50 - Ben: nearly three",
         "27/10/2024, 02:10 - Ana: the clocks just went back",
         "27/10/2024, 02:40 - Ben: an hour for free",
         "27/10/2024, 03:05 - Ana: night"],
        [utc(0, 30), utc(0, 50), utc(1, 10), utc(1, 40), utc(2, 5)],
    ),
    (  # an iPhone in New York, 12-hour clock: back at 02:00 EDT (06:00 UTC) to 01:00 EST
        "America/New_York", "mdy",
        [f"[11/3/24, 1:45:00{NNBSP}AM] Ana: still up",
         f"[11/3/24, 1:05:00{NNBSP}AM] Ben: the clocks just went back",
         f"[11/3/24, 1:20:00{NNBSP}AM] Ana: so it is early again",
         f"[11/3/24, 2:10:00{NNBSP}AM] Ana: later"],
        [utc(5, 45, 3, 11), utc(6, 5, 3, 11), utc(6, 20, 3, 11), utc(7, 10, 3, 11)],
    ),
    (  # Sydney, autumn in April: back at 03:00 AEDT (16:00 UTC the day before) to 02:00 AEST
        "Australia/Sydney", "dmy",
        ["7/4/24, 02:55 - Ana: almost three",
         "7/4/24, 02:00 - Ben: two again",
         "7/4/24, 02:59 - Ana: and now?"],
        [utc(15, 55, 6, 4), utc(16, 0, 6, 4), utc(16, 59, 6, 4)],
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("zone", "order", "chat", "instants"), NIGHTS, ids=["berlin", "new-york", "sydney"]
)
def test_messages_after_the_clocks_went_back_are_placed_in_the_hours_second_pass(
    tmp_path, zone, order, chat, instants
):
    records, facts = read(chat_file(tmp_path, chat), time_zone=ZoneInfo(zone), date_order=order)
    in_utc, _ = read(chat_file(tmp_path, chat), time_zone=ZoneInfo("UTC"), date_order=order)

    assert [r.event_at for r in records] == instants  # the day orders the night as it happened
    assert [r.key for r in records] == [r.key for r in in_utc]
    assert [w.kind for w in facts.warnings if w.kind != ANSWERED] == ["repeated_hour"]  # beside the order the test gave


# The nights the clocks went forward, each chat's messages in the order written, and where each
# lands in UTC: a time that never came at the moment the clocks went forward, between its neighbours.
SPRINGS = [
    (  # Warsaw: forward at 02:00 CET (01:00 UTC) to 03:00 CEST; a Polish phone's dotted dates
        "Europe/Warsaw", None, WARSAW_SPRING,
        [datetime(2026, 3, 28, 22, 51, tzinfo=UTC), datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
         datetime(2026, 3, 29, 1, 1, tzinfo=UTC)],
    ),
    (  # Berlin: two messages in the hour that never came, then 03:30
        "Europe/Berlin", "dmy", BERLIN_SPRING,
        [utc(0, 50, 31, 3), utc(1, 0, 31, 3), utc(1, 0, 31, 3), utc(1, 30, 31, 3)],
    ),
    (  # Lord Howe Island: forward half an hour at 02:00 (15:30 UTC the day before) to 02:30
        "Australia/Lord_Howe", "dmy",
        ["6/10/24, 01:59 - Ana: before", "6/10/24, 02:20 - Ana: never came",
         "6/10/24, 02:31 - Ana: after"],
        [datetime(2024, 10, 5, 15, 29, tzinfo=UTC), datetime(2024, 10, 5, 15, 30, tzinfo=UTC),
         datetime(2024, 10, 5, 15, 31, tzinfo=UTC)],
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("zone", "order", "chat", "instants"), SPRINGS, ids=["warsaw", "berlin", "lord-howe"]
)
def test_a_time_that_never_came_is_placed_when_the_clocks_went_forward_in_the_chats_order(
    tmp_path, zone, order, chat, instants
):
    records, facts = read(chat_file(tmp_path, chat), time_zone=ZoneInfo(zone), date_order=order)
    in_utc, _ = read(chat_file(tmp_path, chat), time_zone=ZoneInfo("UTC"), date_order=order)

    assert [r.event_at for r in records] == instants
    assert [r.key for r in records] == [r.key for r in in_utc]
    assert [w.kind for w in facts.warnings if w.kind != ANSWERED] == ["skipped_hour"]  # beside the order the test gave
