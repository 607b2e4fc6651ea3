"""Which records a source holds: the import that first brought each of a chunk's keys, and whether
any record was written since a moment (its highest record id then).

A re-import's preview counts its rows as staging writes them (``first_counts.RowCounts``), which
needs to know, for each row, whether the source holds its key and which import brought it first:
``HeldKeys.first_batches`` looks a chunk's keys up in one statement, one index lookup a key, in
the caller's thread while the parser reads the next chunk (``read_ahead``). The counts stand
only if the source was left as it was meanwhile (``HeldKeys.unchanged``): no record written by
anything else (a phone's push, another import's commit), none taken away (``rewritten``).
A commit's chunks ask the same of the records written between two chunks (``others_landed``).
"""

from __future__ import annotations

import orjson
from django.db import connection as db

from ..models import Record
from .set_aside import rewritten
from .staging import quote

_STREAM, _KEY = 0, 1  # of a staged row


def max_record_id() -> int:
    """The highest record id of all sources (the last entry of the primary key's index)."""
    with db.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {quote(Record._meta.db_table)}")
        return cursor.fetchone()[0] or 0


def others_landed(connection_id: int, last_id: int) -> bool:
    """Whether a record of this connection was written after ``last_id``.

    The highest id first (the last entry of its index): usually nobody wrote since. Else the ids in
    between, bounded at both ends: with ``id > last_id`` alone PostgreSQL, without statistics of
    the records a fresh import just wrote, scanned every record hoping LIMIT 1 would stop it early.
    """
    top = max_record_id()
    if top <= last_id:
        return False
    with db.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {quote(Record._meta.db_table)} WHERE id > %s AND id <= %s AND connection_id = %s LIMIT 1",
            [last_id, top, connection_id],
        )
        return cursor.fetchone() is not None


class HeldKeys:
    """The records a source holds, looked up a chunk of staged rows at a time; made before the first chunk."""

    def __init__(self, connection_id: int):
        self.connection_id = connection_id
        self.top = max_record_id()
        self.rewritten = rewritten(connection_id)
        r, key = quote(Record._meta.db_table), quote("key")
        # One text of the holders' ids in the rows' order, "" where none: fetching ten thousand
        # one-column rows cost more than the lookups' own wait on a re-import of 1M points.
        if db.vendor == "postgresql":
            first = f"(SELECT r.first_batch_id FROM {r} r WHERE r.connection_id = %s AND r.stream = {{stream}} AND r.{key} = k.key)"
            self.one_stream_sql = (f"SELECT string_agg(COALESCE({first.format(stream='%s')}::text, ''), ',' ORDER BY k.i) "
                                   "FROM unnest(%s::text[]) WITH ORDINALITY AS k(key, i)")
            self.streams_sql = (f"SELECT string_agg(COALESCE({first.format(stream='k.stream')}::text, ''), ',' ORDER BY k.i) "
                                "FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS k(stream, key, i)")
        else:  # SQLite: the keys as one JSON array (``json_each`` keeps its order; ``j.key`` is the place)
            first = f"(SELECT r.first_batch_id FROM {r} r WHERE r.connection_id = %s AND r.stream = {{stream}} AND r.{key} = {{key}})"
            one = first.format(stream="%s", key="j.value")
            many = first.format(stream="json_extract(j.value, '$[0]')", key="json_extract(j.value, '$[1]')")
            self.one_stream_sql = (f"SELECT group_concat(COALESCE({one}, ''), ',') FROM "
                                   "(SELECT value FROM json_each(%s) ORDER BY key) j")
            self.streams_sql = (f"SELECT group_concat(COALESCE({many}, ''), ',') FROM "
                                "(SELECT value FROM json_each(%s) ORDER BY key) j")

    def first_batches(self, rows: list[tuple]) -> list[str]:
        """For each staged row ``(stream, key, ...)``, the id (as text) of the import that first brought
        the record of its key, or "" where the source holds none; in the rows' order."""
        if not rows:
            return []
        streams = [row[_STREAM] for row in rows]
        keys = [row[_KEY] for row in rows]
        one = streams.count(streams[0]) == len(streams)
        postgres = db.vendor == "postgresql"
        if one:
            params = [self.connection_id, streams[0], keys if postgres else orjson.dumps(keys).decode()]
            sql = self.one_stream_sql
        else:
            pairs = streams, keys
            params = [self.connection_id, *pairs] if postgres else [
                self.connection_id, orjson.dumps(list(zip(*pairs, strict=True))).decode()]
            sql = self.streams_sql
        with db.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()[0].split(",")

    def unchanged(self) -> bool:
        """Whether the source is as it was when this was made: nothing written to it since, nothing taken away."""
        return not others_landed(self.connection_id, self.top) and rewritten(self.connection_id) == self.rewritten
