"""A line in the other platform's layout, inside a message, stays text of that message.

Someone on Android pastes a line copied from an iPhone chat (or the other way round) on a line
of its own: once the file's first header has shown its layout, that line is not a new message.
"""

from __future__ import annotations

import pytest

from .helpers import LRM, chat_file, read

ANDROID = [
    "13/03/2024, 09:59 - Ana: Ali wrote this in the other group:",
    "[12.03.24, 10:00:00] Ali: the train leaves at 11",
    "13/03/2024, 10:01 - Ben: thanks",
]
IPHONE = [
    "[13/03/2024, 09:59:10] Ana: Ali wrote this in the other group:",
    "12/03/2024, 10:00 - Ali: the train leaves at 11",
    f"{LRM}[13/03/2024, 10:01:30] Ben: thanks",
]


@pytest.mark.parametrize(
    ("chat", "quoted"),
    [
        (ANDROID, "[12.03.24, 10:00:00] Ali: the train leaves at 11"),
        (IPHONE, "12/03/2024, 10:00 - Ali: the train leaves at 11"),
    ],
    ids=["iphone-line-in-android-chat", "android-line-in-iphone-chat"],
)
def test_a_line_in_the_other_layout_stays_in_the_message_that_quotes_it(tmp_path, chat, quoted):
    records, facts = read(chat_file(tmp_path, chat))

    assert [(r.payload["author"], r.payload["text"]) for r in records] == [
        ("Ana", f"Ali wrote this in the other group:\n{quoted}"),
        ("Ben", "thanks"),
    ]
    assert facts.failed == 0


def test_a_quoted_line_in_the_other_layout_is_no_evidence_of_the_date_order(tmp_path):
    # The chat's own dates (3/4, 5/6) could be day or month first; only the quoted iPhone line
    # (13.03.24) shows a day over 12. Its order is not the chat's: the owner is asked.
    chat = [
        "3/4/24, 09:59 - Ana: Ali wrote:",
        "[13.03.24, 10:00:00] Ali: the train leaves at 11",
        "5/6/24, 10:01 - Ben: thanks",
    ]
    records, facts = read(chat_file(tmp_path, chat))

    assert records == []
    assert facts.needs_answer is not None and facts.needs_answer["question"] == "date_order"
