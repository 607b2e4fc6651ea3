"""Real exports through the real pipeline: a Takeout spanning years, a cut-off Health export.

Preview and import as an owner does; what the receipt says and what was stored.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from coverage.models import AcquisitionBatch, Record
from coverage.pipeline import preview_artifact, start_commit
from coverage.receipts import build_receipt
from tests.coverage.conftest import fixture_path

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks", "artifact_root")]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def preview(connection, name: str) -> AcquisitionBatch:
    with fixture_path(connection.connector, name).open("rb") as source:
        return preview_artifact(connection, source, name)


def imported(connection, name: str) -> AcquisitionBatch:
    batch = start_commit(preview(connection, name))
    batch.refresh_from_db()
    return batch


def receipt(batch: AcquisitionBatch):
    return build_receipt(AcquisitionBatch.objects.select_related("connection", "duplicate_of").get(pk=batch.pk))


# --- Google Takeout ---------------------------------------------------------------------------------
def test_takeout_with_2015_records_and_a_2021_month_imports_both(make_connection):
    timeline = make_connection("google_timeline")

    batch = imported(timeline, "takeout_years.zip")

    assert batch.count_accepted == 18
    assert Record.objects.filter(connection=timeline, event_at__year=2021).count() == 7
    assert Record.objects.filter(connection=timeline, event_at__year=2015).count() == 11
    r = receipt(batch)
    assert r.event_time.earliest == utc(2015, 3, 1) and r.event_time.latest == utc(2021, 8, 2, 11)
    assert any("left out: Records.json already has points on the same days" in w.detail for w in r.warnings)


def test_first_import_says_repeats_inside_the_file_never_already_imported(make_connection):
    # records.json repeats one point (element 30 is element 6 again) and has one garbled point.
    timeline = make_connection("google_timeline")

    r = receipt(preview(timeline, "records.json"))

    assert (r.counts.parsed, r.counts.accepted, r.counts.duplicate, r.counts.failed) == (30, 29, 1, 1)
    assert "already imported" not in r.sentence
    assert "1 repeated inside the file." in r.sentence
    assert "1 item could not be read." in r.sentence


def test_second_import_names_what_was_imported_before_and_what_repeats_inside(make_connection):
    timeline = make_connection("google_timeline")
    imported(timeline, "records.json")

    r = receipt(preview(timeline, "takeout.zip"))  # the same Records.json, plus an August month

    # The August month is new: 15 places, 12 keys (3 trip ends are the next visit's place).
    assert r.counts.accepted == 12
    assert "29 already imported." in r.sentence
    assert "4 repeated inside the file." in r.sentence  # 1 in Records.json, 3 in August


def test_a_file_where_nothing_could_be_read_says_so(make_connection):
    timeline = make_connection("google_timeline")

    r = receipt(preview(timeline, "semantic_unreadable.json"))

    assert r.counts.parsed == 0 and r.counts.failed == 3
    assert r.sentence == "No places were found: 3 items in this file could not be read."


# --- Apple Health ------------------------------------------------------------------------------------
def test_cut_off_health_export_keeps_what_was_read_and_declares_the_gap_blocking(make_connection):
    health = make_connection("apple_health")

    batch = imported(health, "truncated_xml.zip")  # export.xml stops inside its 20th Record

    assert batch.status == AcquisitionBatch.Status.COMMITTED
    assert Record.objects.filter(connection=health, stream="samples").count() == 19
    r = receipt(batch)
    [cut] = [w for w in r.warnings if w.kind == "cut_off"]
    assert cut.detail.startswith("export.xml ends in the middle; ")
    assert "cut_off" in health.manifest.blocking_gaps
    assert "The file looks cut short." in r.sentence
    assert r.next_action.kind == "re_export"


def test_older_health_export_imports_its_inline_workout_routes(make_connection):
    health = make_connection("apple_health")

    batch = imported(health, "old_inline_routes.zip")

    assert batch.count_accepted == 2 + 2 + 6 and batch.count_failed == 1
    assert Record.objects.filter(connection=health, stream="workout_routes").count() == 6
    assert "1 item could not be read." in receipt(batch).sentence


def test_preview_table_counts_repeats_inside_the_file_apart_from_earlier_imports(make_connection, client, owner):
    timeline = make_connection("google_timeline")
    imported(timeline, "records.json")
    batch = preview(timeline, "takeout.zip")
    client.force_login(owner)

    text = client.get(f"/receipts/{batch.pk}/").content.decode()

    r = receipt(batch)
    assert (r.duplicate_split.earlier, r.duplicate_split.in_file) == (29, 4)
    assert '<tr><th scope="row">Already imported</th><td>29</td></tr>' in text
    assert '<tr><th scope="row">Repeated inside the file</th><td>4</td></tr>' in text


def test_first_import_table_shows_no_already_imported_row_value(make_connection, client, owner):
    timeline = make_connection("google_timeline")
    batch = preview(timeline, "records.json")
    client.force_login(owner)

    text = client.get(f"/receipts/{batch.pk}/").content.decode()

    assert '<tr><th scope="row">Already imported</th><td>0</td></tr>' in text
    assert '<tr><th scope="row">Repeated inside the file</th><td>1</td></tr>' in text


def test_health_export_zip_cut_short_is_imported_up_to_the_cut(make_connection):
    health = make_connection("apple_health")

    batch = imported(health, "truncated.zip")  # the first half of export.zip: no zip directory

    assert batch.status == AcquisitionBatch.Status.COMMITTED and batch.count_accepted == 34
    assert any(w.kind == "cut_off" for w in receipt(batch).warnings)
