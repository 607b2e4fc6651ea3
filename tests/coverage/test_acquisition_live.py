"""Live sources through ``acquire_records``: pushes and pulls land like imports, without a preview."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connections.connectors.base import (
    Artifact,
    BatchFacts,
    ParsedRecord,
    ParseOptions,
    location_key,
)
from connections.connectors.google_timeline import parse as parse_timeline
from coverage.models import AcquisitionBatch, CoverageSummary, LaneSummary, Record, RecordProvenance
from coverage.pipeline import acquire_records, preview_artifact, start_commit
from tests.coverage.conftest import fixture_path, staged_rows

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]
NOW = datetime(2023, 6, 1, 12, 0, tzinfo=UTC)


def point(at: datetime, lat: float = 38.72, lon: float = -9.14, **payload) -> ParsedRecord:
    return ParsedRecord("locations", location_key(at, lat, lon), at, {"lat": lat, "lon": lon, **payload})


def push(connection, records, *, window_key: str = "", now: datetime = NOW, **facts) -> AcquisitionBatch:
    return acquire_records(
        connection,
        method="device_sync",
        trigger="push",
        records=records,
        facts=BatchFacts(source_format="owntracks_http", parser_version="owntracks/1", **facts),
        window_key=window_key,
        now=now,
    )


def export_points(name: str) -> list[ParsedRecord]:
    path = fixture_path("google_timeline", name)
    return list(parse_timeline(Artifact(Path(path), name), BatchFacts(), ParseOptions()))


def test_points_the_phone_pushes_after_an_export_gain_provenance_not_copies(timeline):
    with fixture_path("google_timeline", "records.json").open("rb") as source:
        exported = start_commit(preview_artifact(timeline, source, "records.json"))
    assert exported.count_accepted == 29
    from_export = export_points("records.json")[:5]
    # The phone reports the same fixes (same time and position) with its own payload, plus two new ones.
    same_fixes = [replace(r, payload={"lat": 0, "lon": 0, "source": "phone"}) for r in from_export]
    new_fixes = [point(datetime(2023, 5, 11, 8, 0, tzinfo=UTC)), point(datetime(2023, 5, 11, 9, 0, tzinfo=UTC))]

    batch = push(timeline, same_fixes + new_fixes)

    assert batch.status == AcquisitionBatch.Status.COMMITTED
    assert (batch.count_parsed, batch.count_accepted, batch.count_duplicate) == (7, 2, 5)
    assert [s["batch_id"] for s in batch.duplicate_sources] == [exported.pk]
    assert Record.objects.filter(connection=timeline).count() == 31  # no copies
    held = Record.objects.get(key=from_export[0].key)
    assert held.payload != {"lat": 0, "lon": 0, "source": "phone"}  # the first delivery stands
    assert [method for _, method in held.deliveries()] == ["owner_artifact", "device_sync"]
    assert Record.delivered_by(batch) == 7  # 2 first deliveries, 5 later ones
    assert RecordProvenance.objects.filter(batch=batch).count() == 5
    lanes = {lane.method: lane for lane in LaneSummary.objects.filter(connection=timeline)}
    assert (lanes["device_sync"].records, lanes["device_sync"].accepted) == (7, 2)
    assert (lanes["owner_artifact"].records, lanes["owner_artifact"].accepted) == (29, 29)
    summary = CoverageSummary.objects.get(connection=timeline)
    assert summary.record_count == 31
    assert summary.covered_through == datetime(2023, 5, 11, 9, 0, tzinfo=UTC)
    assert summary.latest_batch_id == batch.pk
    assert staged_rows() == 0

    # The same fixes pushed again: nothing new, and no second provenance row for the same method.
    again = push(timeline, same_fixes, now=NOW + timedelta(hours=2))
    assert (again.count_accepted, again.count_duplicate) == (0, 5)
    assert Record.delivered_by(again) == 0
    assert LaneSummary.objects.get(connection=timeline, method="device_sync").records == 7


def test_an_export_after_phone_pushes_adds_its_provenance_to_the_pushed_points(make_connection):
    phone = make_connection("owntracks")  # a phone source whose history can be filled from an export
    pushed = [replace(r, payload={"source": "phone"}) for r in export_points("records.json")[:3]]
    push(phone, pushed)

    with fixture_path("google_timeline", "records.json").open("rb") as source:
        batch = start_commit(preview_artifact(phone, source, "records.json"))

    assert (batch.count_accepted, batch.count_duplicate) == (26, 4)  # 3 pushed + 1 repeated in the file
    assert Record.objects.filter(connection=phone).count() == 29
    assert Record.delivered_by(batch) == 29  # 26 first deliveries, 3 later ones
    assert Record.objects.filter(connection=phone).delivered_via("owner_artifact").count() == 29


def test_pushes_within_one_window_grow_one_batch(make_connection):
    phone = make_connection("owntracks")
    start = datetime(2023, 6, 1, 10, 0, tzinfo=UTC)

    first = push(phone, [point(start), point(start + timedelta(minutes=1))], window_key="pixel:2023-06-01T10")
    second = push(
        phone,
        [point(start + timedelta(minutes=1)), point(start + timedelta(minutes=2))],  # one resent
        window_key="pixel:2023-06-01T10",
        skipped=1,
        now=NOW + timedelta(minutes=5),
    )
    other_hour = push(phone, [point(start + timedelta(hours=1))], window_key="pixel:2023-06-01T11")

    assert second.pk == first.pk and other_hour.pk != first.pk
    second.refresh_from_db()
    assert (second.count_parsed, second.count_accepted, second.count_duplicate, second.count_skipped) == (4, 3, 1, 1)
    assert second.duplicate_sources == []  # the resent point was held by this same batch
    assert (second.event_earliest, second.event_latest) == (start, start + timedelta(minutes=2))
    assert second.day_counts == {"2023-06-01": 3}
    lane = LaneSummary.objects.get(connection=phone, method="device_sync")
    assert (lane.batches, lane.records, lane.accepted) == (2, 4, 4)
    assert lane.covered_through == start + timedelta(hours=1)
    assert CoverageSummary.objects.get(connection=phone).record_count == 4


def test_days_without_points_inside_the_covered_range_become_holes(make_connection):
    phone = make_connection("owntracks")  # hole_after: 2 days
    days = [1, 2, 6, 7, 8]

    batch = push(phone, [point(datetime(2023, 6, d, 12, 0, tzinfo=UTC)) for d in days])

    expected = [{"start": "2023-06-03", "end": "2023-06-05", "days": 3,
                 "from": "2023-06-02T13:00:00+00:00", "until": "2023-06-06T12:00:00+00:00"}]  # the hours around it
    assert batch.gaps == expected
    assert CoverageSummary.objects.get(connection=phone).holes == expected

    # A later push that fills the hole closes it.
    push(phone, [point(datetime(2023, 6, 4, 12, 0, tzinfo=UTC))])
    assert CoverageSummary.objects.get(connection=phone).holes == []


def test_a_partial_batch_marks_its_lane_until_a_whole_one_arrives(make_connection):
    phone = make_connection("owntracks")
    cut = push(phone, [point(datetime(2023, 6, 1, 12, 0, tzinfo=UTC))], partial=True)
    assert LaneSummary.objects.get().partial_batch_id == cut.pk

    push(phone, [point(datetime(2023, 6, 2, 12, 0, tzinfo=UTC))])

    assert LaneSummary.objects.get().partial_batch_id is None


def test_a_failed_item_is_counted_with_its_position_and_the_rest_lands(make_connection):
    phone = make_connection("owntracks")
    facts = BatchFacts(source_format="owntracks_http")
    facts.fail("This location has no time.", "location 2")

    batch = acquire_records(
        phone,
        method="device_sync",
        trigger="push",
        records=[point(datetime(2023, 6, 1, 12, 0, tzinfo=UTC))],
        facts=facts,
        now=NOW,
    )

    assert (batch.count_accepted, batch.count_failed) == (1, 1)
    assert batch.warnings == [{"kind": "unparsed_item", "detail": "This location has no time.", "position": "location 2"}]


def test_removing_a_source_takes_every_record_and_provenance_row_with_it(make_connection):
    """References are not database-checked (bulk speed): removal must still leave nothing behind."""
    from coverage.pipeline import remove_connection

    phone, kept = make_connection("owntracks"), make_connection("owntracks")
    for connection in (phone, kept):
        push(connection, [replace(r, payload={"source": "phone"}) for r in export_points("records.json")[:3]])
        with fixture_path("google_timeline", "records.json").open("rb") as source:
            start_commit(preview_artifact(connection, source, "records.json"))
    held = Record.objects.filter(connection=kept).count()
    assert held == 29 and Record.objects.count() == 2 * held
    with fixture_path("google_timeline", "takeout.zip").open("rb") as source:
        waiting = preview_artifact(phone, source, "takeout.zip")  # a preview never committed
    assert staged_rows(waiting.pk) > 0
    batch_ids = list(AcquisitionBatch.objects.filter(connection=phone).values_list("pk", flat=True))
    record_ids = list(Record.objects.filter(connection=phone).values_list("pk", flat=True))

    remove_connection(phone)

    assert staged_rows(waiting.pk) == 0

    assert not Record.objects.filter(pk__in=record_ids).exists()
    assert not RecordProvenance.objects.filter(record_id__in=record_ids).exists()
    assert not RecordProvenance.objects.filter(batch_id__in=batch_ids).exists()
    assert not Record.objects.filter(first_batch_id__in=batch_ids).exists()
    assert Record.objects.filter(connection=kept).count() == held
    assert RecordProvenance.objects.filter(record__connection=kept).count() == 3  # the export after the pushes


def test_awkward_characters_in_keys_and_payloads_are_stored_exactly(make_connection):
    """Staging goes through PostgreSQL's COPY text format: tabs, line breaks and backslashes are data."""
    feed = make_connection("ical_feed")
    awkward = [
        ("uid\twith tab", {"summary": 'a "quoted" word', "note": "back\\slash"}),
        ("uid\nwith newline", {"summary": "line one\nline two\r\n", "tab": "\t"}),
        ("uid\\with backslash", {"summary": "\\N is not null", "emoji": "café ☕ \u2028"}),
        ("uid-plain", {"summary": "plain"}),
    ]
    records = [
        ParsedRecord("events", key, datetime(2024, 3, 1, 9, i, tzinfo=UTC), payload)
        for i, (key, payload) in enumerate(awkward)
    ]

    batch = acquire_records(
        feed, method="provider_api", trigger="scheduled", records=records, facts=BatchFacts(source_format="ics")
    )

    assert (batch.count_parsed, batch.count_accepted) == (4, 4)
    stored = dict(Record.objects.filter(connection=feed).values_list("key", "payload"))
    assert stored == dict(awkward)
