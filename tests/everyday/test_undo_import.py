"""Undo an import: its records go unless another import or a push also delivered them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from connections.connectors.base import BatchFacts, ParsedRecord, location_key
from connections.services import add_connection
from coverage.models import AcquisitionBatch, CoverageSummary, LaneSummary, Record, RecordProvenance
from coverage.pipeline import acquire_records, preview_artifact, start_commit
from coverage.pipeline.undo import RemovalRefused, plan_removal, remove_import
from tests.conftest import stored_files

from .conftest import fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]
Status = AcquisitionBatch.Status
NOW = datetime(2023, 6, 1, 12, 0, tzinfo=UTC)


def _export(connection, path, name=None) -> AcquisitionBatch:
    with open(path, "rb") as source:
        batch = start_commit(preview_artifact(connection, source, name or path.name))
    batch.refresh_from_db()
    assert batch.status == Status.COMMITTED
    return batch


def _points(n_from_records: int, extra_hours: int, tmp_path, name: str):
    """A Records.json holding the first ``n_from_records`` fixes of the fixture and some new ones."""
    data = json.loads(fixture("google_timeline/records.json").read_text())
    kept = data["locations"][:n_from_records]
    for hour in range(extra_hours):
        kept.append({"latitudeE7": 525000000 + hour, "longitudeE7": 134000000, "timestamp": f"2023-05-20T{hour:02d}:00:00Z"})
    path = tmp_path / name
    path.write_text(json.dumps({"locations": kept}))
    return path


def _push(connection, records) -> AcquisitionBatch:
    facts = BatchFacts(source_format="owntracks_http", parser_version="owntracks/1")
    return acquire_records(connection, method="device_sync", trigger="push", records=records, facts=facts, now=NOW)


def _per_day(counts: dict) -> dict:
    """Records per UTC day, whether the summary counts them by hour (a landing) or by day (a recount)."""
    days: dict[str, int] = {}
    for key, n in (counts or {}).items():
        days[key[:10]] = days.get(key[:10], 0) + n
    return days


def _summaries(connection) -> tuple:
    summary = CoverageSummary.objects.get(connection=connection)
    lanes = {
        lane.method: (lane.batches, lane.records, lane.accepted, _per_day(lane.day_counts), lane.earliest_event_at, lane.covered_through)
        for lane in LaneSummary.objects.filter(connection=connection)
    }
    return summary.record_count, summary.earliest_event_at, summary.covered_through, summary.holes, lanes


def test_undoing_an_export_a_push_overlaps_keeps_the_pushed_records(
    owner, timeline, artifact_root, django_capture_on_commit_callbacks
):
    exported = _export(timeline, fixture("google_timeline/records.json"))
    held = list(Record.objects.filter(connection=timeline).order_by("event_at")[:5])
    same = [ParsedRecord(r.stream, r.key, r.event_at, {"source": "phone"}) for r in held]
    new = [ParsedRecord("locations", location_key(NOW, 1.0, 2.0), NOW, {"lat": 1.0, "lon": 2.0})]
    pushed = _push(timeline, same + new)
    assert Record.objects.filter(connection=timeline).count() == 30

    assert plan_removal(exported).removed == 24  # what the confirmation states; nothing changed yet
    assert Record.objects.filter(connection=timeline).count() == 30

    with django_capture_on_commit_callbacks(execute=True):
        removed = remove_import(exported)

    assert removed.status == Status.REMOVED
    assert removed.removal == {"removed": 24, "kept": 5, "kept_by": [{"batch_id": pushed.pk, "count": 5}], "unread": []}
    left = Record.objects.filter(connection=timeline)
    assert left.count() == 6 and set(left.values_list("first_batch_id", flat=True)) == {pushed.pk}
    assert not RecordProvenance.objects.filter(record__connection=timeline).exists()
    summary = CoverageSummary.objects.get(connection=timeline)
    assert summary.record_count == 6 and summary.latest_batch_id == pushed.pk
    assert list(LaneSummary.objects.filter(connection=timeline).values_list("method", "records", "accepted")) == [
        ("device_sync", 6, 6)
    ]
    assert removed.artifact_name == "" and stored_files(artifact_root) == []


def test_undoing_the_first_of_two_overlapping_exports_keeps_what_the_second_holds(owner, timeline, tmp_path):
    first = _export(timeline, fixture("google_timeline/records.json"))
    second = _export(timeline, _points(10, 3, tmp_path, "Records-later.json"))
    assert (second.count_accepted, second.count_duplicate) == (3, 10)

    removed = remove_import(first)

    assert removed.removal["removed"] == 19 and removed.removal["kept"] == 10
    assert removed.removal["kept_by"] == [{"batch_id": second.pk, "count": 10}]
    assert Record.objects.filter(connection=timeline).count() == 13
    assert set(Record.objects.filter(connection=timeline).values_list("first_batch_id", flat=True)) == {second.pk}
    # The same as if only the second export had ever been imported.
    alone = add_connection(owner, "google_timeline", "alone", "Alone")
    _export(alone, tmp_path / "Records-later.json")
    assert _summaries(timeline) == _summaries(alone)


def test_undoing_the_later_export_leaves_the_first_as_it_was(
    owner, timeline, tmp_path, artifact_root, django_capture_on_commit_callbacks
):
    first = _export(timeline, fixture("google_timeline/records.json"))
    before = _summaries(timeline)
    first_records = list(Record.objects.filter(connection=timeline).order_by("pk").values_list("pk", "key", "first_batch_id", "payload"))
    other = add_connection(owner, "google_timeline", "other", "Other")
    _export(other, fixture("google_timeline/records.json"))
    other_state = (_summaries(other), set(Record.objects.filter(connection=other).values_list("pk", "first_batch_id")))
    second = _export(timeline, _points(10, 3, tmp_path, "Records-later.json"))
    stored = len(stored_files(artifact_root))

    with django_capture_on_commit_callbacks(execute=True):
        removed = remove_import(second)

    assert removed.removal == {"removed": 3, "kept": 0, "kept_by": [], "unread": []}
    assert list(Record.objects.filter(connection=timeline).order_by("pk").values_list("pk", "key", "first_batch_id", "payload")) == first_records
    lanes = _summaries(timeline)[4]["owner_artifact"]
    assert _summaries(timeline)[:4] == before[:4] and lanes[1:] == before[4]["owner_artifact"][1:]
    assert lanes[0] == 1  # one import left in the lane
    assert (_summaries(other), set(Record.objects.filter(connection=other).values_list("pk", "first_batch_id"))) == other_state
    assert len(stored_files(artifact_root)) == stored - 1  # its stored file went, the others stayed
    first.refresh_from_db()
    assert first.status == Status.COMMITTED


def test_only_a_saved_import_can_be_removed(owner, timeline):
    with fixture("google_timeline/records.json").open("rb") as source:
        preview = preview_artifact(timeline, source, "records.json")
    with pytest.raises(RemovalRefused):
        remove_import(preview)


def test_the_same_file_can_be_imported_again_after_its_import_was_removed(owner, timeline):
    first = _export(timeline, fixture("google_timeline/records.json"))
    remove_import(first)
    again = _export(timeline, fixture("google_timeline/records.json"))
    assert again.count_accepted == 29 and Record.objects.filter(connection=timeline).count() == 29


def test_the_receipt_page_offers_the_undo_with_the_counts_and_the_receipt_says_what_went(owner_client, timeline):
    exported = _export(timeline, fixture("google_timeline/records.json"))
    page = owner_client.get(f"/receipts/{exported.pk}/").content.decode()
    assert f'href="/receipts/{exported.pk}/remove/"' in page and "Remove this import" in page
    confirm = owner_client.get(f"/receipts/{exported.pk}/remove/").content.decode()
    assert "29 places go" in confirm and Record.objects.count() == 29

    response = owner_client.post(f"/receipts/{exported.pk}/remove/")

    assert response.status_code == 302 and response["Location"] == f"/receipts/{exported.pk}/"
    assert Record.objects.count() == 0
    receipt = owner_client.get(f"/receipts/{exported.pk}/").content.decode()
    assert "Removed on" in receipt and "29 places went." in receipt and "Remove this import" not in receipt


def test_the_api_and_the_command_remove_an_import(client, owner, timeline, capsys):
    first = _export(timeline, fixture("google_timeline/records.json"))
    client.force_login(owner)
    response = client.post(f"/api/owner/batches/{first.pk}/remove")
    assert response.status_code == 200 and response.json()["status"] == "removed"
    assert client.post(f"/api/owner/batches/{first.pk}/remove").status_code == 409

    second = _export(timeline, fixture("google_timeline/records.json"))
    call_command("remove_import", str(second.pk))
    second.refresh_from_db()
    assert second.status == Status.REMOVED and "29 places went." in capsys.readouterr().out


def test_another_owners_import_cannot_be_removed(client, other_owner, owner, timeline):
    first = _export(timeline, fixture("google_timeline/records.json"))
    client.force_login(other_owner)
    assert client.post(f"/receipts/{first.pk}/remove/").status_code == 404
    assert client.post(f"/api/owner/batches/{first.pk}/remove").status_code == 404
    assert Record.objects.count() == 29



def test_the_command_says_what_removing_would_do_before_it_removes(owner, timeline, tmp_path, capsys):
    first = _export(timeline, fixture("google_timeline/records.json"))
    second = _export(timeline, _points(10, 3, tmp_path, "Records-later.json"))

    call_command("remove_import", str(first.pk), "--preview")
    said = capsys.readouterr().out
    call_command("remove_import", str(first.pk), "--preview", "--json")
    plan = json.loads(capsys.readouterr().out)

    assert "19 places go. 10 places stay, because another import or your phone delivered them too." in said
    assert "Nothing was removed" in said
    assert plan == {"batch_id": first.pk, "removed": 19, "kept": 10, "kept_by": [{"batch_id": second.pk, "count": 10}]}
    first.refresh_from_db()
    assert first.status == Status.COMMITTED and Record.objects.filter(connection=timeline).count() == 29 + 3
