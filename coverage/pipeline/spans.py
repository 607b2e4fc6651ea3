"""Spans of staged rows: a batch's staged rows in key order, a stretch at a time, for a commit in chunks.

``next_span`` finds where the next ``size`` rows end; a ``Span`` gives the SQL conditions on a
staged row (or a record) that select them; ``drop_span`` deletes them once they landed.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection as db

from .sqlite_tuning import content_kept
from .staging import STAGING_TABLE, quote


@dataclass(frozen=True)
class Span:
    """Staged rows of one batch in ``stream`` with ``after < key <= through`` (either end open);
    ``stream`` None: every staged row of the batch.

    A span never crosses streams, so both of its ends are plain comparisons on the staging key
    (batch_id, stream, key): PostgreSQL 15 stops an index scan at such a bound, but not at the
    upper bound of a row value ``(stream, key) <= (%s, %s)``. With row values every statement of
    a chunk walked the index from the chunk's start to the end of the batch: a 1M-row commit's
    first chunk read the whole staging index four times, and a chunk cost what remained staged.
    """

    stream: str | None = None
    after: str | None = None
    through: str | None = None
    last: bool = False  # no staged row of the batch follows the span (``next_span`` says)

    def sql(self, row: str = "s") -> tuple[str, list]:
        """SQL conditions on staged row ``s`` (or any ``row`` with a stream and a key; leading " AND"),
        and their parameters."""
        clauses, params = "", []
        key = quote("key")
        if self.stream is not None:
            clauses += f" AND {row}.stream = %s"
            params.append(self.stream)
        if self.after is not None:
            clauses += f" AND {row}.{key} > %s"
            params.append(self.after)
        if self.through is not None:
            clauses += f" AND {row}.{key} <= %s"
            params.append(self.through)
        return clauses, params

    @property
    def end(self) -> tuple[str | None, str | None]:
        """(stream, key) of the span's last row: where the next span starts after."""
        return self.stream, self.through


def next_span(batch_id: int, after: tuple[str, str] | None, size: int) -> Span | None:
    """The next ``size`` staged rows after ``after`` (stream, key), in key order, up to the end of
    their stream; None when no staged row follows ``after``.

    Each step is an index walk of at most ``size`` entries (never the rows further on, nor the
    ones earlier chunks deleted): keys by stream, the ``size``-th by OFFSET, the last of a stream
    by MAX, the next stream by MIN.
    """
    with db.cursor() as cursor:
        stream, key = after if after else (_next_stream(cursor, batch_id, None), None)
        while stream is not None:
            span = Span(stream, key)
            where, params = span.sql()
            cursor.execute(
                f"SELECT s.{quote('key')} FROM {quote(STAGING_TABLE)} s WHERE s.batch_id = %s{where} "
                f"ORDER BY s.{quote('key')} LIMIT 2 OFFSET %s",
                [batch_id, *params, size - 1],
            )
            ends = [row[0] for row in cursor.fetchall()]
            if len(ends) == 2:  # more of the stream follows
                return Span(stream, key, ends[0])
            through = ends[0] if ends else _last_key(cursor, batch_id, span)
            following = _next_stream(cursor, batch_id, stream)
            if through is not None:
                return Span(stream, key, through, last=following is None)
            stream, key = following, None
    return None


def _last_key(cursor, batch_id: int, span: Span) -> str | None:
    where, params = span.sql()
    cursor.execute(
        f"SELECT MAX(s.{quote('key')}) FROM {quote(STAGING_TABLE)} s WHERE s.batch_id = %s{where}",
        [batch_id, *params],
    )
    return cursor.fetchone()[0]


def _next_stream(cursor, batch_id: int, stream: str | None) -> str | None:
    """The first stream of the batch's staged rows after ``stream`` (None: the first of all)."""
    above, params = (" AND s.stream > %s", [stream]) if stream is not None else ("", [])
    cursor.execute(
        f"SELECT MIN(s.stream) FROM {quote(STAGING_TABLE)} s WHERE s.batch_id = %s{above}", [batch_id, *params]
    )
    return cursor.fetchone()[0]


def drop_span(batch_id: int, span: Span) -> None:
    """Delete the staged rows of a landed span."""
    where, params = span.sql()
    with db.cursor() as cursor, content_kept(cursor):
        cursor.execute(f"DELETE FROM {quote(STAGING_TABLE)} AS s WHERE s.batch_id = %s{where}", [batch_id, *params])
