"""On the nights the clocks change, a chat's times come twice or never; the import says so.

A chat writes wall-clock times without a zone. Read in the owner's zone, a time in the hour the
clocks went back over is placed in that hour's first pass, and a time in the hour they went
forward over is read an hour on. Both used to happen silently; now one note per import says how
many messages, the first, and what Ownerhub did. The keys do not change (no zone in them).
"""

from __future__ import annotations

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

ROWS = [
    # chat, zone, note kind, sentence the note holds
    (BERLIN_AUTUMN, "Europe/Berlin", "repeated_hour",
     "4 messages were written in an hour that came twice when the clocks went back in "
     "Europe/Berlin (02:00–03:00 on 27 Oct 2024). The chat does not say which time, so Ownerhub "
     "placed them in the first 02:00–03:00. The first: 27 Oct 2024 at 02:15."),
    (NEW_YORK_AUTUMN, "America/New_York", "repeated_hour",
     "1 message was written in an hour that came twice when the clocks went back in "
     "America/New_York (01:00–02:00 on 3 Nov 2024). The chat does not say which time, so Ownerhub "
     "placed it in the first 01:00–02:00. The first: 3 Nov 2024 at 01:20."),
    (BERLIN_SPRING, "Europe/Berlin", "skipped_hour",
     "2 messages were written at a time that never came in Europe/Berlin: the clocks went forward "
     "from 02:00 to 03:00 on 31 Mar 2024, so Ownerhub moved them forward an hour (02:30 reads as "
     "03:30). The first: 31 Mar 2024 at 02:30."),
]  # fmt: skip


@pytest.mark.parametrize(
    ("chat", "zone", "kind", "sentence"),
    ROWS,
    ids=["berlin-autumn", "new-york-autumn", "berlin-spring"],
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
    assert first.event_at == later.event_at  # both read in the first pass
    assert (first.payload.get("seq", 0), later.payload["seq"]) == (0, 1)  # in the file's order
    assert first.key != later.key
    assert [w.kind for w in facts.warnings] == ["repeated_hour"]
