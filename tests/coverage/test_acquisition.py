"""The acquisition pipeline seen by an owner: preview an export, import it, and read the receipt."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import orjson
import pytest

from coverage import pipeline
from coverage.days import owner_day_counts
from coverage.evidence import load_one, load_receipt
from coverage.models import AcquisitionBatch, CoverageSummary, LaneSummary, Record, RecordProvenance
from coverage.pipeline import (
    CommitRefused,
    NotAnArtifactSource,
    answer_preview,
    land_batch,
    landing,
    preview_artifact,
    staging,
    start_commit,
    summaries,
)
from coverage.pipeline import preview as preview_stage
from coverage.receipts import build_receipt
from coverage.serializers import receipt_json
from tests.coverage.conftest import fixture_path, staged_rows, stored_files
from tests.factories import OwnerProfileFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]
Status = AcquisitionBatch.Status


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def preview(connection, name: str, connector: str | None = None, **kwargs) -> AcquisitionBatch:
    with fixture_path(connector or connection.connector, name).open("rb") as source:
        return preview_artifact(connection, source, name, **kwargs)


def imported(connection, name: str, connector: str | None = None, **kwargs) -> AcquisitionBatch:
    batch = start_commit(preview(connection, name, connector, **kwargs))
    batch.refresh_from_db()
    return batch


def receipt(batch: AcquisitionBatch):
    return build_receipt(AcquisitionBatch.objects.select_related("connection", "duplicate_of").get(pk=batch.pk))


# --- preview -------------------------------------------------------------------------------------
def test_preview_of_an_android_chat_counts_every_message_and_imports_nothing(chat, artifact_root):
    batch = preview(chat, "android_dayfirst_24h.txt")

    r = receipt(batch)
    assert r.status == "preview"
    assert (r.counts.parsed, r.counts.accepted, r.counts.duplicate, r.counts.skipped, r.counts.failed) == (
        20,
        20,
        0,
        2,
        0,
    )
    assert (r.event_time.earliest, r.event_time.latest) == (utc(2023, 3, 12, 9, 15), utc(2023, 3, 25, 22, 10))
    assert (r.media.declared, r.media.attached, r.media.missing, r.media.omitted) == (2, 0, 0, 2)
    assert r.source_format == "whatsapp_android_txt" and r.parser_version == "whatsapp/6"
    assert r.time_zone_assumed == "UTC"
    assert r.artifact.filename == "android_dayfirst_24h.txt" and len(r.artifact.sha256) == 64
    assert r.artifact.bytes == fixture_path("whatsapp", "android_dayfirst_24h.txt").stat().st_size
    assert r.next_action.kind == "commit"
    assert r.sentence.startswith("20 new messages from 12 Mar to 25 Mar 2023.")
    assert {p.name for p in r.phases if p.at} == {"received", "parsed", "deduplicated"}
    assert sum(batch.day_counts.values()) == 20 and batch.day_counts["2023-03-12"] == 4
    assert batch.media_days == ["2023-03-12", "2023-03-14"]
    assert batch.gaps == []
    assert batch.preview_counts == {"parsed": 20, "accepted": 20, "duplicate": 0, "skipped": 2, "failed": 0}
    assert batch.progress == 20
    # Nothing reached the owner's data; the parsed messages wait in staging.
    assert Record.objects.count() == 0
    assert not CoverageSummary.objects.exists() and not LaneSummary.objects.exists()
    assert staged_rows(batch.pk) == 20
    assert len(stored_files(artifact_root)) == 1


def test_preview_reads_times_without_a_zone_in_the_owners_time_zone(chat, owner):
    OwnerProfileFactory(owner=owner, time_zone="America/New_York")

    batch = preview(chat, "android_dayfirst_24h.txt")

    assert batch.event_earliest == utc(2023, 3, 12, 13, 15)  # 09:15 EDT
    assert receipt(batch).time_zone_assumed == "America/New_York"


def test_preview_reports_progress_while_it_reads(chat, monkeypatch):
    monkeypatch.setattr(staging, "PROGRESS_EVERY", 5)
    seen = []

    batch = preview(chat, "android_dayfirst_24h.txt", progress=lambda phase, items: seen.append((phase, items)))

    assert [items for phase, items in seen if phase == "parsing"][:4] == [5, 10, 15, 20]
    assert seen[-1] == ("previewed", 20)
    assert batch.progress == 20


def test_ambiguous_dates_make_the_preview_ask_instead_of_guessing(chat):
    batch = preview(chat, "ambiguous.txt")

    r = receipt(batch)
    assert r.status == "preview"
    assert r.question["kind"] == "date_order" and r.question["choices"] == ["dmy", "mdy"]
    assert "03/04/2023" in r.question["text"]
    assert r.counts.accepted == 0 and r.next_action.kind == "answer"
    with pytest.raises(CommitRefused):
        start_commit(batch)

    answered = answer_preview(batch, "dmy")

    assert answered.question is None
    assert (answered.count_parsed, answered.count_accepted) == (4, 4)
    assert answered.event_earliest == utc(2023, 4, 3, 10, 0)
    assert start_commit(answered).status == Status.COMMITTED
    assert Record.objects.count() == 4


def test_an_answer_given_with_the_upload_is_used_at_once(chat):
    batch = preview(chat, "ambiguous.txt", options={"date_order": "mdy"})

    assert batch.question is None
    assert batch.event_earliest == utc(2023, 3, 4, 10, 0)


def test_a_source_without_uploads_refuses_a_file(make_connection):
    calendar = make_connection("ical_feed")

    with pytest.raises(NotAnArtifactSource):
        preview(calendar, "android_dayfirst_24h.txt", connector="whatsapp")
    assert not AcquisitionBatch.objects.exists()


# --- commit --------------------------------------------------------------------------------------
def test_commit_lands_exactly_what_the_preview_promised(chat):
    batch = preview(chat, "android_dayfirst_24h.txt")
    previewed = receipt(batch)

    committed = start_commit(batch)

    r = receipt(committed)
    assert r.status == "committed" and r.committed_at is not None
    assert r.counts == previewed.counts
    assert r.event_time == previewed.event_time
    assert not r.data_changed
    assert all(p.at for p in r.phases)
    assert Record.objects.filter(connection=chat).count() == 20
    assert set(Record.objects.values_list("first_batch", flat=True)) == {batch.pk}
    assert Record.delivered_by(batch) == 20
    assert not RecordProvenance.objects.exists()  # a first delivery is the record itself
    assert staged_rows() == 0
    assert Record.objects.filter(media="omitted").count() == 2
    text = Record.objects.get(key=Record.objects.order_by("event_at").first().key).payload["text"]
    assert text == "Bom dia! Are we still on for Lisbon?"

    lane = LaneSummary.objects.get(connection=chat, method="owner_artifact")
    assert (lane.batches, lane.records, lane.accepted) == (1, 20, 20)
    assert (lane.earliest_event_at, lane.covered_through) == (utc(2023, 3, 12, 9, 15), utc(2023, 3, 25, 22, 10))
    assert lane.last_batch_id == batch.pk and lane.partial_batch_id is None
    # The lane keeps UTC hours (so owner days are exact); they add up to the batch's UTC days.
    assert {d.isoformat(): n for d, n in owner_day_counts(lane.day_counts, None).items()} == batch.day_counts
    summary = CoverageSummary.objects.get(connection=chat)
    assert summary.record_count == 20
    assert (summary.earliest_event_at, summary.covered_through) == (lane.earliest_event_at, lane.covered_through)
    assert (summary.media_declared, summary.media_attached, summary.media_missing, summary.media_omitted) == (
        2,
        0,
        0,
        2,
    )
    assert summary.media_batch_id == batch.pk and summary.latest_batch_id == batch.pk
    assert summary.holes == []  # WhatsApp declares no hole size


def test_running_the_commit_again_changes_nothing(chat):
    batch = start_commit(preview(chat, "android_dayfirst_24h.txt"))

    again = land_batch(batch.pk)
    start_commit(batch)

    assert again.status == Status.COMMITTED
    assert Record.objects.count() == 20 and Record.delivered_by(batch) == 20
    assert not RecordProvenance.objects.exists()
    assert LaneSummary.objects.get().batches == 1
    assert CoverageSummary.objects.get().record_count == 20


def test_a_commit_that_crashes_midway_leaves_nothing_visible_and_can_be_retried(chat, idle_tasks, monkeypatch):
    batch = start_commit(preview(chat, "android_dayfirst_24h.txt"))
    assert batch.status == Status.COMMITTING

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(summaries, "update_summary", broken)
    failed = land_batch(batch.pk)  # tried MAX_COMMIT_ATTEMPTS times, then failed for good

    batch.refresh_from_db()
    assert failed.status == batch.status == Status.FAILED
    assert batch.commit_attempts == pipeline.MAX_COMMIT_ATTEMPTS
    assert "Nothing from it was saved" in batch.failure_reason and "disk full" not in batch.failure_reason
    assert Record.objects.count() == 0 and RecordProvenance.objects.count() == 0
    assert not LaneSummary.objects.exists()
    assert staged_rows(batch.pk) == 0  # its one chunk landed and was taken back: a retry reads the file again

    monkeypatch.undo()
    assert pipeline.retry_commit(batch, enqueue=False).status == Status.COMMITTING
    assert land_batch(batch.pk).status == Status.COMMITTED
    assert Record.objects.count() == 20


def test_the_receipt_says_so_when_the_data_changed_between_preview_and_commit(chat):
    older = preview(chat, "android_dayfirst_24h.txt")
    newer = preview(chat, "android_newer.txt")
    assert newer.count_accepted == 25  # nothing held yet when it was previewed

    start_commit(older)
    committed = start_commit(newer)

    r = receipt(committed)
    assert r.status == "committed" and r.data_changed
    assert (r.counts.accepted, r.counts.duplicate) == (5, 20)
    assert committed.preview_counts["accepted"] == 25
    assert Record.objects.count() == 25


@pytest.mark.parametrize("first_lands_before_second_commits", [True, False], ids=["one_after_other", "racing"])
def test_two_previews_of_one_file_land_once(chat, settings, first_lands_before_second_commits):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    first = preview(chat, "android_dayfirst_24h.txt")
    second = preview(chat, "android_dayfirst_24h.txt")
    assert second.status == Status.PREVIEW  # a preview is no landing: both may exist

    start_commit(first)
    if not first_lands_before_second_commits:
        # The first is still landing: the second waits as a preview (never a duplicate of an
        # unfinished import), and becomes the duplicate once the first is committed.
        with pytest.raises(CommitRefused, match="being imported already"):
            start_commit(second)
        assert AcquisitionBatch.objects.get(pk=second.pk).status == Status.PREVIEW
    land_batch(first.pk)
    loser = start_commit(second)
    land_batch(second.pk)

    assert loser.status == Status.DUPLICATE and loser.duplicate_of_id == first.pk
    statuses = sorted(AcquisitionBatch.objects.values_list("status", flat=True))
    assert statuses == ["committed", "duplicate"]
    assert Record.objects.count() == 20 and staged_rows() == 0
    assert receipt(loser).counts.accepted == 0


# --- what an owner re-uploads --------------------------------------------------------------------
def test_reuploading_the_same_file_is_a_duplicate_receipt_not_an_error(chat, artifact_root):
    first = imported(chat, "android_dayfirst_24h.txt")
    summary_before = CoverageSummary.objects.values().get()

    again = preview(chat, "android_dayfirst_24h.txt")

    r = receipt(again)
    assert r.status == "duplicate" and r.duplicate_of == first.pk
    assert (r.counts.parsed, r.counts.accepted, r.counts.duplicate) == (20, 0, 20)
    assert r.sentence.startswith("Already imported on")
    assert r.next_action is None
    assert start_commit(again).status == Status.DUPLICATE
    assert Record.objects.count() == 20
    assert CoverageSummary.objects.values().get() == summary_before
    assert len(stored_files(artifact_root)) == 1  # the second copy was deleted
    assert staged_rows() == 0


def test_the_same_file_on_another_connection_is_imported_there_and_noted(chat, make_connection):
    imported(chat, "android_dayfirst_24h.txt")
    other = make_connection("whatsapp", "other-chat")

    batch = preview(other, "android_dayfirst_24h.txt")

    assert batch.status == Status.PREVIEW and batch.count_accepted == 20
    assert any(w["kind"] == "seen_elsewhere" and "Family chat" in w["detail"] for w in batch.warnings)


def test_a_newer_export_of_the_chat_accepts_only_new_messages_and_widens_coverage(chat):
    first = imported(chat, "android_dayfirst_24h.txt")

    newer = preview(chat, "android_newer.txt")

    r = receipt(newer)
    assert (r.counts.parsed, r.counts.accepted, r.counts.duplicate) == (25, 5, 20)
    assert [(s.batch_id, s.count) for s in r.duplicate_sources] == [(first.pk, 20)]
    assert r.duplicate_sources[0].committed_at == first.committed_at
    assert sum(newer.day_counts.values()) == 5 and "2023-03-12" not in newer.day_counts

    start_commit(newer)

    summary = CoverageSummary.objects.get(connection=chat)
    assert summary.record_count == 25
    assert summary.earliest_event_at == utc(2023, 3, 12, 9, 15)
    assert summary.covered_through == utc(2023, 4, 2, 20, 15)
    assert summary.media_omitted == 3 and summary.latest_batch_id == newer.pk
    lane = LaneSummary.objects.get(connection=chat)
    assert (lane.batches, lane.records, lane.accepted) == (2, 25, 25)
    assert Record.delivered_by(newer) == 5  # the 20 held came by the same method: no second row
    assert not RecordProvenance.objects.exists()


def test_an_older_timeline_export_widens_coverage_backwards_without_hiding_newer_places(timeline):
    newer = imported(timeline, "Zeitachse.json")
    assert newer.count_accepted == 43

    older = imported(timeline, "ondevice_android_older.json")

    assert (older.count_parsed, older.count_accepted, older.count_duplicate) == (73, 33, 40)
    summary = CoverageSummary.objects.get(connection=timeline)
    assert summary.record_count == 43 + 33 == Record.objects.count()
    assert summary.earliest_event_at == utc(2023, 5, 6, 5, 0)
    assert summary.covered_through == utc(2023, 5, 14, 21, 30)


def _chat(days: list[int], month: int = 3) -> io.BytesIO:
    lines = [f"{d:02d}/{month:02d}/2024, 21:{d:02d} - Ana: message of the {d}th" for d in days]
    return io.BytesIO(("\n".join(lines) + "\n").encode())


@pytest.mark.parametrize("zone", ["UTC", "Pacific/Auckland", "America/Los_Angeles"])
def test_a_longer_export_says_where_its_new_messages_are_not_where_the_file_starts(chat, zone):
    OwnerProfileFactory(owner=chat.owner, time_zone=zone)
    start_commit(preview_artifact(chat, _chat(list(range(13, 21))), "WhatsApp Chat with Ana.txt"))
    longer = _chat(list(range(13, 21)) + [25, 28])  # the same chat exported again, two messages later
    batch = preview_artifact(chat, longer, "WhatsApp Chat with Ana (1).txt")

    def seen():  # as every surface shows it, in the owner's zone
        return load_receipt(AcquisitionBatch.objects.select_related("connection").get(pk=batch.pk))

    assert seen().sentence.startswith("2 new messages from 25 Mar to 28 Mar 2024. 8 already imported.")
    assert seen().event_time.earliest < datetime(2024, 3, 15, tzinfo=UTC)  # event_time: the file's range (13 Mar)
    start_commit(batch)
    assert seen().sentence.startswith("2 new messages from 25 Mar to 28 Mar 2024. 8 already imported.")


# --- media ---------------------------------------------------------------------------------------
def test_missing_media_shows_on_the_receipt_and_in_coverage(chat):
    batch = imported(chat, "ios_missing_media.zip")

    r = receipt(batch)
    assert (r.media.declared, r.media.attached, r.media.missing) == (3, 2, 1)
    assert r.next_action.kind == "add_media"
    assert "1 media file was not included" in r.sentence
    summary = CoverageSummary.objects.get(connection=chat)
    assert (summary.media_declared, summary.media_attached, summary.media_missing, summary.media_omitted) == (
        3,
        2,
        1,
        0,
    )
    assert summary.media_batch_id == batch.pk
    assert batch.media_days == ["2023-03-13"]


def test_a_chat_exported_without_media_reports_its_placeholders_as_omitted_not_missing(chat):
    # A Russian Android export "Без медиафайлов": every placeholder is media left out on purpose.
    lines = [f"{day:02d}.03.2024, 10:{day:02d} - Аня: <Без медиафайлов>" for day in range(13, 25)]
    lines.append("25.03.2024, 11:00 - Борис: Спасибо!")
    source = io.BytesIO(("\n".join(lines) + "\n").encode())
    batch = start_commit(preview_artifact(chat, source, "WhatsApp Chat with Аня.txt"))

    r = receipt(batch)
    assert (r.media.declared, r.media.attached, r.media.missing, r.media.omitted) == (12, 0, 0, 12)
    assert receipt_json(r)["media"] == {"declared": 12, "attached": 0, "missing": 0, "omitted": 12}
    assert "12 media files were not included in this export" in r.sentence
    assert r.next_action.kind == "add_media"
    coverage = load_one(chat).coverage
    assert (coverage.media.missing, coverage.media.omitted, coverage.media.not_included) == (0, 12, 12)


def test_an_export_with_the_media_fills_in_what_was_missing(chat):
    imported(chat, "ios_missing_media.zip")

    full = imported(chat, "ios_12h_media.zip")

    assert full.count_accepted == 0
    summary = CoverageSummary.objects.get(connection=chat)
    assert (summary.media_declared, summary.media_attached, summary.media_missing) == (3, 3, 0)
    assert summary.media_batch_id is None
    assert not Record.objects.filter(media="missing").exists()


# --- other sources -------------------------------------------------------------------------------
def test_timeline_takeout_zip_counts_the_repeated_point_as_a_duplicate(timeline):
    # Records.json covers 8 to 10 May 2023, the Semantic month August: both are read (issue 13).
    batch = imported(timeline, "takeout.zip")

    r = receipt(batch)
    assert r.source_format == "takeout_records_zip"
    assert (r.counts.parsed, r.counts.accepted, r.counts.duplicate, r.counts.skipped, r.counts.failed) == (
        30 + 15,
        29 + 12,
        1 + 3,
        1 + 4,
        1 + 1,
    )
    assert any(w.position for w in r.warnings)
    assert r.event_time.earliest == utc(2023, 5, 8, 6, 0)
    assert Record.objects.filter(connection=timeline, stream="locations").count() == 41
    assert CoverageSummary.objects.get(connection=timeline).holes == [
        {"start": "2023-05-11", "end": "2023-07-31", "days": 82,
         "from": "2023-05-10T18:00:00+00:00", "until": "2023-08-01T18:00:00+00:00"}  # the hours around it
    ]


@pytest.mark.parametrize("chunk", [3, 50_000])
def test_repeats_near_and_far_apart_in_a_file_are_counted_once(timeline, monkeypatch, tmp_path, chunk):
    """Staging takes large files in chunks; a repeat in the same chunk or chunks apart is one record."""
    monkeypatch.setattr(staging, "STAGE_CHUNK", chunk)
    points = [
        {"latitudeE7": 387000000 + i, "longitudeE7": -91400000, "accuracy": i, "timestamp": f"2023-05-08T06:{i:02d}:00Z"}
        for i in range(10)
    ]
    repeated = [*points[:2], dict(points[1], accuracy=99), *points[2:], dict(points[0], accuracy=98)]
    path = tmp_path / "Records.json"
    path.write_bytes(orjson.dumps({"locations": repeated}))

    with path.open("rb") as source:
        batch = start_commit(preview_artifact(timeline, source, "Records.json"))
    batch.refresh_from_db()

    assert (batch.count_parsed, batch.count_accepted, batch.count_duplicate) == (12, 10, 2)
    assert Record.objects.filter(connection=timeline).count() == 10
    accuracies = sorted(r.payload.get("accuracy") for r in Record.objects.filter(connection=timeline))
    assert accuracies == list(range(10))  # the first occurrence of each point wins


def test_apple_health_export_lands_every_stream(make_connection):
    health = make_connection("apple_health")

    batch = imported(health, "export.zip")

    assert (batch.count_parsed, batch.count_accepted, batch.count_failed) == (64, 64, 1)  # 20 route points
    assert (batch.media_declared, batch.media_attached, batch.media_missing) == (1, 1, 0)
    assert set(Record.objects.values_list("stream", flat=True)) == {
        "samples", "workouts", "activity_summaries", "workout_routes"}
    summary = CoverageSummary.objects.get(connection=health)
    assert summary.record_count == 64 and summary.media_batch_id is None
    assert summary.covered_through == utc(2024, 5, 3, 19, 0)


# --- rejected files ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("connector", "name", "reason"),
    [
        ("whatsapp", "empty.txt", "empty"),
        ("whatsapp", "encrypted.zip", "encrypted"),
        ("whatsapp", "invalid_utf8.txt", "malformed"),
        ("whatsapp", "truncated.zip", "malformed"),
        ("whatsapp", "wrong_source.json", "wrong_source"),
        ("google_timeline", "wrong_source.json", "wrong_source"),
        ("apple_health", "not_health.zip", "wrong_source"),
    ],
)
def test_a_file_that_cannot_be_imported_is_rejected_with_what_to_do(
    make_connection, artifact_root, connector, name, reason
):
    connection = make_connection(connector)

    batch = preview(connection, name)

    r = receipt(batch)
    assert r.status == "rejected" and r.reject_reason == reason
    # How to make this source's file, unless the file is another source's (then where it goes, alone).
    assert (connection.manifest.recovery in batch.reject_detail) is (r.other_source is None)
    assert r.sentence.startswith("This file could not be imported:")
    # A file another kind of source takes: the next step is adding that source, not exporting again.
    assert r.next_action.kind == ("add_source" if r.other_source else "re_export")
    with pytest.raises(CommitRefused):
        start_commit(batch)
    assert Record.objects.count() == 0 and staged_rows() == 0
    assert not CoverageSummary.objects.exists()
    assert stored_files(artifact_root) == []


def test_a_file_over_the_size_limit_is_rejected_before_it_is_stored(chat, settings, artifact_root):
    settings.OWNERHUB_MAX_UPLOAD_BYTES = 100

    batch = preview(chat, "android_dayfirst_24h.txt")

    assert batch.status == Status.REJECTED and batch.reject_reason == "too_large"
    assert "100 bytes" in batch.reject_detail
    assert stored_files(artifact_root) == []
    assert Record.objects.count() == 0


def test_day_of_an_event_is_its_utc_day():
    assert landing.day_text(date(2023, 3, 12).toordinal()) == "2023-03-12"
    days = [date(2023, 1, d).toordinal() for d in (1, 2, 10, 13)]
    assert landing.gaps(days, pipeline.DEFAULT_GAP_AFTER) == [
        {"start": "2023-01-03", "end": "2023-01-09", "days": 7}
    ]


def test_a_parser_crash_leaves_a_rejected_batch_that_cannot_be_committed(chat, monkeypatch, artifact_root):
    def crashing(artifact, facts, options):
        yield from ()
        raise RuntimeError("bug")

    monkeypatch.setattr(preview_stage, "artifact_parser", lambda manifest: crashing)

    with pytest.raises(RuntimeError):
        preview(chat, "android_dayfirst_24h.txt")

    batch = AcquisitionBatch.objects.get()
    assert batch.status == Status.REJECTED and batch.reject_reason == "internal_error"
    assert staged_rows() == 0 and stored_files(artifact_root) == []
