"""A message line that looks like a header but whose time carries ordinary words stays text.

The header grammar takes any words around a time, so that every language's clock words are
read; a line is a header only when those words are clock words. An announcement pasted into a
chat ("12/03/2024, from 10:00 - 14:00 at the hall") stays part of its message, and its date
is no evidence of the chat's day/month order.
"""

from __future__ import annotations

import pytest

from tests.connectors.whatsapp.helpers import chat_file, read, utc

ANNOUNCEMENT = ["Flea market!", "13/03/2024, from 10:00 - 14:00 at the hall", "Sunday, 10:00 sharp - bring cash"]


@pytest.mark.parametrize(
    ("header", "at"),
    [
        ("02/03/2024, 09:15 - ", utc(2024, 3, 2, 9, 15)),  # 24-hour: the fitted fast split
        ("02/03/2024, 9:15\u202fam - ", utc(2024, 3, 2, 9, 15)),  # 12-hour
        ("2024/03/02 上午9:15 - ", utc(2024, 3, 2, 9, 15)),  # words before the time: the general split
    ],
    ids=["24h", "12h", "chinese"],
)
def test_an_announcement_pasted_into_a_chat_stays_in_its_message(tmp_path, header, at):
    lines = [f"{header}Ana: {ANNOUNCEMENT[0]}", *ANNOUNCEMENT[1:], f"{header}Ben: see you there"]

    records, facts = read(chat_file(tmp_path, lines), date_order="dmy")

    assert [r.payload["text"] for r in records] == ["\n".join(ANNOUNCEMENT), "see you there"]
    assert [r.event_at for r in records] == [at, at]
    assert facts.failed == 0 and facts.skipped == 0


def test_such_a_line_is_no_evidence_of_the_day_month_order(tmp_path):
    # 02/03 reads either way; the pasted 13/03 would prove day first if it counted.
    lines = ["02/03/2024, 09:15 - Ana: Flea market!", "13/03/2024, from 10:00 - 14:00 at the hall"]

    _records, facts = read(chat_file(tmp_path, lines))

    assert facts.needs_answer is not None and facts.date_order_seen is None
