"""Dates of three short fields (23/12/31): which end holds the year.

Korean, Basque and Nepali phones write short dates year first (yy/M/d); most others write the
year last. The chat's own dates tell: the day takes many values and the year few, and read
the wrong way round, a chat's dates leave time order. Korean clock words tell a short chat.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.connectors.whatsapp.helpers import chat_file, read, utc


def _days(first: date, count: int, step: int) -> list[date]:
    return [first + timedelta(days=i * step) for i in range(count)]


def _year_first(d: date) -> str:
    return f"{d.year % 100}/{d.month}/{d.day}"


def _day_first(d: date) -> str:
    return f"{d.day}/{d.month}/{d.year % 100:02d}"


@pytest.mark.parametrize(
    ("case", "days", "write", "clock", "expected_first"),
    [
        # A Basque chat over two months: many days, one year.
        ("basque, 40 days", _days(date(2024, 2, 3), 40, 1), _year_first, "21:40", date(2024, 2, 3)),
        # Five messages over two month ends: only year first keeps them in order.
        ("year first, 5 days", [date(2024, 1, 30), date(2024, 1, 31), date(2024, 2, 1),
                                date(2024, 2, 28), date(2024, 3, 2)], _year_first, "9:05", date(2024, 1, 30)),
        # A Korean chat of two messages on one day: its clock words tell.
        ("korean, one day", [date(2024, 3, 18)] * 2, _year_first, "오후 1:07", date(2024, 3, 18)),
        # Day first over a month's end.
        ("day first, 5 days", [date(2024, 1, 30), date(2024, 1, 31), date(2024, 2, 1),
                               date(2024, 2, 3), date(2024, 2, 5)], _day_first, "21:40", date(2024, 1, 30)),
        # Day first, one message a year on the same day (24/3/18, 24/3/19, ...): both readings keep
        # time order and neither end varies more, so the usual year last stands.
        ("birthdays", [date(2018, 3, 24), date(2019, 3, 24), date(2020, 3, 24)], _day_first, "9:00",
         date(2018, 3, 24)),
        # Day first over a year: many days, two years.
        ("day first, a year", _days(date(2023, 12, 20), 60, 6), _day_first, "21:40", date(2023, 12, 20)),
    ],
)
def test_the_year_is_found_at_the_end_that_holds_it(tmp_path, case, days, write, clock, expected_first):
    lines = [f"{write(d)}, {clock} - Ana: day {i}" for i, d in enumerate(days)]

    records, facts = read(chat_file(tmp_path, lines))

    assert [r.event_at.date() for r in records] == days, case
    assert records[0].event_at.date() == expected_first
    assert facts.needs_answer is None and facts.failed == 0


def test_a_file_that_proves_the_year_first_overrides_an_answer_and_says_so(tmp_path):
    days = _days(date(2024, 2, 3), 40, 1)
    lines = [f"{_year_first(d)}, 21:40 - Ana: day {i}" for i, d in enumerate(days)]

    records, facts = read(chat_file(tmp_path, lines), date_order="dmy")

    assert records[0].event_at == utc(2024, 2, 3, 21, 40)
    assert facts.date_order_seen == "ymd"
    assert [w.kind for w in facts.warnings] == ["date_order_from_file"]
    assert "year first" in facts.warnings[0].detail
