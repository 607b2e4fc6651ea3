"""Google location history parser: Takeout zips, their years and their Semantic months.

Pure tests (no database). Fixture counts are explained in
tests/fixtures/google_timeline/make_fixtures.py.
"""

from __future__ import annotations

import zipfile

import pytest

from tests.connectors.google_timeline.helpers import (
    FIXTURES,
    assert_keys_are_location_keys,
    fixture,
    run,
    utc,
)

# ------------------------------------------------------------------- Takeout zips


def test_takeout_zip_with_records_keeps_a_semantic_month_records_does_not_cover():
    # Records.json covers 8 to 10 May 2023; the Semantic month is August 2023: nothing overlaps.
    records, facts = fixture("takeout.zip")

    assert facts.source_format == "takeout_records_zip"
    assert len(records) == 30 + 15
    assert {r.payload["kind"] for r in records[:30]} == {"raw"}
    assert max(r.event_at for r in records) == utc(2023, 8, 1, 23)
    assert not any(w.kind == "semantic_skipped" for w in facts.warnings)
    assert facts.failed == 1 + 1
    assert facts.warnings[0].position == (
        "entry Takeout/Location History (Timeline)/Records.json, element 31"
    )


# Takeout of 2015 Records next to 2015 and 2021 Semantic months (make_takeout_years.py).
TAKEOUT_YEARS = [
    # (scenario, check)
    ("records_from_2015_are_all_read", lambda rs, f: sum(r.payload["kind"] == "raw" for r in rs) == 10),
    ("a_2021_month_next_to_2015_records_is_kept",
     lambda rs, f: sum(r.event_at.year == 2021 for r in rs) == 7),
    ("a_2015_visit_on_a_day_records_covers_is_left_out",
     lambda rs, f: not any(r.event_at == utc(2015, 3, 2, 9) for r in rs)),
    ("a_2015_visit_on_a_day_records_does_not_cover_is_kept",
     lambda rs, f: any(r.event_at == utc(2015, 3, 20, 9) for r in rs)),
    ("the_left_out_visit_is_counted_and_explained",
     lambda rs, f: [w.detail for w in f.warnings if w.kind == "semantic_overlap"] == [
         "1 place from Semantic Location History was left out: Records.json already has points "
         "on the same days, and importing both would count those days twice."]),
    ("the_untimed_waypoint_is_skipped_and_the_overlap_too", lambda rs, f: f.skipped == 1 + 1),
    ("nothing_failed", lambda rs, f: f.failed == 0),
    ("every_kept_record", lambda rs, f: len(rs) == 10 + 1 + 7),
]


@pytest.mark.parametrize(("scenario", "check"), TAKEOUT_YEARS, ids=[row[0] for row in TAKEOUT_YEARS])
def test_takeout_overlap_is_measured_by_days_never_assumed(scenario, check):
    records, facts = fixture("takeout_years.zip")

    assert check(records, facts), scenario
    assert_keys_are_location_keys(records)


# Semantic month with epoch-millisecond strings and raw paths inside visits.
SEMANTIC_EPOCH = [
    ("visit", utc(2021, 8, 1, 18), "visit"),
    ("visit_raw_path_point_in_timestampMs", utc(2021, 8, 1, 19), "path"),
    ("visit_raw_path_point_in_timestamp", utc(2021, 8, 1, 20), "path"),
    ("trip_start_from_an_epoch_string_startTimestamp", utc(2021, 8, 2, 8), "activity_start"),
    ("trip_raw_path_point_with_an_epoch_string_timestamp", utc(2021, 8, 2, 9), "path"),
    ("timestamped_waypoint", utc(2021, 8, 2, 10), "path"),
    ("trip_end_from_an_epoch_string_endTimestamp", utc(2021, 8, 2, 11), "activity_end"),
]


@pytest.mark.parametrize(("scenario", "at", "kind"), SEMANTIC_EPOCH, ids=[row[0] for row in SEMANTIC_EPOCH])
def test_semantic_epoch_strings_and_visit_raw_paths_are_records(scenario, at, kind):
    records, facts = fixture("semantic_2021_AUGUST_epoch.json")

    assert [r.payload["kind"] for r in records if r.event_at == at] == [kind]
    assert len(records) == 7 and facts.failed == 0
    assert facts.skipped == 1  # the waypoint without a time
    assert [w.kind for w in facts.warnings] == ["untimed_waypoints"]


def test_semantic_month_where_nothing_can_be_read_counts_every_failure():
    records, facts = fixture("semantic_unreadable.json")

    assert records == [] and facts.failed == 3


def test_takeout_zip_without_records_imports_every_semantic_month():
    records, facts = fixture("takeout_semantic_only.zip")

    assert facts.source_format == "takeout_semantic_zip"
    assert len(records) == 4 + 15  # July + August
    assert min(r.event_at for r in records) == utc(2023, 7, 14, 9)
    assert max(r.event_at for r in records) == utc(2023, 8, 1, 23)
    assert not any(w.kind == "semantic_skipped" for w in facts.warnings)


def test_zip_holding_a_phone_timeline_is_accepted(tmp_path):
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.write(FIXTURES / "Zeitachse.json", "Zeitachse.json")
        zf.writestr("__MACOSX/._Zeitachse.json", b"\x00\x05\x16\x07")

    records, facts = run(path)

    assert facts.source_format == "ondevice_android_zip"
    assert len(records) == 63


def test_zip_with_truncated_records_is_partial(tmp_path):
    path = tmp_path / "takeout.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.write(FIXTURES / "truncated.json", "Takeout/Location History/Records.json")

    records, facts = run(path)

    assert len(records) == 5
    assert facts.partial
    assert facts.warnings[-1].kind == "truncated"
