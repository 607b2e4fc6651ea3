"""The coverage timeline's layout: one strip per lane, days bucketed so the SVG stays small."""

from __future__ import annotations

from datetime import date, timedelta

from coverage.models import LaneSummary
from coverage.templatetags.coverage_timeline import MAX_DAY_CELLS, build

NOUN = ("message", "messages")


def _lane(method: str, days: dict[str, int], media: list[str] | None = None) -> LaneSummary:
    return LaneSummary(method=method, day_counts=days, media_days=media or [])


def _days(start: date, n: int, count: int = 3) -> dict[str, int]:
    return {(start + timedelta(i)).isoformat(): count for i in range(n)}


def test_no_data_draws_no_timeline():
    assert build([_lane("owner_artifact", {})], [], NOUN) is None


def test_short_range_is_one_cell_per_day_per_lane():
    timeline = build(
        [_lane("device_sync", {"2024-05-02": 1}), _lane("owner_artifact", {"2024-05-01": 4, "2024-05-03": 2})],
        [],
        NOUN,
    )
    assert timeline.unit == "day"
    assert [s.label for s in timeline.strips] == ["Export", "Phone"]  # lanes in method order
    assert [len(s.cells) for s in timeline.strips] == [3, 3]
    export = timeline.strips[0]
    assert [c.count for c in export.cells] == [4, 0, 2]
    assert export.cells[0].level == 4 and export.cells[1].level == 0
    assert export.cells[0].title == "1 May 2024: 4 messages"


def test_holes_are_hatched_and_media_days_marked():
    lane = _lane("owner_artifact", {"2024-05-01": 2, "2024-05-06": 2}, media=["2024-05-06"])
    timeline = build([lane], [{"start": "2024-05-02", "end": "2024-05-05", "days": 4}], NOUN)
    cells = timeline.strips[0].cells
    assert [c.hole for c in cells] == [False, True, True, True, True, False]
    assert cells[5].media_missing and "(media missing)" in cells[5].title
    assert [r.note for r in timeline.rows] == ["", "gap", "gap", "gap", "gap", "media missing"]


def test_a_long_range_is_bucketed_into_weeks_then_months():
    weeks = build([_lane("owner_artifact", _days(date(2023, 1, 1), 400))], [], NOUN)
    assert weeks.unit == "week"
    assert len(weeks.strips[0].cells) <= 60
    assert sum(c.count for c in weeks.strips[0].cells) == 1200
    assert weeks.strips[0].cells[0].title.startswith("Week of 26 Dec 2022: ")

    months = build([_lane("owner_artifact", _days(date(2015, 3, 10), 9 * 365))], [], NOUN)
    assert months.unit == "month"
    assert len(months.strips[0].cells) == 109  # March 2015 to March 2024
    assert months.strips[0].cells[0].title.startswith("March 2015: ")
    assert months.width < 2000


def test_the_day_limit_is_where_weeks_begin():
    at_limit = build([_lane("owner_artifact", _days(date(2024, 1, 1), MAX_DAY_CELLS))], [], NOUN)
    past = build([_lane("owner_artifact", _days(date(2024, 1, 1), MAX_DAY_CELLS + 1))], [], NOUN)
    assert (at_limit.unit, past.unit) == ("day", "week")
