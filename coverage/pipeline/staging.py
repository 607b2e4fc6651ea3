"""Staging: parsed records wait here between preview and commit (table ``coverage_stagedrecord``).

The table is created by migration 0002 and touched with plain SQL only. Parsed records are
inserted in chunks of ``STAGE_CHUNK`` with ON CONFLICT DO NOTHING on (batch, stream, key), so
in-file duplicates collapse in the database and Python never keeps a set of keys: memory stays
flat whatever the size of the artifact. The database-specific tricks of writing it sit in one
writer per vendor (``SqliteStageWriter``, ``PostgresStageWriter``; ``writer_for`` picks one).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import closing, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from time import monotonic
from typing import Protocol

import orjson
from django.db import IntegrityError, transaction
from django.db import connection as db

from connections.connectors.base import ParsedRecord, clean_key, payload_json

from ..models import AcquisitionBatch
from ..stored_times import utc_text
from .read_ahead import chunks_read_ahead
from .sqlite_tuning import content_kept, lean_cache, roomy_wal

STAGING_TABLE = "coverage_stagedrecord"
STAGE_CHUNK = 10_000  # staged records per transaction (one INSERT or COPY); two are held at a time
STAGE_CHARS = 16_000_000  # payload characters that end a chunk early (long messages: memory, one statement's size)
PROGRESS_EVERY = 10_000  # items between progress updates (the caller's ``progress``; the CLI draws them)
PROGRESS_WRITE_SECONDS = 0.25  # at most this often the batch's count a poller sees is written while reading

Progress = Callable[[str, int], None]
"""Called as ``progress(phase, items)`` while a batch is worked on (the CLI draws a bar)."""

class Observer(Protocol):
    """Shown each chunk of rows staging has just written, with how many it kept (``first_counts.RowCounts``)."""

    def staged(self, rows: list[tuple], kept: int) -> None: ...


@dataclass
class Staged:
    parsed: int = 0  # records yielded
    staged: int = 0  # distinct (stream, key) rows kept
    earliest: datetime | None = None
    latest: datetime | None = None


def quote(name: str) -> str:
    return db.ops.quote_name(name)


def stage(
    batch_id: int,
    records: Iterable[ParsedRecord],
    progress: Progress | None,
    phase: str | None,
    observer: Observer | None = None,
) -> Staged:
    """Insert records into staging in chunks; at most two chunks are held in memory.

    Per record the only Python work is one tuple (the payload serialized once by orjson). The
    parser, that work and, where the vendor builds it ahead, the text each chunk is sent as
    (``StageWriter.prepare``) run in a second thread (``read_ahead``), while this one writes the
    chunk before through the writer of its vendor (``writer_for``): one INSERT over the chunk's
    JSON array on SQLite, ``COPY`` through a temporary table on PostgreSQL. ``observer`` is shown
    each chunk once written (repeated keys still in it), with how many rows staging kept of it.
    """
    result = Staged()
    writer = writer_for(batch_id)
    as_text = writer.text_times

    def read(send: Callable[[tuple], None], told: Callable[[int], None]) -> None:
        prepare = writer.prepare
        _stage_into(lambda rows: send((rows, prepare(rows))), told, as_text, records, result)

    # The batch's count is written (its own statement and commit) at most every
    # ``PROGRESS_WRITE_SECONDS``: the page polls each second, and a write every 10,000 rows cost
    # 0.7 s of a 1M-point preview. The caller's ``progress`` is told every count.
    next_write = 0.0
    # ``closing``: on an error here the reader is stopped and joined before it propagates, not
    # whenever the generator happens to be collected.
    with writer.session(), closing(chunks_read_ahead(read, getattr(records, "close", _nothing))) as chunks:
        for chunk, items in chunks:
            if chunk is None:
                if monotonic() >= next_write:
                    report_progress(batch_id, items, progress, phase)
                    next_write = monotonic() + PROGRESS_WRITE_SECONDS
                elif progress and phase:
                    progress(phase, items)
                continue
            rows, prepared = chunk
            kept = writer.write(rows, prepared)
            result.staged += kept
            if observer is not None:
                observer.staged(rows, kept)
    if progress and phase:
        report_progress(batch_id, result.parsed, progress, phase)
    return result


def _nothing() -> None:
    pass


def text_times() -> bool:
    """Whether staged rows carry ``event_at`` as SQLite's naive UTC text (else aware datetimes)."""
    return WRITERS[db.vendor].text_times


def _stage_into(
    send: Callable[[list[tuple]], None],
    told: Callable[[int], None],
    as_text: bool,
    records: Iterable[ParsedRecord],
    result: Staged,
) -> None:
    """Staging's rows of ``records``, ``STAGE_CHUNK`` at a time to ``send`` (each list handed over),
    or fewer once their payloads hold ``STAGE_CHARS`` (a chat of messages a million characters
    long: SQLite refuses one statement over 1 GB); ``told`` how many were read every
    ``PROGRESS_EVERY``. Runs in ``read_ahead``'s thread: no SQL."""
    dumps = payload_json  # JSON text with NUL, lone surrogates and endless strings cleaned
    chunk: list[tuple] = []
    append = chunk.append
    earliest = latest = None
    parsed = chars = 0
    next_report = PROGRESS_EVERY
    for record in records:
        at = record.event_at
        if at.tzinfo is not UTC:
            at = at.astimezone(UTC)
        if earliest is None or at < earliest:
            earliest = at
        if latest is None or at > latest:
            latest = at
        day = at.toordinal()
        payload = dumps(record.payload)
        chars += len(payload)
        append(
            (
                record.stream,
                clean_key(record.key),  # the same object unless it needs cleaning
                utc_text(at, day) if as_text else at,
                day,
                payload,
                record.media or "",
            )
        )
        parsed += 1
        if len(chunk) >= STAGE_CHUNK or chars >= STAGE_CHARS:
            send(chunk)
            chunk = []
            append = chunk.append
            chars = 0
        if parsed == next_report:
            next_report += PROGRESS_EVERY
            told(parsed)
    if chunk:
        send(chunk)
    result.parsed = parsed
    result.earliest, result.latest = earliest, latest


_STAGE_COLUMNS = ("stream", "key", "event_at", "event_day", "payload", "media")
_STAGE_INBOX = "ownerhub_stage_inbox_v2"  # PostgreSQL: per-session temporary table COPY fills


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(batch_id: int, rows: list[tuple]) -> tuple[str, int]:
    """PostgreSQL COPY text of staged rows (batch_id first), the first of each (stream, key) only.

    Returns the text and its number of rows. One f-string a row; a row whose fields hold a
    backslash, tab or line break (a quote in a message makes its JSON hold a backslash) is
    escaped field by field.
    """
    seen: set[tuple[str, str]] = set()
    add = seen.add
    lines: list[str] = []
    append = lines.append
    for stream, key, at, day, payload, media in rows:
        stream_key = (stream, key)
        if stream_key in seen:
            continue
        add(stream_key)
        at = f"{utc_text(at, day)}+00"  # ``at`` is in UTC; ``str`` of it costs four times as much
        line = f"{batch_id}\t{stream}\t{key}\t{at}\t{day}\t{payload}\t{media}\n"
        if line.count("\t") != 6 or "\\" in line or line.count("\n") != 1 or "\r" in line:
            fields = (stream, key, at, str(day), payload, media)
            line = f"{batch_id}\t" + "\t".join(f.translate(_COPY_ESCAPES) for f in fields) + "\n"
        append(line)
    return "".join(lines), len(lines)


class StageWriter:
    """Writes chunks of staged rows ``(stream, key, event_at, event_day, payload, media)``.

    In-file duplicates collapse on (batch, stream, key), the first occurrence winning. Each
    chunk is one transaction (a savepoint when the caller is already in one); ``write``
    returns the rows kept. One subclass per database vendor holds its tricks.
    """

    text_times = False  # event_at as naive UTC text (SQLite) rather than an aware datetime

    def __init__(self, batch_id: int):
        self.batch_id = int(batch_id)
        self.columns = ", ".join(quote(c) for c in _STAGE_COLUMNS)
        self.conflict = f"ON CONFLICT (batch_id, stream, {quote('key')}) DO NOTHING"

    @contextmanager
    def session(self) -> Iterator[None]:
        """Around all the chunks of one staging (a vendor may tune its connection meanwhile)."""
        yield

    def prepare(self, rows: list[tuple]) -> object:
        """What ``write`` sends of ``rows``, built in the reading thread (no SQL); None: ``write`` builds it."""
        raise NotImplementedError

    def write(self, rows: list[tuple], prepared: object = None) -> int:
        """Write ``rows`` (``prepared``: ``prepare(rows)``, made now when None); returns the rows kept."""
        raise NotImplementedError


class SqliteStageWriter(StageWriter):
    """SQLite: one INSERT ... SELECT over the chunk's JSON array (``json_each``), ON CONFLICT DO NOTHING.

    One statement a chunk lets go of the GIL while SQLite inserts every row, so the parser reads
    on in its thread (``read_ahead``); ``executemany`` took the GIL back after every row.
    ``json_each`` yields the rows in order, so a repeated key keeps its first row.
    """

    text_times = True  # SQLite keeps datetimes as naive UTC text

    def __init__(self, batch_id: int):
        super().__init__(batch_id)
        # The batch id is a literal: one prepared statement, one parameter.
        fields = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(_STAGE_COLUMNS)))
        self.insert_sql = (
            f"INSERT INTO {quote(STAGING_TABLE)} (batch_id, {self.columns}) "
            f"SELECT {self.batch_id}, {fields} FROM json_each(%s) WHERE true {self.conflict}"
        )

    @contextmanager
    def session(self) -> Iterator[None]:
        """Checkpoint the WAL every 64 MB instead of every 4 MB while staging (``roomy_wal``), with a
        16 MB page cache (``lean_cache``)."""
        with roomy_wal(), lean_cache():
            yield

    def prepare(self, rows: list[tuple]) -> None:
        """Nothing: on SQLite the reading thread is the busier one, so ``write`` builds the JSON
        (measured in pairs: no faster built ahead, and 4 MB more at the peak)."""
        return None

    def write(self, rows: list[tuple], prepared: None = None) -> int:
        """One statement, its own transaction (or part of the caller's): no BEGIN and COMMIT apart.
        Each call into SQLite lets the GIL go, and taking it back from the busy reading thread
        waits up to the switch interval (5 ms), three times a chunk with them."""
        text = orjson.dumps(rows).decode()  # text, not bytes: SQLite 3.45 reads a BLOB as its binary JSON
        with db.cursor() as cursor:
            cursor.execute(self.insert_sql, [text])
            return max(cursor.rowcount, 0)


class PostgresStageWriter(StageWriter):
    """PostgreSQL: the chunk's repeats are dropped in Python, the rest is COPYed, then moved.

    The COPY text is built in Python (``_copy_text``) into a temporary table and moved with
    a plain INSERT, which costs about a third of ON CONFLICT's per-row speculative insertion.
    Only when that INSERT meets a row an earlier chunk staged (a repeat far apart in the file)
    is the chunk, and every later one, moved with ON CONFLICT DO NOTHING instead. (COPY
    straight into staging, with the same fallback, measured no faster: 19–26 s against
    21–23 s for the preview of 1M points.)
    """

    def __init__(self, batch_id: int):
        super().__init__(batch_id)
        self.plain = True  # a plain INSERT until a chunk meets an earlier chunk's row
        self.copy_sql = f"COPY {_STAGE_INBOX} (batch_id, {self.columns}) FROM STDIN"
        self.move_sql = (
            f"INSERT INTO {quote(STAGING_TABLE)} (batch_id, {self.columns}) "
            f"SELECT {self.batch_id}, {self.columns} FROM {_STAGE_INBOX}"
        )
        self.move_again_sql = f"{self.move_sql} {self.conflict}"

    def prepare(self, rows: list[tuple]) -> tuple[str, int]:
        """The COPY text, built in the reading thread: writing waits on the server meanwhile (a 1M-point
        preview 10.6–10.7 s built in line, 7.7–8.8 s built ahead, in alternated bench runs)."""
        return _copy_text(self.batch_id, rows)

    def write(self, rows: list[tuple], prepared: tuple[str, int] | None = None) -> int:
        data, count = self.prepare(rows) if prepared is None else prepared
        with transaction.atomic(), db.cursor() as cursor:
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            raw.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGE_INBOX} (batch_id bigint, stream varchar(40), "
                f"{quote('key')} varchar(120), event_at timestamptz, event_day integer, payload jsonb, media varchar(10))"
            )
            raw.execute(f"TRUNCATE {_STAGE_INBOX}")
            with raw.copy(self.copy_sql) as copy:
                copy.write(data)
            if self.plain:
                try:
                    with transaction.atomic():
                        cursor.execute(self.move_sql)
                    return count
                except IntegrityError:
                    self.plain = False
            cursor.execute(self.move_again_sql)
            return max(cursor.rowcount, 0)


WRITERS: dict[str, type[StageWriter]] = {"sqlite": SqliteStageWriter, "postgresql": PostgresStageWriter}


def writer_for(batch_id: int) -> StageWriter:
    """The staging writer of the database in use."""
    return WRITERS[db.vendor](batch_id)


def report_progress(batch_id: int, items: int, progress: Progress | None, phase: str | None) -> None:
    AcquisitionBatch.objects.filter(pk=batch_id).update(progress=items)
    if progress and phase:
        progress(phase, items)


def has_staged(batch_id: int) -> bool:
    """Whether any staged row of the batch is there (staging is a cache: a crash may empty it)."""
    with db.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {quote(STAGING_TABLE)} WHERE batch_id = %s LIMIT 1", [batch_id])
        return cursor.fetchone() is not None


def drop_staging(batch_id: int, *, landed: bool = False) -> None:
    """Delete a batch's staged rows (``landed``: what they hold is in ``Record``, ``content_kept``).

    SQLite: when the batch is alone in staging (the usual case), ``DELETE`` without a WHERE
    clause, which SQLite turns into freeing whole pages instead of finding and removing every
    row and index entry (a million rows: 1.1–1.4 s measured, against 7.7 s for a million
    random-key rows the old way). The IMMEDIATE transaction holds the write lock from the
    check to the delete, so no other batch can slip in between.
    """
    table = quote(STAGING_TABLE)
    with transaction.atomic(), db.cursor() as cursor, (content_kept(cursor) if landed else nullcontext()):
        if _alone(cursor, batch_id):
            cursor.execute(f"DELETE FROM {table}")
            return
        cursor.execute(f"DELETE FROM {table} WHERE batch_id = %s", [batch_id])


def keep_staged(batch_id: int, kept: str, params: list) -> int:
    """Delete the batch's staged rows except those where ``kept`` (SQL on staged row ``s``, with
    ``params``) holds; returns how many went. No other batch's rows are touched. Only for rows
    whose content is in ``Record`` (``content_kept``): a re-import's rows set aside.

    SQLite, the batch alone in staging: the kept rows are copied aside, the table is emptied
    whole and they are put back, which costs about what is kept, not what goes (a re-import of
    300k points keeping 15k: 0.08 s to copy them aside, 0.03 s to put them back, where the
    DELETE by day of the other 298k took 0.32 s).
    """
    table = quote(STAGING_TABLE)
    with transaction.atomic(), db.cursor() as cursor, content_kept(cursor):
        if not _alone(cursor, batch_id):
            cursor.execute(f"DELETE FROM {table} AS s WHERE s.batch_id = %s AND NOT ({kept})", [batch_id, *params])
            return max(cursor.rowcount, 0)
        aside = "temp.ownerhub_kept_staging"
        cursor.execute(f"DROP TABLE IF EXISTS {aside}")
        cursor.execute(f"CREATE TABLE {aside} AS SELECT * FROM {table} AS s WHERE s.batch_id = %s AND ({kept})",
                       [batch_id, *params])
        cursor.execute(f"DELETE FROM {table}")
        gone = max(cursor.rowcount, 0)  # SQLite counts the rows it frees whole
        cursor.execute(f"INSERT INTO {table} SELECT * FROM {aside}")
        gone -= max(cursor.rowcount, 0)
        cursor.execute(f"DROP TABLE {aside}")
        return gone


def _alone(cursor, batch_id: int) -> bool:
    """SQLite: whether every staged row is the batch's (the caller's IMMEDIATE transaction keeps
    it so). Always False elsewhere: PostgreSQL deletes rows one by one anyway."""
    if db.vendor != "sqlite":
        return False
    table = quote(STAGING_TABLE)
    cursor.execute(f"SELECT MIN(batch_id) FROM {table}")
    lowest = cursor.fetchone()[0]
    cursor.execute(f"SELECT MAX(batch_id) FROM {table}")
    return lowest == batch_id == cursor.fetchone()[0]
