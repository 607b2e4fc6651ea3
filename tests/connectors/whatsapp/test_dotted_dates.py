"""A chat whose dates are written with dots is read day first without asking, whatever its language.

No phone writes a date with dots month first: of CLDR's locales whose short date has dots, every
one writes it day first, or year first with a four-digit year or spaces. Before, a chat of a few
messages in June (01.06.24 to 06.06.24) asked whether 01.06.24 was the 1st of June or the 6th of
January when none of WhatsApp's own words in it told its language. Dates with slashes still ask.
"""

from __future__ import annotations

import pytest

from .helpers import LRM, chat_file, read, zip_file

ROWS = [
    # (layout, name, lines, the day its first message is on and how the note says it, or None: the owner is asked)
    ("android_two_digit_year", "WhatsApp Chat with Mika.txt",
     ["01.06.24, 20:37 - Mika: Moi!", "02.06.24, 09:15 - Sam: Hi", "06.06.24, 21:54 - Mika: ok"],
     ("20240601", "01.06.24 were read day first (1 Jun 2024)")),
    ("android_four_digit_year_no_comma", "WhatsApp Chat with Mika.txt",
     ["3.5.2024 18.00 - Mika: Moi", "4.5.2024 9.00 - Sam: Hei"],
     ("20240503", "3.5.2024 were read day first (3 May 2024)")),
    ("iphone", "_chat.txt",
     [f"{LRM}[01.06.24, 20:37:00] Mika: Moi!", "[02.06.24, 09:15:00] Sam: Hi"],
     ("20240601", "01.06.24 were read day first (1 Jun 2024)")),
    ("slashes_still_ask", "WhatsApp Chat with Mika.txt",
     ["01/06/24, 20:37 - Mika: Moi!", "02/06/24, 09:15 - Sam: Hi"], None),
]  # fmt: skip


@pytest.mark.parametrize(("layout", "name", "lines", "day"), ROWS, ids=[r[0] for r in ROWS])
def test_dates_with_dots_are_read_day_first_and_the_receipt_says_why(tmp_path, layout, name, lines, day):
    if name == "_chat.txt":
        path = zip_file(tmp_path, {"_chat.txt": ("\r\n".join(lines) + "\r\n").encode()}, "WhatsApp Chat - Mika.zip")
    else:
        path = chat_file(tmp_path, lines, name)
    records, facts = read(path)

    if day is None:
        assert records == [] and facts.needs_answer["question"] == "date_order"
        return
    first, said = day
    assert facts.needs_answer is None and records[0].key[:8] == first
    assert [(w.kind, w.detail) for w in facts.warnings if w.kind.startswith("date_order")] == [
        ("date_order_from_dots", f"Dates like {said}: no phone writes a date with dots month first.")]
    answered, _ = read(path, date_order="dmy")
    assert [r.key for r in records] == [r.key for r in answered]
