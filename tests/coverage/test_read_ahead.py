"""Staging reads ahead (issue 15): the parser runs in a second thread while the chunk before is
written, and the owner can tell no difference but the time. Every row arrives exactly as built,
the first of a repeated key wins, a file that fails part-way keeps what it kept before, an owner
who stops a preview stops the reading too, and the reading thread never touches the database.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection as db
from django.db.backends.signals import connection_created
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connections.connectors.base import ArtifactRejected, ParsedRecord, clean_key, payload_json
from coverage.models import AcquisitionBatch
from coverage.pipeline import staging
from coverage.pipeline.read_ahead import chunks_read_ahead
from tests.factories import BatchFactory, ConnectionFactory

pytestmark = pytest.mark.django_db
START = datetime(2024, 2, 28, 23, 30, tzinfo=UTC)


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(staging, "STAGE_CHUNK", 5)
    monkeypatch.setattr(staging, "PROGRESS_EVERY", 5)


@pytest.fixture
def batch():
    return BatchFactory(connection=ConnectionFactory(), status=AcquisitionBatch.Status.PREVIEW)


def point(i: int, key: str | None = None, text: str = "", media: str | None = None) -> ParsedRecord:
    return ParsedRecord("points", key or f"k{i:05d}", START + timedelta(minutes=7 * i), {"i": i, "text": text}, media)


def staged(batch_id: int) -> list[tuple]:
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT stream, key, event_day, payload, media FROM coverage_stagedrecord WHERE batch_id = %s "
            "ORDER BY stream, key", [batch_id],
        )
        return [(s, k, int(d), json.loads(p) if isinstance(p, str) else p, m) for s, k, d, p, m in cursor]


def reading_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "ownerhub-read-ahead"]


TEXTS = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=30)  # NUL is cleaned before


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.tuples(TEXTS, TEXTS), min_size=1, max_size=23))
def test_every_row_is_staged_as_it_was_built(texts, small_chunks):
    """Quotes, backslashes, line breaks, control characters, accents and emoji, in keys, text and media."""
    batch = BatchFactory(connection=ConnectionFactory(), status=AcquisitionBatch.Status.PREVIEW)
    records = [point(i, key=f"{i:03d}-{key}", text=text, media=text[:10] or None) for i, (key, text) in enumerate(texts)]

    result = staging.stage(batch.pk, records, None, None)

    built = sorted(
        (r.stream, clean_key(r.key), r.event_at.toordinal(), json.loads(payload_json(r.payload)), r.media or "")
        for r in records
    )
    assert sorted(staged(batch.pk), key=lambda row: row[:2]) == sorted(built, key=lambda row: row[:2])
    assert (result.parsed, result.staged) == (len(records), len(records))
    assert (result.earliest, result.latest) == (records[0].event_at, records[-1].event_at)


def test_a_repeated_key_keeps_its_first_row_in_the_chunk_and_across_chunks(batch, small_chunks):
    records = [point(i) for i in range(12)]
    records[3] = point(3, key="same", text="first")
    records[4] = point(4, key="same", text="second, same chunk")
    records[9] = point(9, key="same", text="third, a later chunk")

    result = staging.stage(batch.pk, records, None, None)

    assert (result.parsed, result.staged) == (12, 10)
    with db.cursor() as cursor:
        cursor.execute("SELECT payload FROM coverage_stagedrecord WHERE batch_id = %s AND key = 'same'", [batch.pk])
        [(payload,)] = cursor.fetchall()
    assert (json.loads(payload) if isinstance(payload, str) else payload)["text"] == "first"


def test_a_file_that_fails_part_way_keeps_the_chunks_before_and_says_why(batch, small_chunks):
    def records():
        yield from (point(i) for i in range(12))
        raise ArtifactRejected("malformed", "The export stops in the middle of a record.")

    with pytest.raises(ArtifactRejected, match="stops in the middle"):
        staging.stage(batch.pk, records(), None, None)

    assert len(staged(batch.pk)) == 10  # two whole chunks written; the third, unfinished, is not
    assert reading_threads() == []


def test_an_owner_who_stops_the_preview_stops_the_reading(batch, small_chunks):
    closed = []

    def records():
        try:
            yield from (point(i) for i in range(1_000))
        finally:
            closed.append(threading.current_thread().name)

    class Stopped(Exception):
        pass

    def progress(phase: str, items: int) -> None:
        if items >= 15:
            raise Stopped

    with pytest.raises(Stopped):
        staging.stage(batch.pk, records(), progress, "parsing")

    assert reading_threads() == []
    assert closed == ["ownerhub-read-ahead"]  # the parser was closed, not left reading
    assert len(staged(batch.pk)) == 15  # the chunks read before the stop, none after


def test_the_owner_sees_progress_in_order_and_the_batch_notes_it(batch, small_chunks):
    seen = []
    staging.stage(batch.pk, [point(i) for i in range(17)], lambda phase, items: seen.append(items), "parsing")

    assert seen == [5, 10, 15, 17]
    batch.refresh_from_db()
    assert batch.progress == 17


def test_the_reading_thread_never_touches_the_database(batch, small_chunks):
    opened = []

    def note(sender, connection, **kwargs):
        opened.append(threading.current_thread().name)

    connection_created.connect(note)
    try:
        staging.stage(batch.pk, [point(i) for i in range(40)], None, None)
    finally:
        connection_created.disconnect(note)
    assert opened == []  # a query from the reading thread would open a connection of its own
    assert len(staged(batch.pk)) == 40


def test_a_writer_that_fails_stops_the_reader_and_raises_its_own_error():
    chunks_written = []

    def read(send, told):
        for n in range(100):
            send([("points", f"k{n}")])

    with pytest.raises(RuntimeError, match="disk full"):
        for rows, _ in chunks_read_ahead(read, lambda: None):
            chunks_written.append(rows)
            if len(chunks_written) == 3:
                raise RuntimeError("disk full")
    assert reading_threads() == []
    assert len(chunks_written) == 3


def test_long_messages_are_staged_in_smaller_chunks(batch, monkeypatch):
    """A chat of messages a million characters long: a chunk ends early, so no statement grows past
    what SQLite takes (1 GB) and memory stays bounded; every message is staged whole."""
    monkeypatch.setattr(staging, "STAGE_CHARS", 3_000)
    sizes = []
    real = staging.writer_for

    def writer_for(batch_id):
        writer = real(batch_id)
        write = writer.write
        writer.write = lambda rows, prepared=None: sizes.append(len(rows)) or write(rows, prepared)
        return writer

    monkeypatch.setattr(staging, "writer_for", writer_for)
    records = [point(i, text="é" * 1_000) for i in range(10)]

    result = staging.stage(batch.pk, records, None, None)

    assert sizes == [3, 3, 3, 1]  # each payload is over 1,000 characters: three end a chunk
    assert result.staged == 10
    assert all(len(row[3]["text"]) == 1_000 for row in staged(batch.pk))
