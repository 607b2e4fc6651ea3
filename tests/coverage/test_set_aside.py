"""An owner imports the same history again with a little more: the preview sets aside what the
source already holds, the commit lands only what is new (issue 15), and the receipt and the
card say exactly what they would have said had every row landed."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from django.db import connection as db

from coverage.models import AcquisitionBatch, CoverageSummary, LaneSummary, Record, RecordProvenance
from coverage.pipeline import chunks, commit, land_batch, set_aside, start_commit
from coverage.pipeline.removal import discard_preview
from coverage.pipeline.reread import commit_reread, preview_reread
from coverage.pipeline.staging import drop_staging
from coverage.pipeline.undo import remove_import
from tests.coverage.conftest import staged_rows
from tests.coverage.test_chunked_commit import (
    export_file,
    killed_on_chunk,
    point,
    previewed,
    push,
    visible_keys,
)
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db
Status = AcquisitionBatch.Status


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(chunks, "LAND_CHUNK", 100)


def imported(connection, path: Path) -> AcquisitionBatch:
    return land_batch(start_commit(previewed(connection, path), enqueue=False).pk)


def landed_from(batch: AcquisitionBatch, monkeypatch) -> tuple[AcquisitionBatch, int]:
    """Commit the preview; the landed batch, and the staged rows left when its first chunk began."""
    real, left = commit.land_chunk, []

    def first_counts(batch_, *args, **kwargs):
        if not left:
            left.append(staged_rows(batch_.pk))
        return real(batch_, *args, **kwargs)

    monkeypatch.setattr(commit, "land_chunk", first_counts)
    landed = land_batch(start_commit(batch, enqueue=False).pk)
    monkeypatch.setattr(commit, "land_chunk", real)
    return landed, left[0]


def owner_sees(connection, batch: AcquisitionBatch) -> dict:
    """Everything the receipt and the card show of ``batch`` and its source."""
    batch.refresh_from_db()
    lane = LaneSummary.objects.get(connection=connection, method="owner_artifact")
    summary = CoverageSummary.objects.get(connection=connection)
    return {
        "status": batch.status,
        "counts": (batch.count_parsed, batch.count_accepted, batch.count_duplicate, batch.data_changed),
        "held by": sorted((s["batch_id"] - batch.pk, s["count"]) for s in batch.duplicate_sources),
        "new per day": batch.day_counts,
        "records": summary.record_count,
        "media": (summary.media_declared, summary.media_attached, summary.media_missing),
        "lane": (lane.records, lane.accepted, lane.day_counts, lane.media_days),
        "keys": len(visible_keys(connection)),
        "deliveries": sorted(RecordProvenance.objects.filter(batch=batch).values_list("method", flat=True)),
    }


# --- the receipt is the same with rows set aside as without ---------------------------------------
def points_again(owner, tmp_path) -> tuple:
    """The same Timeline export made again, 5 % longer."""
    source = ConnectionFactory(owner=owner, connector="owntracks")
    imported(source, export_file(tmp_path / "first.json", 1_000))
    return source, export_file(tmp_path / "again.json", 1_050)


def points_the_phone_pushed(owner, tmp_path) -> tuple:
    """An export over points the phone pushed live: each held point gains the export's delivery."""
    source = ConnectionFactory(owner=owner, connector="owntracks")
    push(source, list(range(0, 600, 2)))
    imported(source, export_file(tmp_path / "first.json", 300))
    return source, export_file(tmp_path / "again.json", 700)


CHAT = "\r\n".join(
    f"[3/{12 + i // 20}/23, {1 + i % 12}:{i % 60:02d}:00\u202fPM] Ana Souza: "
    + (f"\u200e<attached: {i:08d}-PHOTO.jpg>" if i % 10 == 0 else f"message {i}")
    for i in range(200)
) + "\r\n"


def chat_zip(path: Path, with_media: bool) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("_chat.txt", CHAT.encode())
        for i in range(0, 200, 10) if with_media else ():
            zf.writestr(f"{i:08d}-PHOTO.jpg", b"\xff\xd8\xff\xe0photo\xff\xd9")
    return path


def chat_with_photos_now(owner, tmp_path) -> tuple:
    """A chat exported without its photos, then again with them: the photos fill in what was missing."""
    source = ConnectionFactory(owner=owner, connector="whatsapp")
    imported(source, chat_zip(tmp_path / "WhatsApp Chat - Ana.zip", False))
    (tmp_path / "again").mkdir()
    return source, chat_zip(tmp_path / "again" / "WhatsApp Chat - Ana.zip", True)


SCENARIOS = {
    "the same export, 5 % longer": (points_again, 50),
    "an export over points the phone pushed": (points_the_phone_pushed, 400),
    "a chat again, now with its photos": (chat_with_photos_now, 20),
}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_owner_sees_the_same_receipt_and_card_with_rows_set_aside(scenario, owner, tmp_path, monkeypatch,
                                                                      small_chunks):
    make, left_to_land = SCENARIOS[scenario]
    monkeypatch.setattr(set_aside, "AT_LEAST", 2.0)  # never: every row lands, as before issue 15
    (tmp_path / "all").mkdir(), (tmp_path / "aside").mkdir()
    source, again = make(owner, tmp_path / "all")
    every_row = owner_sees(source, imported(source, again))

    monkeypatch.setattr(set_aside, "AT_LEAST", 0.5)
    source, again = make(owner, tmp_path / "aside")
    batch = previewed(source, again)
    assert staged_rows(batch.pk) == batch.count_parsed  # the preview deletes no staged row
    landed, left = landed_from(batch, monkeypatch)
    assert left == left_to_land  # held rows whose landing would change nothing went first
    assert owner_sees(source, landed) == every_row
    assert every_row["status"] == Status.COMMITTED


# --- the commit costs what is new ----------------------------------------------------------------
def test_a_re_import_commit_lands_only_the_new_points(owner, tmp_path, small_chunks, monkeypatch):
    source, again = points_again(owner, tmp_path)
    batch = start_commit(previewed(source, again), enqueue=False)
    real, calls = commit.land_chunk, []
    monkeypatch.setattr(commit, "land_chunk", lambda *a, **k: calls.append(1) or real(*a, **k))
    landed = land_batch(batch.pk)
    assert len(calls) == 1  # 50 new points: one chunk, where every row landing would take 11
    assert (landed.count_accepted, landed.count_duplicate, landed.data_changed) == (50, 1_000, False)
    assert [s["count"] for s in landed.duplicate_sources] == [1_000]
    assert landed.set_aside["staged"] == 1_000 and landed.progress == 1_050


def test_the_same_records_in_a_new_file_leave_nothing_to_land(owner, tmp_path, monkeypatch):
    source = ConnectionFactory(owner=owner, connector="owntracks")
    imported(source, export_file(tmp_path / "first.json", 400))
    reordered = tmp_path / "reordered.json"
    locations = json.loads((tmp_path / "first.json").read_text())["locations"]
    reordered.write_text(json.dumps({"locations": locations[::-1]}))  # other bytes, the same points
    landed, left = landed_from(previewed(source, reordered), monkeypatch)
    assert left == 0
    assert (landed.status, landed.count_accepted, landed.count_duplicate) == (Status.COMMITTED, 0, 400)
    assert CoverageSummary.objects.get(connection=source).record_count == 400


# --- nothing set aside is lost when what it relied on goes ---------------------------------------
def test_undoing_the_first_import_before_the_commit_lands_every_point_of_the_second(owner, tmp_path):
    source = ConnectionFactory(owner=owner, connector="owntracks")
    first = imported(source, export_file(tmp_path / "first.json", 1_000))
    batch = previewed(source, export_file(tmp_path / "again.json", 1_050))
    assert batch.set_aside["pending"] and batch.set_aside["staged"] == 1_050
    remove_import(first)
    landed = land_batch(start_commit(batch, enqueue=False).pk)
    assert landed.status == Status.COMMITTED
    assert (landed.count_accepted, landed.count_duplicate, landed.data_changed) == (1_050, 0, True)
    assert landed.duplicate_sources == [] and landed.set_aside is None
    assert len(visible_keys(source)) == 1_050
    assert CoverageSummary.objects.get(connection=source).record_count == 1_050


def test_undoing_the_first_import_between_chunks_starts_the_commit_over(owner, tmp_path, small_chunks, monkeypatch):
    source = ConnectionFactory(owner=owner, connector="owntracks")
    first = imported(source, export_file(tmp_path / "first.json", 1_000))
    batch = start_commit(previewed(source, export_file(tmp_path / "again.json", 1_300)), enqueue=False)
    real, calls = commit.land_chunk, []

    def owner_undoes_after_the_first(*args, **kwargs):
        done = real(*args, **kwargs)
        calls.append(1)
        if len(calls) == 1:
            remove_import(first)
        return done

    monkeypatch.setattr(commit, "land_chunk", owner_undoes_after_the_first)
    landed = land_batch(batch.pk)
    assert (landed.count_accepted, landed.count_duplicate) == (1_300, 0)
    assert Record.objects.filter(connection=source).count() == 1_300
    assert set(Record.objects.filter(connection=source).values_list("first_batch_id", flat=True)) == {batch.pk}
    assert CoverageSummary.objects.get(connection=source).record_count == 1_300


def test_reading_the_first_import_again_before_the_commit_makes_it_read_its_file_again(owner, tmp_path):
    source = ConnectionFactory(owner=owner, connector="owntracks")
    first = imported(source, export_file(tmp_path / "first.json", 1_000))
    batch = previewed(source, export_file(tmp_path / "again.json", 1_050))
    seen = batch.set_aside["rewritten"]
    reading = commit_reread(preview_reread(first))
    assert reading.status == Status.COMMITTED
    landed = land_batch(start_commit(batch, enqueue=False).pk)
    source.refresh_from_db()
    assert source.rewritten == seen + 1 and landed.set_aside is None
    assert (landed.count_accepted, landed.count_duplicate) == (50, 1_000)
    assert landed.duplicate_sources == [{"batch_id": reading.pk, "count": 1_000,
                                         "committed_at": reading.committed_at.isoformat(),
                                         "filename": reading.artifact_filename, "method": "owner_artifact"}]


def test_staged_rows_lost_midway_are_read_again_with_those_set_aside(owner, tmp_path, small_chunks, monkeypatch):
    """PostgreSQL empties its unlogged staging table when it restarts after a crash."""
    source = ConnectionFactory(owner=owner, connector="owntracks")
    imported(source, export_file(tmp_path / "first.json", 1_000))
    batch = start_commit(previewed(source, export_file(tmp_path / "again.json", 1_300)), enqueue=False)
    batch = killed_on_chunk(batch, monkeypatch, 2)
    assert batch.set_aside["staged"] == 1_000 and staged_rows(batch.pk) == 200
    drop_staging(batch.pk)
    landed = land_batch(batch.pk)
    assert (landed.count_accepted, landed.count_duplicate, landed.data_changed) == (300, 1_000, False)
    assert [s["count"] for s in landed.duplicate_sources] == [1_000]
    assert CoverageSummary.objects.get(connection=source).record_count == 1_300


def test_a_commit_killed_between_chunks_counts_what_was_set_aside_once(owner, tmp_path, small_chunks, monkeypatch):
    source = ConnectionFactory(owner=owner, connector="owntracks")
    imported(source, export_file(tmp_path / "first.json", 1_000))
    batch = start_commit(previewed(source, export_file(tmp_path / "again.json", 1_300)), enqueue=False)
    batch = killed_on_chunk(batch, monkeypatch, 2)
    assert batch.landing["staged"] == 1_100  # the 1,000 set aside and the first chunk
    landed = land_batch(batch.pk)
    assert (landed.count_accepted, landed.count_duplicate, landed.data_changed) == (300, 1_000, False)
    assert [s["count"] for s in landed.duplicate_sources] == [1_000]
    assert LaneSummary.objects.get(connection=source).accepted == 1_300


def test_a_re_read_sets_nothing_aside(owner, tmp_path):
    source = ConnectionFactory(owner=owner, connector="owntracks")
    first = imported(source, export_file(tmp_path / "first.json", 300))
    reading = preview_reread(first)
    assert reading.set_aside is None and staged_rows(reading.pk) == 300


def test_a_chat_whose_photos_arrive_now_keeps_those_messages_staged(owner, tmp_path, monkeypatch):
    source, again = chat_with_photos_now(owner, tmp_path)
    landed, left = landed_from(previewed(source, again), monkeypatch)
    assert left == 20  # the 20 messages with a photo fill in what was missing
    assert landed.set_aside["staged"] == 180


# --- the days nothing new falls on go without a lookup --------------------------------------------
def test_a_re_import_looks_up_only_the_rows_on_days_that_bring_something(owner, tmp_path, monkeypatch):
    source, again = points_again(owner, tmp_path)
    batch = previewed(source, again)
    new_days = sorted({point(i)[0].toordinal() for i in range(1_000, 1_050)})
    assert batch.set_aside["kept_days"] == [[new_days[0], new_days[-1]]]
    on_new_days = sum(1 for i in range(1_050) if point(i)[0].toordinal() in new_days)
    real, looked_up = set_aside._delete_inert, []
    monkeypatch.setattr(set_aside, "_delete_inert",
                        lambda batch_, holders: looked_up.append(staged_rows(batch_.pk)) or real(batch_, holders))
    landed = land_batch(start_commit(batch, enqueue=False).pk)
    assert looked_up == [on_new_days] and on_new_days < 300  # of 1,050 staged
    assert (landed.count_accepted, landed.count_duplicate, landed.data_changed) == (50, 1_000, False)
    assert landed.set_aside["staged"] == 1_000


def test_another_owners_preview_keeps_its_staged_rows_while_a_re_import_sets_rows_aside(owner, tmp_path):
    source, again = points_again(owner, tmp_path)
    (tmp_path / "other").mkdir()
    waiting = previewed(ConnectionFactory(connector="owntracks"), export_file(tmp_path / "other" / "pts.json", 400))
    landed = land_batch(start_commit(previewed(source, again), enqueue=False).pk)
    assert (landed.count_accepted, landed.count_duplicate) == (50, 1_000)
    assert staged_rows(waiting.pk) == 400 and staged_rows(landed.pk) == 0
    other = land_batch(start_commit(waiting, enqueue=False).pk)
    assert (other.status, other.count_accepted) == (Status.COMMITTED, 400)


KEPT_DAYS = {
    # days a measure found a row that may change on -> the runs a plan notes
    "none": ([], []),
    "one week": (list(range(800_000, 800_007)), [[800_000, 800_006]]),
    "two stretches": ([800_000, 800_001, 800_005, 800_003, 800_004], [[800_000, 800_001], [800_003, 800_005]]),
    "64 lone days": (list(range(800_000, 800_128, 2)), [[d, d] for d in range(800_000, 800_128, 2)]),
    "65 lone days: every row is looked up instead": (list(range(800_000, 800_130, 2)), None),
}


@pytest.mark.parametrize("case", KEPT_DAYS)
def test_the_plan_notes_the_kept_days_as_runs(case):
    days, runs = KEPT_DAYS[case]
    kept = set_aside.KeptDays(frozenset({7}))
    for day in days:
        kept.note(day, "", None)
        kept.note(day - 100_000, "", 7)  # held by the same lane: no day of its own
    assert kept.runs() == runs


@pytest.mark.parametrize(("media", "first", "kept"), [
    ("", None, True),  # new
    ("", 8, True),  # held by another lane, or an import not committed
    ("attached", 7, True),  # may fill in missing media
    ("missing", 7, False),
    ("", 7, False),
])
def test_a_group_keeps_its_day_when_landing_may_change_something(media, first, kept):
    days = set_aside.KeptDays(frozenset({7}))
    days.note(800_000, media, first)
    assert days.runs() == ([[800_000, 800_000]] if kept else [])


def _secure_delete() -> int:
    with db.cursor() as cursor:
        cursor.execute("PRAGMA secure_delete")
        return int(cursor.fetchone()[0])


@pytest.mark.skipif(db.vendor != "sqlite", reason="secure_delete is SQLite's (PostgreSQL never zeroes deleted rows)")
def test_rows_the_owner_abandons_are_zeroed_as_they_go_and_rows_whose_records_stay_are_not(owner, tmp_path):
    source, again = points_again(owner, tmp_path)
    with db.cursor() as cursor:
        cursor.execute("PRAGMA secure_delete = ON")  # as Debian's SQLite has it
    statements: list[str] = []

    def seen(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with db.execute_wrapper(seen):
        land_batch(start_commit(previewed(source, again), enqueue=False).pk)
    assert any("secure_delete = FAST" in sql for sql in statements) and _secure_delete() == 1
    (tmp_path / "later").mkdir()
    abandoned = previewed(source, export_file(tmp_path / "later" / "pts.json", 1_200))
    statements.clear()
    with db.execute_wrapper(seen):
        assert discard_preview(abandoned, "cancelled")
    assert staged_rows(abandoned.pk) == 0
    assert not any("secure_delete" in sql for sql in statements) and _secure_delete() == 1
